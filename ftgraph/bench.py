"""Side-by-side benchmark (``ftgraph bench``): the project, rdflib's default in-memory store and raw
pyoxigraph calls doing the same work on synthetic graphs (:mod:`ftgraph.synth`) of growing size.

Method:

- For each size, ``repeat`` rounds; in each round every contender does the whole workload in a child
  process of its own, the contenders in a rotating order, so that machine noise (other processes,
  CPU frequency, disk cache) hits all of them alike and cancels in the ratios. Times are medians of
  the rounds.
- Each operation is timed inside the child (``time.perf_counter``, after a garbage collection). Peak
  memory is the child's own high-water resident set size (``VmHWM`` of ``/proc/PID/status``; not
  ``ru_maxrss``, which on Linux starts from the parent's size at the fork): contenders never share a
  heap.
- Every operation of every contender has the same time cap (loads have a cap of their own, also the
  same for every contender: nothing can be measured without them). Python code (rdflib, networkx) is
  interrupted by an alarm; a call that stays in native code (pyoxigraph) past the cap gets its child
  killed by the parent, which starts a fresh child (reloading the graph) for the remaining operations.
  Either way the result is "> cap", a lower bound; a capped operation is not retried in later rounds,
  nor at the larger sizes (on a bigger graph of the same generator it would exceed the cap again).
- Ratios involving a capped time are bounds ("≥ 12×"); a target is judged met or missed only when
  the bound decides it, else "undecided".
- Nothing is tuned for the targets: every contender runs the library's query text as it is, with the
  same parameter values (the queries' defaults, bound as ``VALUES``).

The workload of each contender is described in :data:`WORKLOAD`; the targets of issue 10 in
:data:`TARGETS`. ``ftgraph bench`` writes ``docs/benchmarks.md``, ``.csv`` and ``.png``.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import gc
import io
import json
import math
import os
import platform
import queue
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import pyoxigraph as ox
from rdflib import Graph

from ftgraph import query
from ftgraph.atomic import write_text_atomic
from ftgraph.build import GRAPH_NT
from ftgraph.clikit import user_errors
from ftgraph.engine import STORE_DIR, EmbeddedEngine, Engine, QueryResult, bind_parameters, load_store, open_store
from ftgraph.errors import FtgraphError
from ftgraph.namespaces import PREFIXES, bind_prefixes
from ftgraph.progress import Progress
from ftgraph.synth import MANIFEST, parse_size, synthesize

__all__ = ["CONTENDERS", "TARGETS", "BenchResults", "Caps", "RdflibEngine", "bench", "render", "run_benchmark"]

PROJECT, RDFLIB, OXIGRAPH = "project", "rdflib", "pyoxigraph"
CONTENDERS = (PROJECT, RDFLIB, OXIGRAPH)
LOAD, LOAD_DISK, PROJECTION, METRICS = "load", "load (on-disk store)", "projection", "metrics"
#: Every library query once on the on-disk store just loaded (the store of one-shot ``ftgraph query``).
DISK_QUERIES = "every query (on-disk store)"
VIZ = "national visualisation"
EXPORTS = {"export N-Triples": ox.RdfFormat.N_TRIPLES, "export Turtle": ox.RdfFormat.TURTLE}
QUERY_PREFIX = "query "
#: The load a fresh child does before going on after a killed one (not reported on its own).
RELOAD = "reload"
#: Extra seconds a child gets past the cap before it is killed (it may be finishing a native call).
KILL_GRACE = 10.0
#: A query faster than this is run again (up to QUERY_CALLS times) and its median call time kept.
QUICK_QUERY, QUERY_CALLS = 0.5, 10

WORKLOAD = {
    LOAD: {PROJECT: "engine.load_store: graph.nt into an in-memory pyoxigraph store (metrics, pages, notebooks)",
           RDFLIB: "Graph().parse(graph.nt): rdflib's default in-memory store",
           OXIGRAPH: "Store().bulk_load(graph.nt): in-memory store"},
    LOAD_DISK: {PROJECT: "engine.open_store: the persisted on-disk store (RocksDB) of `ftgraph query`, built, "
                         "hashed, checked and reopened read-only",
                OXIGRAPH: "Store(dir).bulk_load(graph.nt): on-disk store, the kind the project persists"},
    DISK_QUERIES: {PROJECT: "every library query once, ftgraph.query.rows / run on the persisted store",
                   OXIGRAPH: "every library query once, Store.query(text) on the on-disk store"},
    "query": {PROJECT: "ftgraph.query.rows / run on the embedded engine (rows as Python values)",
              RDFLIB: "Graph.query(text) with the same bound text, rows iterated",
              OXIGRAPH: "Store.query(text) with the same bound text, every value of every row read"},
    PROJECTION: {PROJECT: "projection.load_actor_data + actor_graph + every metropole's local graph",
                 RDFLIB: "the same functions over rdflib's SPARQL (RdflibEngine)"},
    METRICS: {PROJECT: "federation.reports: every metropole's measures and the national ones, from the graph",
              RDFLIB: "the same over rdflib's SPARQL (RdflibEngine)"},
    VIZ: {PROJECT: "viz.Context.read + viz.write_pages (the national page: layout, measures, HTML)",
          RDFLIB: "the same over rdflib's SPARQL (RdflibEngine)"},
    "export": {PROJECT: "ftgraph.export.serialize of the store's triples (sorted, prefixed)",
               RDFLIB: "Graph.serialize(format=nt / turtle)",
               OXIGRAPH: "Store.dump(format=N_TRIPLES / TURTLE, same prefixes)"},
}


@dataclass(frozen=True)
class Caps:
    """Time caps in seconds, the same for every contender: one per operation, one per load."""

    operation: float
    load: float

    def of(self, operation: str) -> float:
        return self.load if operation in (LOAD, LOAD_DISK, RELOAD) else self.operation


class OperationCapped(BaseException):
    """An operation ran past the time cap (raised by the alarm inside the child; a BaseException so
    that no library's ``except Exception`` swallows it)."""


# ------------------------------------------------------------------------------------ contenders


def bound_text(name: str) -> str:
    """A library query's text with its default parameters bound as ``VALUES`` (what the project runs)."""
    library_query = query.library()[name]
    return bind_parameters(library_query.sparql(), library_query.bindings())


def consume(result: QueryResult) -> int:
    """Read every value of a pyoxigraph result; the number of rows, triples or 1/0 for ASK."""
    if isinstance(result, ox.QueryBoolean):
        return int(bool(result))
    if isinstance(result, ox.QuerySolutions):
        names = [variable.value for variable in result.variables]
        rows = 0
        for solution in result:
            for name in names:
                solution[name]  # reading every value is part of the work measured
            rows += 1
        return rows
    return sum(1 for _ in result)


class RdflibEngine(Engine):
    """The project's :class:`~ftgraph.engine.Engine` API over an rdflib graph, evaluated by rdflib's
    SPARQL engine; results reach pyoxigraph terms through SPARQL JSON (or N-Triples), as from a
    remote endpoint. Lets the projection and the metrics run on rdflib unchanged."""

    description = "rdflib in-memory store"

    def __init__(self, graph: Graph) -> None:
        self.graph = graph

    def _run(self, text: str, form: str) -> QueryResult:
        result = self.graph.query(text)
        if form in ("CONSTRUCT", "DESCRIBE"):
            assert result.graph is not None
            store = ox.Store()
            store.load(result.graph.serialize(format="nt", encoding="utf-8"), ox.RdfFormat.N_TRIPLES)
            triples = store.query("CONSTRUCT WHERE { ?s ?p ?o }")
            assert isinstance(triples, ox.QueryTriples)
            return triples
        body = result.serialize(format="json")
        assert body is not None
        return ox.parse_query_results(body, ox.QueryResultsFormat.JSON)


def _project_every_metropole(engine: Engine) -> int:
    """The projection alone: the actor graph and every metropole's local graph, no measure."""
    from ftgraph.projection import actor_graph, collapse, load_actor_data, local_subgraph, metropole_network

    data = load_actor_data(engine)
    national = actor_graph(data)
    collapse(national)
    for ecosystem in data.ecosystems.values():
        local_subgraph(metropole_network(national, ecosystem))
    return len(data.ecosystems)


def _national_page(engine: Engine, path: Path) -> int:
    """The national interactive page, as ``make run`` writes it; its size in bytes."""
    from ftgraph import viz

    viz.write_pages(viz.Context.read(engine), {path: None})
    return path.stat().st_size


def _metrics_of_every_metropole(engine: Engine) -> int:
    """What ``make run`` computes: every metropole's measures and the national ones."""
    from ftgraph.federation import Settings, reports
    from ftgraph.projection import Snapshot, load_actor_data

    return len(reports(load_actor_data(engine), Snapshot(), Settings()))


class Contender(ABC):
    """One way of doing the workload; ``load`` first, then any operation."""

    def __init__(self, graph_nt: Path, scratch: Path, queries: list[str]) -> None:
        self.graph_nt = graph_nt
        self.scratch = scratch
        self.queries = queries  #: the library queries of the round

    def perform(self, operation: str) -> int:
        """Run one operation; returns a size (triples, rows, reports, bytes) to show it did the work."""
        if operation == LOAD:
            return self.load()
        if operation.startswith(QUERY_PREFIX):
            return self.query(operation.removeprefix(QUERY_PREFIX))
        if operation in EXPORTS:
            path = self.scratch / f"export.{'nt' if EXPORTS[operation] == ox.RdfFormat.N_TRIPLES else 'ttl'}"
            self.export(EXPORTS[operation], path)
            return path.stat().st_size
        return self.extra(operation)

    @abstractmethod
    def load(self) -> int: ...

    @abstractmethod
    def query(self, name: str) -> int: ...

    @abstractmethod
    def export(self, rdf_format: ox.RdfFormat, path: Path) -> None: ...

    def extra(self, operation: str) -> int:
        raise FtgraphError(f"{type(self).__name__} has no operation {operation!r}")


class ProjectContender(Contender):
    def _out(self, name: str) -> Path:
        """An output folder holding (a link to) the graph."""
        out = self.scratch / name
        out.mkdir(exist_ok=True)
        target = out / GRAPH_NT
        if not target.exists():
            try:
                os.link(self.graph_nt, target)
            except OSError:
                shutil.copyfile(self.graph_nt, target)
        return out

    def load(self) -> int:
        self.store = load_store(self._out("out"))
        self.engine = EmbeddedEngine(self.store)
        return len(self.store)

    def query(self, name: str, engine: Engine | None = None) -> int:
        if query.library()[name].form == "SELECT":
            return len(query.rows(name, engine=engine or self.engine))
        return consume(query.run(name, engine=engine or self.engine))

    def export(self, rdf_format: ox.RdfFormat, path: Path) -> None:
        from ftgraph.export import serialize

        triples = [quad.triple for quad in self.store.quads_for_pattern(None, None, None, ox.DefaultGraph())]
        path.write_text(serialize(triples, rdf_format), encoding="utf-8")

    def extra(self, operation: str) -> int:
        if operation == LOAD_DISK:
            out = self._out("out-disk")
            shutil.rmtree(out / STORE_DIR, ignore_errors=True)  # built afresh in every round
            self.disk_engine = EmbeddedEngine(open_store(out))
            return len(self.disk_engine.store)
        if operation == DISK_QUERIES:
            return sum(self.query(name, self.disk_engine) for name in self.queries)
        if operation == PROJECTION:
            return _project_every_metropole(self.engine)
        if operation == METRICS:
            return _metrics_of_every_metropole(self.engine)
        if operation == VIZ:
            return _national_page(self.engine, self.scratch / "national.html")
        return super().extra(operation)


class RdflibContender(Contender):
    def load(self) -> int:
        self.graph = bind_prefixes(Graph())
        self.graph.parse(self.graph_nt, format="nt")
        return len(self.graph)

    def query(self, name: str) -> int:
        result = self.graph.query(bound_text(name))
        if result.type == "ASK":
            return int(bool(result.askAnswer))
        return sum(1 for _ in result)

    def export(self, rdf_format: ox.RdfFormat, path: Path) -> None:
        self.graph.serialize(destination=path, format="nt" if rdf_format == ox.RdfFormat.N_TRIPLES else "turtle",
                             encoding="utf-8")

    def extra(self, operation: str) -> int:
        if operation == PROJECTION:
            return _project_every_metropole(RdflibEngine(self.graph))
        if operation == METRICS:
            return _metrics_of_every_metropole(RdflibEngine(self.graph))
        if operation == VIZ:
            return _national_page(RdflibEngine(self.graph), self.scratch / "national.html")
        return super().extra(operation)


class OxigraphContender(Contender):
    def load(self) -> int:
        self.store = ox.Store()
        self.store.bulk_load(path=str(self.graph_nt), format=ox.RdfFormat.N_TRIPLES)
        return len(self.store)

    def query(self, name: str) -> int:
        return consume(self.store.query(bound_text(name)))

    def export(self, rdf_format: ox.RdfFormat, path: Path) -> None:
        prefixes = None if rdf_format == ox.RdfFormat.N_TRIPLES else {
            prefix: str(namespace) for prefix, namespace in PREFIXES.items()}
        self.store.dump(str(path), rdf_format, from_graph=ox.DefaultGraph(), prefixes=prefixes)

    def extra(self, operation: str) -> int:
        if operation == LOAD_DISK:
            db = self.scratch / "db"
            shutil.rmtree(db, ignore_errors=True)
            self.disk_store = ox.Store(str(db))
            self.disk_store.bulk_load(path=str(self.graph_nt), format=ox.RdfFormat.N_TRIPLES)
            self.disk_store.flush()
            return len(self.disk_store)
        if operation == DISK_QUERIES:
            return sum(consume(self.disk_store.query(bound_text(name))) for name in self.queries)
        return super().extra(operation)


CONTENDER_CLASSES: dict[str, type[Contender]] = {
    PROJECT: ProjectContender, RDFLIB: RdflibContender, OXIGRAPH: OxigraphContender}


def every_operation(query_names: list[str]) -> list[str]:
    """Every operation of any contender, in table order."""
    return [LOAD, LOAD_DISK, *(QUERY_PREFIX + name for name in query_names), DISK_QUERIES, PROJECTION, METRICS, VIZ,
            *EXPORTS]


def operations(contender: str, query_names: list[str]) -> list[str]:
    """The operations of ``contender``, in the order they run (load first)."""
    ops = [LOAD, *(QUERY_PREFIX + name for name in query_names)]
    if contender in (PROJECT, RDFLIB):
        ops += [PROJECTION, METRICS, VIZ]
    ops += list(EXPORTS)
    if contender in (PROJECT, OXIGRAPH):
        ops += [LOAD_DISK, DISK_QUERIES]
    return ops


# ------------------------------------------------------------------------------------ child side


def peak_rss(pid: int) -> int:
    """The high-water resident set size of a live process, in bytes (``VmHWM``; 0 when unknown).

    Elsewhere than Linux, ``ru_maxrss`` of the calling process (which may include its parent's size).
    """
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii", errors="replace")
    except OSError:
        if pid != os.getpid():
            return 0
        scale = 1 if sys.platform == "darwin" else 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def _alarm(signum: int, frame: Any) -> None:
    raise OperationCapped


def worker(spec: dict[str, Any]) -> None:
    """Child process: load, then each operation of ``spec["operations"]``, one JSON line per event on
    standard output (whatever else the libraries print there goes to standard error)."""
    channel = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())

    def say(**event: Any) -> None:
        event["maxrss"] = peak_rss(os.getpid())
        channel.write(json.dumps(event) + "\n")
        channel.flush()

    contender = CONTENDER_CLASSES[spec["contender"]](Path(spec["graph"]), Path(spec["scratch"]), spec["queries"])
    caps = Caps(float(spec["cap"]), float(spec["load_cap"]))
    signal.signal(signal.SIGALRM, _alarm)
    todo = list(spec["operations"])
    if todo[0] != LOAD:
        todo.insert(0, RELOAD)
    for operation in todo:
        gc.collect()
        say(event="start", operation=operation)
        signal.setitimer(signal.ITIMER_REAL, caps.of(operation))
        try:
            seconds, size = timed(contender, LOAD if operation == RELOAD else operation)
        except OperationCapped:
            say(event="capped", operation=operation)
            if operation in (LOAD, RELOAD):
                return
            continue
        except Exception as exc:  # reported in the table, the benchmark goes on
            say(event="error", operation=operation, message=f"{type(exc).__name__}: {exc}"[:300])
            if operation in (LOAD, RELOAD):
                return
            continue
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        say(event="done", operation=operation, seconds=seconds, size=size)


def timed(contender: Contender, operation: str) -> tuple[float, int]:
    """Seconds and result size of one operation; a quick query is repeated and its median call kept,
    so that millisecond timings are not one noisy sample."""
    calls: list[float] = []
    while True:
        started = time.perf_counter()
        size = contender.perform(operation)
        calls.append(time.perf_counter() - started)
        if (not operation.startswith(QUERY_PREFIX) or len(calls) >= QUERY_CALLS
                or sum(calls) >= QUICK_QUERY):
            return statistics.median(calls), size


# ----------------------------------------------------------------------------------- parent side

OK, CAPPED, ERROR, NOT_RUN = "ok", "> cap", "error", "not run"


@dataclass
class Outcome:
    """One operation in one round."""

    status: str
    seconds: float | None = None
    size: int | None = None
    detail: str = ""


@dataclass
class Session:
    """What a child (or the children replacing a killed one) reported for one contender in one round."""

    outcomes: dict[str, Outcome] = field(default_factory=dict)
    peak_rss: int = 0
    rss_after_load: int | None = None


def _reader(stream: io.TextIOBase, lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def run_child(contender: str, graph_nt: Path, todo: list[str], caps: Caps, session: Session,
              queries: list[str]) -> list[str]:
    """Run one child on ``todo`` (``queries``: the library queries of the round, for
    :data:`DISK_QUERIES`); fill ``session``; returns the operations left to do (after a kill)."""
    spec = {"contender": contender, "graph": str(graph_nt), "operations": todo, "cap": caps.operation,
            "load_cap": caps.load, "queries": queries}
    with tempfile.TemporaryDirectory(prefix=f"ftgraph-bench-{contender}-") as scratch:
        spec["scratch"] = scratch
        errors = Path(scratch) / "stderr.txt"
        with errors.open("w", encoding="utf-8") as error_file:  # a file: a chatty child never blocks
            process = subprocess.Popen([sys.executable, "-m", "ftgraph.bench", json.dumps(spec)],
                                       stdout=subprocess.PIPE, stderr=error_file, text=True)
        assert process.stdout is not None
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=_reader, args=(process.stdout, lines), daemon=True).start()
        current, deadline, left = None, time.monotonic() + caps.load + KILL_GRACE, list(todo)
        killed = False
        while True:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                session.peak_rss = max(session.peak_rss, peak_rss(process.pid))
                process.kill()
                killed = True
                break
            if line is None:
                break
            event = json.loads(line)
            session.peak_rss = max(session.peak_rss, event["maxrss"])
            operation = event["operation"]
            if event["event"] == "start":
                current, deadline = operation, time.monotonic() + caps.of(operation) + KILL_GRACE
                continue
            if operation == RELOAD:
                if event["event"] != "done":
                    session.outcomes.update({op: Outcome(NOT_RUN, detail="reload failed") for op in left})
                    left = []
                continue
            left.remove(operation)
            if event["event"] == "done":
                session.outcomes[operation] = Outcome(OK, event["seconds"], event["size"])
                if operation == LOAD:
                    session.rss_after_load = event["maxrss"]
            elif event["event"] == "capped":
                session.outcomes[operation] = Outcome(CAPPED, detail="interrupted at the cap")
            else:
                session.outcomes[operation] = Outcome(ERROR, detail=event["message"])
            if operation == LOAD and event["event"] != "done":
                reason = f"load {session.outcomes[LOAD].status}"
                session.outcomes.update({op: Outcome(NOT_RUN, detail=reason) for op in left})
                left = []
        process.wait()
        error_tail = errors.read_text(encoding="utf-8", errors="replace")[-2000:]
        if killed and current == RELOAD:
            session.outcomes.update({op: Outcome(NOT_RUN, detail="reload > cap") for op in left})
            return []
        if killed and current is not None and current in left:
            session.outcomes[current] = Outcome(CAPPED, detail="killed at the cap (native call)")
            left.remove(current)
            if current == LOAD:
                session.outcomes.update({op: Outcome(NOT_RUN, detail="load > cap") for op in left})
                left = []
            return left
        if left:  # the child died
            detail = (error_tail.strip().splitlines() or [f"exit code {process.returncode}"])[-1][:300]
            session.outcomes.update({op: Outcome(ERROR, detail=detail) for op in left})
        return []


def run_session(contender: str, graph_nt: Path, todo: list[str], caps: Caps) -> Session:
    """The whole workload of one contender in one round, restarting the child after a kill."""
    session = Session()
    queries = [op.removeprefix(QUERY_PREFIX) for op in todo if op.startswith(QUERY_PREFIX)]
    while todo:
        todo = run_child(contender, graph_nt, todo, caps, session, queries)
    return session


@dataclass
class SizeRun:
    """Every round of every contender at one size."""

    label: str
    triples: int
    records: dict[str, int]
    sessions: dict[str, list[Session]] = field(default_factory=dict)

    def outcomes(self, contender: str, operation: str) -> list[Outcome]:
        return [s.outcomes[operation] for s in self.sessions.get(contender, []) if operation in s.outcomes]

    def median(self, contender: str, operation: str) -> Outcome | None:
        """The median time over rounds; "> cap" when any round was capped; None when not measured."""
        found = self.outcomes(contender, operation)
        if not found:
            return None
        for status in (CAPPED, ERROR, NOT_RUN):
            if any(outcome.status == status for outcome in found):
                return next(outcome for outcome in found if outcome.status == status)
        times = [outcome.seconds for outcome in found if outcome.seconds is not None]
        return Outcome(OK, statistics.median(times), found[0].size, detail=f"{len(times)} runs")

    def seconds(self, contender: str, operation: str) -> float | None:
        outcome = self.median(contender, operation)
        return outcome.seconds if outcome is not None and outcome.status == OK else None

    def memory(self, contender: str, after_load: bool = False) -> float | None:
        values = [s.rss_after_load if after_load else s.peak_rss for s in self.sessions.get(contender, [])]
        measured = [value for value in values if value]
        return statistics.median(measured) if measured else None


@dataclass
class BenchResults:
    sizes: list[SizeRun]
    queries: list[str]
    caps: Caps
    seed: int
    started: str
    environment: dict[str, str]
    curated_run: CuratedRun | None = None
    curated_run_error: str = ""

    def rounds(self, run: SizeRun) -> int:
        """The rounds run at one size (the most any contender ran)."""
        return max((len(sessions) for sessions in run.sessions.values()), default=0)


def synthetic_graph(size: int, seed: int, work: Path) -> Path:
    """The synthetic graph of ``size`` in ``work`` (reused when its manifest says same size and seed)."""
    folder = work / f"synth-{size}-{seed}"
    manifest = folder / MANIFEST
    if manifest.is_file():
        described = json.loads(manifest.read_text(encoding="utf-8"))
        if described.get("target_triples") == size and described.get("seed") == seed:
            return folder
    synthesize(size, seed, folder)
    return folder


def environment() -> dict[str, str]:
    from importlib.metadata import version

    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = os.getloadavg()
    return {"machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {memory:.0f} GiB RAM",
            "system": platform.platform(), "python": platform.python_version(),
            "libraries": ", ".join(f"{name} {version(name)}" for name in ("pyoxigraph", "rdflib", "networkx")),
            "load average at start": " ".join(f"{value:.1f}" for value in load)}


class StepTimes(Progress):
    """A silent :class:`~ftgraph.progress.Progress` that records the seconds of each step."""

    def __init__(self) -> None:
        super().__init__(quiet=True)
        self.seconds: dict[str, float] = {}

    @contextlib.contextmanager
    def step(self, description: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        self.done(description, time.perf_counter() - started)

    def done(self, description: str, seconds: float) -> None:
        self.seconds[description] = seconds


def curated_worker(out: Path) -> None:
    """Child process: the main job (``ftgraph run``) on the curated data into ``out``; prints the
    seconds of each of its steps as JSON."""
    from ftgraph import pipeline
    from ftgraph.build import Paths

    progress = StepTimes()
    pipeline.run(Paths.default(out=out), progress=progress)
    print(json.dumps(progress.seconds))


@dataclass(frozen=True)
class CuratedRun:
    """``ftgraph run`` on the curated data: wall and CPU seconds, seconds per step."""

    wall: float
    cpu: float
    steps: dict[str, float]


def time_curated_run() -> CuratedRun:
    """``ftgraph run`` on the curated data, into a temporary folder, in a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryDirectory(prefix="ftgraph-bench-run-") as out:
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "ftgraph.bench", json.dumps({"curated": out + "/out"})],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        output, errors = process.communicate()
        wall = time.perf_counter() - started
        if process.returncode:
            raise FtgraphError(f"`ftgraph run` failed: {errors.strip()[-300:]}")
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        return CuratedRun(wall, cpu, json.loads(output.strip().splitlines()[-1]))


def measure_size(run: SizeRun, graph_nt: Path, contenders: tuple[str, ...], names: list[str], *, repeat: int,
                 caps: Caps, progress: Progress, capped_before: dict[str, dict[str, str]]) -> None:
    """``repeat`` rounds of every contender on one graph, in rotating order. An operation capped in a
    round is not run again, nor one capped at a smaller size (``capped_before``: contender → operation
    → "capped at 10k", updated with this size's); a contender whose load was capped is not run again."""
    earlier = {name: dict(capped_before.get(name, {})) for name in contenders}
    here: dict[str, set[str]] = {name: set() for name in contenders}
    for round_index in range(repeat):
        shift = round_index % len(contenders)
        for contender in contenders[shift:] + contenders[:shift]:
            skipped = {**{op: "capped in an earlier round" for op in here[contender]}, **earlier[contender]}
            if LOAD in skipped:
                if LOAD in earlier[contender] and round_index == 0:
                    run.sessions[contender] = [Session({
                        op: Outcome(CAPPED, detail=skipped[LOAD]) if op == LOAD else
                        Outcome(NOT_RUN, detail=f"load {skipped[LOAD]}") for op in operations(contender, names)})]
                continue
            todo = [op for op in operations(contender, names) if op not in skipped]
            with progress.step(f"{run.label}: {contender}, round {round_index + 1}/{repeat}"):
                session = run_session(contender, graph_nt, todo, caps)
            for operation, detail in skipped.items():
                session.outcomes[operation] = Outcome(CAPPED, detail=detail)
            here[contender] |= {op for op, outcome in session.outcomes.items()
                                if outcome.status == CAPPED and op not in skipped}
            run.sessions.setdefault(contender, []).append(session)
    for contender, operations_capped in here.items():
        for operation in operations_capped:
            capped_before.setdefault(contender, {}).setdefault(operation, f"capped at {run.label}")


def run_benchmark(sizes: list[int], *, repeat: int | list[int], caps: Caps, seed: int, work: Path, curated: bool,
                  progress: Progress, queries: list[str] | None = None,
                  contenders: tuple[str, ...] = CONTENDERS,
                  after_each_size: Callable[[BenchResults], object] | None = None) -> BenchResults:
    """Generate each size, then measure every contender at it (:func:`measure_size`), smallest size
    first; ``repeat``: rounds, one number for every size or one per size (in the order of ``sizes``);
    ``queries``: the library queries to run (default: all); ``after_each_size`` sees the results so
    far (to write them as they come: a long run that dies keeps its finished sizes)."""
    rounds = [repeat] * len(sizes) if isinstance(repeat, int) else list(repeat)
    if len(rounds) != len(sizes):
        raise FtgraphError(f"{len(rounds)} numbers of rounds for {len(sizes)} sizes: give one, or one per size")
    library = query.library()
    unknown = sorted(set(queries or ()) - set(library))
    if unknown:
        raise FtgraphError(f"unknown queries {', '.join(unknown)}; library queries: {', '.join(library)}")
    names = queries or list(library)
    results = BenchResults([], names, caps, seed, dt.datetime.now().isoformat(timespec="seconds"), environment())
    if curated:
        with progress.step("`ftgraph run` on the curated data"):
            try:
                results.curated_run = time_curated_run()
            except FtgraphError as exc:
                results.curated_run_error = str(exc)
    capped_before: dict[str, dict[str, str]] = {}
    for size, size_rounds in sorted(zip(sizes, rounds, strict=True)):
        with progress.step(f"synthetic graph of {size:,} triples"):
            folder = synthetic_graph(size, seed, work)
        described = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        run = SizeRun(_size_label(size), described["triples"], described["records"])
        results.sizes.append(run)
        measure_size(run, folder / GRAPH_NT, contenders, names, repeat=size_rounds, caps=caps, progress=progress,
                     capped_before=capped_before)
        if after_each_size is not None:
            after_each_size(results)
    return results


# --------------------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class Verdict:
    target: str
    measured: str
    met: bool | None  #: None: could not be measured, or (``undecided``) the bounds do not decide
    why: str
    undecided: bool = False

    @property
    def judgement(self) -> str:
        if self.met is None:
            return "undecided (bounds)" if self.undecided else "not measured"
        return "met" if self.met else "**missed**"


@dataclass(frozen=True)
class Ratio:
    """A ratio of two times (or memories): measured (``=``), or a bound (``≥``, ``≤``) when one side
    was stopped at the cap or did not finish its workload."""

    value: float
    bound: str = "="

    def __str__(self) -> str:
        shown = f"{self.value:.2f}×" if self.value < 10 else f"{self.value:.0f}×"
        return shown if self.bound == "=" else f"{self.bound} {shown}"

    def at_least(self, target: float) -> bool | None:
        """Whether the true ratio is ≥ ``target``; None when the bound does not decide."""
        if self.value >= target and self.bound in ("=", "≥"):
            return True
        if self.value < target and self.bound in ("=", "≤"):
            return False
        return None

    def at_most(self, target: float) -> bool | None:
        """Whether the true ratio is ≤ ``target``; None when the bound does not decide."""
        if self.value <= target and self.bound in ("=", "≤"):
            return True
        if self.value > target and self.bound in ("=", "≥"):
            return False
        return None


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return numerator / denominator


def _fmt_ratio(value: Ratio | float | None) -> str:
    if value is None:
        return "—"
    return str(value if isinstance(value, Ratio) else Ratio(value))


def _mb(value: float | None) -> str:
    return "—" if value is None else f"{value / 2**20:,.0f} MB"


def time_ratio(run: SizeRun, numerator: str, denominator: str, operation: str, cap: float) -> Ratio | None:
    """The time of ``numerator`` over that of ``denominator`` for one operation. A capped side took
    more than ``cap``: a capped numerator gives a lower bound, a capped denominator an upper bound;
    both capped (or either not measured): None."""
    sides = []
    for contender in (numerator, denominator):
        outcome = run.median(contender, operation)
        if outcome is None or outcome.status not in (OK, CAPPED) or (outcome.status == OK and not outcome.seconds):
            return None
        sides.append((outcome.seconds, False) if outcome.status == OK else (cap, True))
    (top, top_capped), (bottom, bottom_capped) = sides
    if top_capped and bottom_capped:
        return None
    assert top is not None and bottom is not None
    return Ratio(top / bottom, "≥" if top_capped else "≤" if bottom_capped else "=")


def _judged(target: str, ratio: Ratio | None, met: bool | None, why: str) -> Verdict:
    return Verdict(target, _fmt_ratio(ratio), met, why, undecided=ratio is not None and met is None)


def load_verdicts(run: SizeRun, caps: Caps) -> list[Verdict]:
    project, rdflib_time = run.seconds(PROJECT, LOAD), run.seconds(RDFLIB, LOAD)
    raw = run.seconds(OXIGRAPH, LOAD)
    speedup = time_ratio(run, RDFLIB, PROJECT, LOAD, caps.load)
    overhead = time_ratio(run, PROJECT, OXIGRAPH, LOAD, caps.load)
    disk_overhead = time_ratio(run, PROJECT, OXIGRAPH, LOAD_DISK, caps.load)
    persisted = (f"; the persisted on-disk store of `ftgraph query`: project "
                 f"{_secs(run.seconds(PROJECT, LOAD_DISK), run.median(PROJECT, LOAD_DISK))}, raw on-disk load "
                 f"{_secs(run.seconds(OXIGRAPH, LOAD_DISK), run.median(OXIGRAPH, LOAD_DISK))} "
                 f"({_fmt_ratio(disk_overhead)}: the rest is hashing graph.nt, the store's manifest and reopening it "
                 "read-only)")
    return [
        _judged("Loading ≥ 8× faster than rdflib", speedup, speedup.at_least(8) if speedup else None,
                f"in memory: project {_secs(project, run.median(PROJECT, LOAD))}, rdflib "
                f"{_secs(rdflib_time, run.median(RDFLIB, LOAD))}"),
        _judged("Loading within 1.5× of raw pyoxigraph bulk load", overhead,
                overhead.at_most(1.5) if overhead else None,
                f"in memory: project {_secs(project, run.median(PROJECT, LOAD))}, raw {_secs(raw)}{persisted}"),
    ]


def _secs(value: float | None, outcome: Outcome | None = None) -> str:
    if value is None:
        return outcome.status if outcome is not None else "—"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.1f} s"


def query_verdicts(run: SizeRun, names: list[str], cap: float) -> list[Verdict]:
    """Each query against both targets; a bound that does not decide is counted apart."""
    judged: dict[str, dict[bool | None, list[str]]] = {"rdflib": {True: [], False: [], None: []},
                                                      "raw": {True: [], False: [], None: []}}
    for name in names:
        operation = QUERY_PREFIX + name
        outcome = run.median(PROJECT, operation)
        if outcome is None or outcome.status not in (OK, CAPPED):
            continue
        project = _secs(run.seconds(PROJECT, operation), outcome)
        speedup = time_ratio(run, RDFLIB, PROJECT, operation, cap)
        judged["rdflib"][speedup.at_least(10) if speedup else None].append(
            f"{name} ({_fmt_ratio(speedup)}: project {project}, rdflib "
            f"{_secs(run.seconds(RDFLIB, operation), run.median(RDFLIB, operation))})")
        overhead = time_ratio(run, PROJECT, OXIGRAPH, operation, cap)
        judged["raw"][overhead.at_most(2) if overhead else None].append(
            f"{name} ({_fmt_ratio(overhead)}: project {project}, raw "
            f"{_secs(run.seconds(OXIGRAPH, operation), run.median(OXIGRAPH, operation))}, "
            f"{outcome.size if outcome.size is not None else '?'} rows)")
    verdicts = []
    for key, target, explanation in (
            ("rdflib", "Every library query ≥ 10× faster than rdflib", ""),
            ("raw", "Every library query within 2× of pyoxigraph",
             ". Both query an in-memory store; the project adds fixed costs (library lookup, syntax check, "
             "parameter binding: a fraction of a millisecond, which weighs on millisecond queries) and rows "
             "converted to Python values")):
        met, missed, undecided = (judged[key][verdict] for verdict in (True, False, None))
        measured = len(met) + len(missed) + len(undecided)
        why = "; ".join(part for part in (
            "below target: " + "; ".join(missed) + explanation if missed else "",
            "undecided (a capped time whose bound does not decide, or a contender that failed): "
            + "; ".join(undecided) if undecided else "",
        ) if part) or "all queries"
        verdict_met = None if not measured else False if missed else True if not undecided else None
        verdicts.append(Verdict(target, f"{len(met)} of {measured} queries" + (
            f" ({len(undecided)} undecided)" if undecided else ""), verdict_met, why,
            undecided=bool(measured) and verdict_met is None))
    return verdicts


def _complete(run: SizeRun, contender: str) -> bool:
    return all(outcome.status == OK for session in run.sessions.get(contender, [])
               for outcome in session.outcomes.values())


def memory_verdict(run: SizeRun) -> Verdict:
    """The project's peak over rdflib's; the peak of a contender that did not finish every operation
    is a lower bound of its peak over the whole workload."""
    project, rdflib_peak = run.memory(PROJECT), run.memory(RDFLIB)
    share = _ratio(project, rdflib_peak)
    project_complete, rdflib_complete = _complete(run, PROJECT), _complete(run, RDFLIB)
    bound = "=" if project_complete and rdflib_complete else "≤" if project_complete else \
        "≥" if rdflib_complete else ""
    ratio = Ratio(share, bound) if share is not None and bound else None
    met = ratio.at_most(0.5) if ratio else None
    shown = "—" if share is None else f"{'' if bound == '=' else bound + ' '}{share:.2f} of rdflib's" + (
        "" if bound else " (two lower bounds)")
    incomplete = [name for name, complete in ((PROJECT, project_complete), (RDFLIB, rdflib_complete))
                  if not complete]
    return Verdict(
        "Peak memory ≤ ½ of rdflib's", shown, met,
        f"peak over the whole workload: project {_mb(project)}, rdflib {_mb(rdflib_peak)}"
        + (f" ({' and '.join(incomplete)} did not finish every operation: a lower bound of "
           f"{'their' if len(incomplete) > 1 else 'its'} peak)" if incomplete else "")
        + f"; after loading: project {_mb(run.memory(PROJECT, True))}, rdflib {_mb(run.memory(RDFLIB, True))}",
        undecided=share is not None and met is None)


def metrics_verdict(results: BenchResults, reference: SizeRun) -> Verdict:
    """The projection's share of the metrics, at the reference size or else the largest size where the
    metrics finished within the cap. The measures alone are the metrics' time minus the projection's.
    Metrics capped at the reference size with the projection measured give an upper bound: the
    metrics took more than the cap, so the measures alone more than the cap minus the projection."""
    target = "Metrics within 2× of the bare measures"
    cap, projection_alone = results.caps.operation, reference.seconds(PROJECT, PROJECTION)
    capped = reference.median(PROJECT, METRICS)
    if capped is not None and capped.status == CAPPED and projection_alone is not None and projection_alone < cap:
        bound = Ratio(cap / (cap - projection_alone), "≤")
        return _judged(target, bound, bound.at_most(2),
                       f"at {reference.label} the metrics of all metropoles take more than the cap ({cap:g} s) "
                       f"while the projection alone (SPARQL → networkx graphs) takes {_secs(projection_alone)}: the "
                       f"measures take more than {_secs(cap - projection_alone)}, the whole at most {bound.value:.2f}× "
                       "of them")
    measured = [run for run in results.sizes if run.triples <= reference.triples
                and run.seconds(PROJECT, METRICS) is not None and run.seconds(PROJECT, PROJECTION) is not None]
    outcome = reference.median(PROJECT, METRICS)
    over = f"at {reference.label} the metrics are {outcome.status if outcome else 'not measured'}"
    if not measured:
        return Verdict(target, "—", None, f"{over}: the measures alone (networkx) exceed the cap")
    run = measured[-1]
    total, projection = run.seconds(PROJECT, METRICS) or 0.0, run.seconds(PROJECT, PROJECTION) or 0.0
    measures = total - projection
    ratio = _ratio(total, measures)
    where = "" if run is reference else f"at {run.label} ({over}, the measures alone exceeding the cap): "
    return Verdict(target, _fmt_ratio(ratio) if measures > 0 else "—", None if ratio is None else ratio <= 2,
                   f"{where}all metropoles {_secs(total)}, of which the projection (SPARQL → networkx graphs) "
                   f"{_secs(projection)}; the measures alone: {_secs(measures)}")


def growth_exponent(points: list[tuple[int, float]]) -> float | None:
    """Least-squares slope of log(time) against log(size): 1 is linear."""
    if len(points) < 2:
        return None
    xs = [math.log(size) for size, _ in points]
    ys = [math.log(seconds) for _, seconds in points]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread if spread else None


def growth_verdicts(results: BenchResults) -> list[Verdict]:
    """The project's log-log slope over the sizes ≥ 50k triples; a size where the operation was capped
    after a measured one gives a lower bound of the slope between them."""
    verdicts = []
    for operation in (LOAD, *EXPORTS):
        big = [run for run in results.sizes if run.triples >= 50_000]
        points = [(run.triples, seconds) for run in big if (seconds := run.seconds(PROJECT, operation)) is not None]
        capped = [run.triples for run in big if (outcome := run.median(PROJECT, operation)) is not None
                  and outcome.status == CAPPED]
        cap = results.caps.of(operation)
        slopes = [math.log(cap / seconds) / math.log(size / measured) for size in capped
                  for measured, seconds in points if measured < size and seconds < cap]
        if slopes:
            verdicts.append(Verdict(f"{operation.capitalize()} grows about linearly",
                                    f"time ∝ size^≥{max(slopes):.2f}", False if max(slopes) > 1.2 else None,
                                    "over the cap at a larger size: the log-log slope up to it is at least this "
                                    "much (see the plot)", undecided=max(slopes) <= 1.2))
            continue
        exponent = growth_exponent(points)
        verdicts.append(Verdict(
            f"{operation.capitalize()} grows about linearly",
            "—" if exponent is None else f"time ∝ size^{exponent:.2f}",
            None if exponent is None else exponent <= 1.2,
            "log-log slope over the sizes ≥ 50k triples (1 is linear; see the plot)" if exponent is not None
            else "needs two sizes ≥ 50k triples"))
    return verdicts


def curated_verdict(results: BenchResults) -> Verdict:
    run = results.curated_run
    target = "`make run` on the curated data well under a minute"
    if run is None:
        return Verdict(target, "—", None, results.curated_run_error or "not run (--no-curated)")
    steps = ", ".join(f"{name} {_secs(seconds)}" for name, seconds in run.steps.items())
    return Verdict(target, _secs(run.wall), run.wall < 60,
                   f"`ftgraph run` into a temporary folder, after installation: {_secs(run.cpu)} of CPU; machine "
                   f"load average at the start {results.environment.get('load average at start', '?')}; "
                   f"steps (after loading the data they run side by side, so their times add up to more than the "
                   f"whole): {steps}")


TARGETS = ("load ≥ 8× rdflib and ≤ 1.5× raw pyoxigraph", "each query ≥ 10× rdflib and ≤ 2× raw pyoxigraph",
           "peak memory ≤ ½ rdflib", "metrics ≤ 2× the bare measures", "load and export about linear",
           "make run < 1 min")


def verdicts(results: BenchResults) -> tuple[SizeRun | None, list[Verdict]]:
    """The targets, judged at 1M triples (else the largest size run)."""
    if not results.sizes:
        return None, [curated_verdict(results)]
    reference = min(results.sizes, key=lambda run: abs(math.log(run.triples / 1_000_000)))
    found = [*load_verdicts(reference, results.caps),
             *query_verdicts(reference, results.queries, results.caps.operation),
             memory_verdict(reference), metrics_verdict(results, reference), *growth_verdicts(results),
             curated_verdict(results)]
    return reference, found


# ---------------------------------------------------------------------------------------- output


def _size_label(size: int) -> str:
    for unit, scale in (("M", 1_000_000), ("k", 1_000)):
        if size >= scale and size % (scale // 10) == 0:
            return f"{size / scale:g}{unit}"
    return str(size)


def _cell(run: SizeRun, contender: str, operation: str) -> str:
    outcome = run.median(contender, operation)
    if outcome is None:
        return "—"
    if outcome.status == OK:
        return _secs(outcome.seconds)
    detail = outcome.detail.replace("|", "\\|")
    if outcome.status == ERROR or detail.startswith("capped at "):
        return f"{outcome.status} ({detail})"
    return outcome.status


def _results_table(run: SizeRun, results: BenchResults) -> list[str]:
    lines = [f"### {run.label} triples ({run.triples:,} triples; "
             + ", ".join(f"{count:,} {kind}" for kind, count in run.records.items()) + ")", "",
             "| operation | project | rdflib | pyoxigraph | rdflib ÷ project | project ÷ pyoxigraph |",
             "|---|---:|---:|---:|---:|---:|"]
    for operation in every_operation(results.queries):
        cells = [_cell(run, contender, operation) for contender in CONTENDERS]
        if all(cell == "—" for cell in cells):
            continue
        cap = results.caps.of(operation)
        speedup, overhead = (time_ratio(run, RDFLIB, PROJECT, operation, cap),
                             time_ratio(run, PROJECT, OXIGRAPH, operation, cap))
        lines.append(f"| {operation} | {' | '.join(cells)} | {_fmt_ratio(speedup)} | {_fmt_ratio(overhead)} |")
    memory = [_mb(run.memory(contender)) for contender in CONTENDERS]
    loaded = [_mb(run.memory(contender, True)) for contender in CONTENDERS]
    lines.append(f"| peak memory, whole workload | {' | '.join(memory)} | "
                 f"{_fmt_ratio(_ratio(run.memory(RDFLIB), run.memory(PROJECT)))} | |")
    lines.append(f"| memory after loading | {' | '.join(loaded)} | "
                 f"{_fmt_ratio(_ratio(run.memory(RDFLIB, True), run.memory(PROJECT, True)))} | |")
    return [*lines, ""]


METHOD = (
    "- Same work for every contender: the same graph file, the same query texts with the same parameter "
    "values, the same caps. Nothing is tuned to the targets.",
    "- Caps: an operation past the cap is stopped and reported as `> cap`. It is not run again in later "
    "rounds, nor at the larger sizes: the graphs of `ftgraph synth` grow by adding records of every kind, so an "
    "operation past the cap on a smaller graph would exceed it again (assumed, not measured; it saves hours "
    "of rdflib). A ratio with a capped side is a bound; a target is judged met or missed only when the "
    "bound decides it, otherwise `undecided`.",
    "- Rounds: several at the small sizes (medians), fewer at the largest one to keep the whole run near an "
    "hour on a shared 2-CPU machine; a single round is a single sample, noisier than a median.",
    "- Stores: the project's `load` is `engine.load_store`, graph.nt bulk-loaded into an in-memory store, the "
    "engine of processes that run many queries (metrics, pages, notebooks through `ftgraph.query`); the library "
    "queries, projection, metrics, page and exports run on it, as rdflib's and raw pyoxigraph's run on their "
    "in-memory stores. `load (on-disk store)` is `engine.open_store`, the persisted store that a one-shot "
    "`ftgraph query` opens without reloading (a RocksDB folder, a manifest of its files with sizes and CRC-32, "
    "the SHA-256 of graph.nt, reopened read-only), against raw pyoxigraph's on-disk bulk load; "
    "`every query (on-disk store)` runs each library query once on those on-disk stores.",
    "- Peak memory: each contender's child process high-water resident set (`VmHWM`) over its whole "
    "workload; a contender that did not finish every operation gives a lower bound of its peak.",
)


def render(results: BenchResults) -> str:
    """docs/benchmarks.md."""
    reference, judged = verdicts(results)
    at = f"{reference.label} triples" if reference else "no synthetic size"
    lines = [
        "# Benchmarks", "",
        "Written by `ftgraph bench` (do not edit by hand): the project, rdflib's default in-memory store "
        "and raw pyoxigraph calls doing the same work on synthetic graphs (`ftgraph synth`), side by side "
        "in one run. See `ftgraph/bench.py` for the method.", "",
        f"- Run: {results.started}; sizes {', '.join(run.label for run in results.sizes) or 'none'}; rounds "
        f"(medians): {', '.join(f'{results.rounds(run)} at {run.label}' for run in results.sizes) or 'none'}; "
        f"seed {results.seed}; time cap {results.caps.operation:g} s per operation and {results.caps.load:g} s "
        "per load, the same for every contender.",
        *(f"- {key.capitalize()}: {value}" for key, value in results.environment.items()),
        "- Contenders run one at a time in child processes, in a rotating order; timings on a shared machine "
        "vary from run to run, the ratios much less.", "",
        f"## Targets (issue 10, judged at {at})", "",
        "| target | measured | met? | why |", "|---|---|---|---|",
    ]
    for verdict in judged:
        lines.append(f"| {verdict.target} | {verdict.measured} | {verdict.judgement} | {verdict.why} |")
    lines += ["", "## Method", "", *METHOD, "", "## Results", "",
              "Median seconds per operation (a single round: that round's time). `> cap`: stopped at the cap, "
              "a lower bound; `> cap (capped at 100k)`: capped at a smaller size, so not run at this one; "
              "`not run`: the load did not finish within its cap. Ratios above 1 in `rdflib ÷ project` mean the "
              "project is faster; `project ÷ pyoxigraph` is the project's overhead over the bare engine. A "
              "ratio with a capped side is a bound (`≥`, `≤`).", ""]
    for run in results.sizes:
        lines += _results_table(run, results)
    lines += ["## What each contender does", "", "| operation | contender | calls |", "|---|---|---|"]
    for operation, calls in WORKLOAD.items():
        for contender, text in calls.items():
            lines.append(f"| {operation} | {contender} | {text} |")
    lines += ["", "![time against size, log-log](benchmarks.png)", ""]
    return "\n".join(lines)


def to_csv(results: BenchResults) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["size", "triples", "contender", "operation", "status", "median_s", "runs_s", "size_of_result"])
    for run in results.sizes:
        for contender in CONTENDERS:
            for operation in every_operation(results.queries):
                found = run.outcomes(contender, operation)
                median = run.median(contender, operation)
                if median is None:
                    continue
                runs = ";".join(f"{o.seconds:.6f}" if o.seconds is not None else o.status for o in found)
                writer.writerow([run.label, run.triples, contender, operation, median.status,
                                 f"{median.seconds:.6f}" if median.seconds is not None else "", runs,
                                 median.size if median.size is not None else ""])
            for name, after_load in (("peak memory (bytes)", False), ("memory after loading (bytes)", True)):
                value = run.memory(contender, after_load)
                if value is not None:
                    writer.writerow([run.label, run.triples, contender, name, OK, f"{value:.0f}", "", ""])
    return buffer.getvalue()


PLOTTED = {"load": (LOAD,), "library queries (sum)": (), "metrics, all metropoles": (METRICS,),
           "export N-Triples": ("export N-Triples",), "export Turtle": ("export Turtle",), VIZ: (VIZ,)}


def plot(results: BenchResults, path: Path) -> None:
    """Time against size, log-log, one panel per kind of operation, one line per contender."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(2, 3, figsize=(14, 8))
    styles = {PROJECT: ("-", "o"), RDFLIB: ("--", "s"), OXIGRAPH: (":", "^")}
    for axis, (title, ops) in zip(axes.flat, PLOTTED.items(), strict=True):
        for contender in CONTENDERS:
            xs, ys = [], []
            for run in results.sizes:
                names = ops or tuple(QUERY_PREFIX + name for name in results.queries)
                times = [run.seconds(contender, op) for op in names]
                if times and all(value is not None for value in times):
                    xs.append(run.triples)
                    ys.append(sum(value for value in times if value is not None))
            if xs:
                line, marker = styles[contender]
                axis.plot(xs, ys, line, marker=marker, label=contender)
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_title(title)
        axis.set_xlabel("triples")
        axis.set_ylabel("seconds (median)")
        axis.grid(True, which="both", alpha=0.3)
        if axis.has_data():
            axis.legend()
    figure.suptitle("ftgraph benchmark: time against size (log-log; missing points: over the cap)")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    plt.close(figure)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(buffer.getvalue())
    tmp.replace(path)


def write_outputs(results: BenchResults, markdown: Path) -> list[Path]:
    """docs/benchmarks.md, .csv and .png (same stem)."""
    csv_path, png_path = markdown.with_suffix(".csv"), markdown.with_suffix(".png")
    write_text_atomic(markdown, render(results))
    write_text_atomic(csv_path, to_csv(results))
    plot(results, png_path)
    return [markdown, csv_path, png_path]


@contextlib.contextmanager
def _work_dir(work: Path | None) -> Iterator[Path]:
    if work is not None:
        work.mkdir(parents=True, exist_ok=True)
        yield work
        return
    with tempfile.TemporaryDirectory(prefix="ftgraph-bench-") as temporary:
        yield Path(temporary)


def _names(text: str) -> set[str]:
    return {part.strip() for part in text.split(",") if part.strip()}


def _sizes(ctx: click.Context, param: click.Parameter, value: str) -> list[int]:
    try:
        return [parse_size(part) for part in value.split(",") if part.strip()]
    except FtgraphError as exc:
        raise click.BadParameter(str(exc)) from None


def _rounds(ctx: click.Context, param: click.Parameter, value: str) -> list[int]:
    try:
        rounds = [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        rounds = []
    if not rounds or min(rounds) < 1:
        raise click.BadParameter(f"{value!r}: expected a number of rounds ≥ 1, or one per size (3,3,1)")
    return rounds


@click.command()
@click.option("--sizes", default="10k,100k,1M", show_default=True, callback=_sizes,
              help="Comma-separated sizes of the synthetic graphs, in triples.")
@click.option("--repeat", default="3", show_default=True, callback=_rounds,
              help="Rounds per size (medians): one number, or one per size (e.g. 3,3,1).")
@click.option("--cap", default=300.0, show_default=True, type=click.FloatRange(1), help="Seconds per operation.")
@click.option("--load-cap", type=click.FloatRange(1), default=None,
              help="Seconds per load (default: --cap); the same for every contender.")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the synthetic graphs.")
@click.option("--out", "out", default=Path("docs/benchmarks.md"), show_default=True,
              type=click.Path(path_type=Path, dir_okay=False), help="Markdown report; .csv and .png beside it.")
@click.option("--work", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Keep the synthetic graphs here and reuse them (default: a temporary folder).")
@click.option("--curated/--no-curated", default=True, show_default=True,
              help="Also time `ftgraph run` on the curated data.")
@click.option("--queries", default="", help="Comma-separated library queries to run (default: all).")
@click.option("--contenders", default=",".join(CONTENDERS), show_default=True,
              help="Comma-separated contenders to run.")
@click.pass_obj
@user_errors
def bench(progress: Progress, sizes: list[int], repeat: list[int], cap: float, load_cap: float | None, seed: int,
          out: Path, work: Path | None, curated: bool, queries: str, contenders: str) -> None:
    """Benchmark the project against rdflib and raw pyoxigraph on synthetic graphs; write docs/benchmarks.*."""
    chosen = tuple(name for name in CONTENDERS if name in _names(contenders))
    unknown = _names(contenders) - set(CONTENDERS)
    if unknown or not chosen:
        raise FtgraphError(f"--contenders {contenders!r}: expected some of {', '.join(CONTENDERS)}")
    with _work_dir(work) as folder:
        results = run_benchmark(sizes, repeat=repeat[0] if len(repeat) == 1 else repeat,
                                caps=Caps(cap, load_cap or cap), seed=seed, work=folder, curated=curated,
                                progress=progress, queries=sorted(_names(queries)), contenders=chosen,
                                after_each_size=lambda partial: write_outputs(partial, out))
    for path in write_outputs(results, out):
        click.echo(str(path))
    _, judged = verdicts(results)
    for verdict in judged:
        click.echo(f"{verdict.judgement.strip('*'):>18}  {verdict.target}: {verdict.measured}")


if __name__ == "__main__":
    task = json.loads(sys.argv[1])
    if "curated" in task:
        curated_worker(Path(task["curated"]))
    else:
        worker(task)
