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
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from ftgraph.build import GRAPH_NT
from ftgraph.engine import query_form
from ftgraph.errors import FtgraphError

__all__ = ["LoadResult", "ServerProcess", "bench_queries", "load", "report_markdown", "result_size", "run_bench"]

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
            self.stop()
            raise FtgraphError(f"{self.name} did not start within {timeout:g} s:\n{self.log()[-2000:]}")
        return self.url

    def log(self) -> str:
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self._log.close()


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
        self.stop()
        raise FtgraphError(f"{self.name} did not start within {timeout:g} s:\n{self.log()[-2000:]}")


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
    latencies: list[float] = field(default_factory=list)  #: seconds, successful requests
    errors: Counter[str] = field(default_factory=Counter)  #: by HTTP status or exception name
    sizes: dict[str, int | str] = field(default_factory=dict)  #: per query: rows, or the error

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


def check_answers(url: str, path: str, queries: Sequence[BenchQuery], timeout: float) -> dict[str, int | str]:
    """Run each query once: its number of rows (or triples), or the error it got."""
    parts = urlsplit(url)
    sizes: dict[str, int | str] = {}
    for query in queries:
        connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
        try:
            status, body = _post(connection, path, query)
            sizes[query.name] = result_size(body, query.accept) if status == 200 else f"HTTP {status}"
        except (OSError, http.client.HTTPException, ValueError, KeyError) as exc:
            sizes[query.name] = type(exc).__name__
        finally:
            connection.close()
    return sizes


def load(url: str, path: str, queries: Sequence[BenchQuery], *, clients: int, duration: float, timeout: float,
         server: str = "") -> LoadResult:
    """``clients`` threads POST ``queries`` in turn to ``path`` at ``url`` for ``duration`` seconds."""
    if not queries:
        raise FtgraphError("no query to send: the query library is empty")
    parts = urlsplit(url)
    result = LoadResult(server, clients, duration)
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


def run_bench(out_dir: Path, *, clients: int, duration: float, workers: int, base_iri: str,
              rdflib_store: str | None, timeout: float = 30.0) -> list[LoadResult]:
    """The load run on ``ftgraph serve`` and, unless ``rdflib_store`` is None, on rdflib-endpoint."""
    graph_nt = out_dir / GRAPH_NT
    if not graph_nt.is_file():
        raise FtgraphError(f"{graph_nt}: no built graph; run `ftgraph build` (or `ftgraph run`) first")
    queries = bench_queries(base_iri)
    servers: list[ServerProcess] = [ServerProcess.ftgraph(out_dir, "--workers", str(workers),
                                                          "--base-iri", base_iri)]
    if rdflib_store is not None:
        servers.append(RdflibEndpointProcess(graph_nt, rdflib_store))
    results = []
    for server in servers:
        with server:
            sizes = check_answers(server.url, server.sparql_path, queries, timeout)
            result = load(server.url, server.sparql_path, queries, clients=clients, duration=duration, timeout=timeout,
                          server=server.name)
            result.sizes = sizes
            results.append(result)
    return results


def report_markdown(results: Sequence[LoadResult]) -> str:
    """The run as Markdown: one line per server, then the answers that differ between servers."""
    lines = ["| server | clients | seconds | requests | errors | throughput (req/s) | p50 (ms) | p95 (ms) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        lines.append(f"| {r.server} | {r.clients} | {r.seconds:.1f} | {r.requests} | {sum(r.errors.values())} "
                     f"| {r.throughput:.1f} | {r.percentile(0.5):.1f} | {r.percentile(0.95):.1f} |")
    for r in results:
        if r.errors:
            kinds = ", ".join(f"{kind} × {count}" for kind, count in r.errors.most_common())
            lines.append(f"\nErrors of {r.server}: {kinds}")
    if len(results) > 1:
        reference = results[0]
        for other in results[1:]:
            differ = [name for name in reference.sizes if other.sizes.get(name) != reference.sizes[name]]
            detail = ", ".join(f"{name} ({reference.sizes[name]} vs {other.sizes.get(name)})" for name in differ)
            lines.append(f"\nAnswers compared on {len(reference.sizes)} library queries: {other.server} gives "
                         f"{len(reference.sizes) - len(differ)} the same number of rows as {reference.server}"
                         + (f"; differs on {detail}" if differ else "."))
    return "\n".join(lines) + "\n"
