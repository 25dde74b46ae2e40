"""A bounded load run of the SPARQL endpoint (``ftgraph bench-serve``), side by side with
rdflib-endpoint (the usual way to serve an rdflib graph) on the same ``graph.nt``.

Each server runs in its own process on a loopback port. ``clients`` threads, each with its own
keep-alive connection, send the library's queries (default parameters bound) in turn for
``duration`` seconds; the run stops by itself. Before the load, every query runs once on each
server, and the numbers of rows are compared, so a fast wrong answer does not pass unnoticed.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlencode, urlsplit

from ftgraph.build import GRAPH_NT
from ftgraph.engine import query_form
from ftgraph.errors import FtgraphError

__all__ = ["BenchReport", "LoadResult", "ServerProcess", "bench_queries", "load", "report_markdown", "result_size",
           "run_bench"]

#: Accept header per query form (rdflib-endpoint mishandles combined Accept headers).
_ACCEPT = {"SELECT": "application/sparql-results+json", "ASK": "application/sparql-results+json",
           "CONSTRUCT": "application/n-triples", "DESCRIBE": "application/n-triples"}


@dataclass(frozen=True)
class BenchQuery:
    name: str
    text: str
    accept: str


def bench_queries(base_iri: str) -> list[BenchQuery]:
    """The library queries that need no parameter value, with their defaults bound."""
    from ftgraph.server import library_entries

    return [BenchQuery(entry.name, entry.text, _ACCEPT[query_form(entry.text)])
            for entry in library_entries(base_iri) if not entry.required]


class ServerProcess:
    """A server started as a child process, stopped (and reaped) on exit."""

    def __init__(self, command: Sequence[str], name: str, sparql_path: str = "/sparql") -> None:
        self.command = list(command)
        self.name = name
        self.url = ""
        self.sparql_path = sparql_path
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (the server's stderr, closed in __exit__)
        self.process: subprocess.Popen[Any] | None = None

    @classmethod
    def ftgraph(cls, out_dir: Path, *options: str) -> ServerProcess:
        """``ftgraph serve`` on a free loopback port (its URL is read from its first line)."""
        executable = Path(sys.executable).with_name("ftgraph")
        command = [str(executable) if executable.exists() else "ftgraph", "--quiet", "serve", "--port", "0",
                   "--out", str(out_dir), *options]
        return cls(command, "ftgraph serve")

    def start(self, timeout: float = 120.0) -> str:
        """Start the server and return its base URL once it answers."""
        self.process = subprocess.Popen(self.command, stdout=subprocess.PIPE, stderr=self._log, text=True,
                                        stdin=subprocess.DEVNULL)
        assert self.process.stdout is not None
        ready = threading.Event()

        def read_url() -> None:
            assert self.process is not None and self.process.stdout is not None
            for line in self.process.stdout:
                if line.startswith("ftgraph server: ") and not ready.is_set():
                    self.url = line.split()[2]
                    ready.set()

        threading.Thread(target=read_url, daemon=True).start()
        if not ready.wait(timeout) or self.process.poll() is not None:
            self._fail(timeout)
        return self.url

    def log(self) -> str:
        """What the server wrote on stderr so far."""
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")

    def _fail(self, timeout: float) -> NoReturn:
        log = self.log()[-2000:]
        self.stop()
        raise FtgraphError(f"{self.name} did not start within {timeout:g} s:\n{log}")

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 15 s) and drop its log."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class RdflibEndpointProcess(ServerProcess):
    """``rdflib-endpoint serve graph.nt`` on a free loopback port, ready when it answers ``ASK {}``."""

    def __init__(self, graph_nt: Path, store: str) -> None:
        executable = shutil.which("rdflib-endpoint") or str(Path(sys.executable).with_name("rdflib-endpoint"))
        if not Path(executable).exists():
            raise FtgraphError("rdflib-endpoint is not installed: pip install 'ftgraph[bench]' (or pass "
                               "--no-rdflib-endpoint)")
        from ftgraph.server import bind_socket

        with contextlib.closing(bind_socket("127.0.0.1", 0)) as sock:
            port = sock.getsockname()[1]
        super().__init__([executable, "serve", str(graph_nt), "--host", "127.0.0.1", "--port", str(port),
                          "--store", store], f"rdflib-endpoint ({store} store)", sparql_path="/")
        self.url = f"http://127.0.0.1:{port}/"

    def start(self, timeout: float = 600.0) -> str:
        self.process = subprocess.Popen(self.command, stdout=self._log, stderr=self._log, stdin=subprocess.DEVNULL)
        probe = self.url.rstrip("/") + self.sparql_path + "?" + urlencode({"query": "ASK {}"})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                with urllib.request.urlopen(probe, timeout=5) as response:
                    if response.status == 200:
                        return self.url
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.25)
        self._fail(timeout)


def _post(connection: http.client.HTTPConnection, path: str, query: BenchQuery) -> tuple[int, bytes]:
    body = urlencode({"query": query.text})
    connection.request("POST", path, body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Accept": query.accept})
    response = connection.getresponse()
    return response.status, response.read()


def result_size(body: bytes, accept: str) -> int:
    """Rows of a JSON result (1 for ASK) or lines of N-Triples."""
    if accept == "application/n-triples":
        return sum(1 for line in body.splitlines() if line.strip())
    data = json.loads(body)
    return 1 if "boolean" in data else len(data["results"]["bindings"])


@dataclass
class LoadResult:
    """What one load run measured."""

    server: str
    clients: int
    seconds: float
    mix: str = ""  #: which queries were sent
    latencies: list[float] = field(default_factory=list)  #: seconds, successful requests
    errors: Counter[str] = field(default_factory=Counter)  #: by HTTP status or exception name

    @property
    def requests(self) -> int:
        return len(self.latencies) + sum(self.errors.values())

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        """Latency (ms) at ``fraction`` (0.5: median) of the successful requests."""
        if len(self.latencies) < 2:
            return 1000 * self.latencies[0] if self.latencies else float("nan")
        return 1000 * statistics.quantiles(self.latencies, n=100, method="inclusive")[round(fraction * 100) - 1]


def answer_size(server: ServerProcess, query: BenchQuery, timeout: float) -> int | str:
    """The number of rows (or triples) of one answer, or the error it got."""
    parts = urlsplit(server.url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    try:
        status, body = _post(connection, server.sparql_path, query)
        return result_size(body, query.accept) if status == 200 else f"HTTP {status}"
    except (OSError, http.client.HTTPException, ValueError, KeyError) as exc:
        return type(exc).__name__
    finally:
        connection.close()


def check_answers(start: Callable[[], ServerProcess], queries: Sequence[BenchQuery],
                  timeout: float) -> tuple[str, dict[str, int | str]]:
    """Run each query once on a server: the server's name and each query's size or error. After a
    time-out the server is started afresh, as it may still be busy with the query."""
    sizes: dict[str, int | str] = {}
    server = start()
    try:
        server.start()
        for query in queries:
            sizes[query.name] = answer_size(server, query, timeout)
            if sizes[query.name] == "TimeoutError" and query is not queries[-1]:
                server.stop()
                server = start()
                server.start()
    finally:
        server.stop()
    return server.name, sizes


def load(url: str, path: str, queries: Sequence[BenchQuery], *, clients: int, duration: float, timeout: float,
         server: str = "", mix: str = "") -> LoadResult:
    """``clients`` threads POST ``queries`` in turn to ``path`` at ``url`` for ``duration`` seconds."""
    if not queries:
        raise FtgraphError("no query to send: the query library is empty")
    parts = urlsplit(url)
    result = LoadResult(server, clients, duration, mix or f"{len(queries)} queries")
    lock = threading.Lock()
    started = time.monotonic()
    stop_at = started + duration

    def client(offset: int) -> None:
        connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
        latencies, errors = [], Counter[str]()
        turn = offset
        while time.monotonic() < stop_at:
            query = queries[turn % len(queries)]
            turn += 1
            begin = time.perf_counter()
            try:
                status, _ = _post(connection, path, query)
            except (OSError, http.client.HTTPException) as exc:
                errors[type(exc).__name__] += 1
                connection.close()  # reconnects on the next request
                continue
            if status == 200:
                latencies.append(time.perf_counter() - begin)
            else:
                errors[f"HTTP {status}"] += 1
        connection.close()
        with lock:
            result.latencies += latencies
            result.errors.update(errors)

    threads = [threading.Thread(target=client, args=(index,), daemon=True) for index in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.monotonic() - started
    return result


@dataclass
class BenchReport:
    """Every load run of a bench, and each server's answers to the library queries."""

    sizes: dict[str, dict[str, int | str]]  #: server → query → rows, or the error it got
    runs: list[LoadResult]


def run_bench(out_dir: Path, *, clients: int, duration: float, workers: int, base_iri: str,
              rdflib_store: str | None, timeout: float = 30.0) -> BenchReport:
    """Each server answers every library query once, then takes the load twice: with every library
    query, and with the queries that every server answered (when that is fewer). Each step runs on a
    freshly started server, so that queries left running by a client that gave up weigh on no other
    step."""
    graph_nt = out_dir / GRAPH_NT
    if not graph_nt.is_file():
        raise FtgraphError(f"{graph_nt}: no built graph; run `ftgraph build` (or `ftgraph run`) first")
    queries = bench_queries(base_iri)
    servers: list[Callable[[], ServerProcess]] = [
        lambda: ServerProcess.ftgraph(out_dir, "--workers", str(workers), "--base-iri", base_iri)]
    if rdflib_store is not None:
        servers.append(lambda: RdflibEndpointProcess(graph_nt, rdflib_store))
    sizes = dict(check_answers(start, queries, timeout) for start in servers)
    answered = [q for q in queries if all(isinstance(answers[q.name], int) for answers in sizes.values())]
    mixes = [(f"all {len(queries)} library queries", queries)]
    if len(answered) < len(queries):
        mixes.append((f"the {len(answered)} queries every server answers", answered))
    runs = []
    for mix, chosen in mixes:
        for start in servers:
            with start() as server:
                runs.append(load(server.url, server.sparql_path, chosen, clients=clients, duration=duration,
                                 timeout=timeout, server=server.name, mix=mix))
    return BenchReport(sizes, runs)


def report_markdown(report: BenchReport) -> str:
    """The bench as Markdown: one line per load run, its errors, and the answers that differ."""
    lines = ["| queries | server | clients | seconds | requests | errors | throughput (req/s) | p50 (ms) | p95 (ms) |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in report.runs:
        lines.append(f"| {r.mix} | {r.server} | {r.clients} | {r.seconds:.1f} | {r.requests} "
                     f"| {sum(r.errors.values())} | {r.throughput:.1f} | {r.percentile(0.5):.1f} "
                     f"| {r.percentile(0.95):.1f} |")
    for r in report.runs:
        if r.errors:
            kinds = ", ".join(f"{kind} × {count}" for kind, count in r.errors.most_common())
            lines.append(f"\nErrors of {r.server} ({r.mix}): {kinds}")
    names = list(report.sizes)
    reference = report.sizes[names[0]] if names else {}
    for other in names[1:]:
        answers = report.sizes[other]
        differ = [name for name in reference if answers.get(name) != reference[name]]
        detail = ", ".join(f"{name} ({reference[name]} vs {answers.get(name)})" for name in differ)
        lines.append(f"\nAnswers compared on {len(reference)} library queries: {other} gives "
                     f"{len(reference) - len(differ)} the same number of rows as {names[0]}"
                     + (f"; differs on {detail}." if differ else "."))
    return "\n".join(lines) + "\n"
