"""The main job (``ftgraph run`` / ``make run``): build, validate, then every stage writes into ``out/``.

Stages talk through the built graph, never through each other. Each stage is a function
``(built, out_dir, progress) -> list of written paths``; all of them write into one staging copy of
``out/`` that replaces it atomically at the end, so a failed run leaves the previous ``out/`` intact.

Where the process may fork, the SHACL validation and the stages run side by side in forked children
(they share the built graph, copy-on-write): a stage starts once the earlier stages it reads
(:data:`READS`) have finished, and ``out/`` is replaced only when the validation and every stage have
succeeded. A graph that violates the shapes fails the run with the validation's error, whatever the
stages did with it. Elsewhere (a daemon process, no ``fork``) they run one after the other.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import multiprocessing
import os
import pickle
import signal
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from ftgraph.atomic import staged_dir
from ftgraph.build import BuiltGraph, Paths, accept, build_graph, check_built, write_graph_files
from ftgraph.engine import disk_store_opened, store_stage
from ftgraph.errors import FtgraphError
from ftgraph.federation import metrics_stage
from ftgraph.namespaces import DEFAULT_BASE_IRI
from ftgraph.progress import Progress
from ftgraph.release import release_stage
from ftgraph.viz import index_stage, pages_stage

Stage = Callable[[BuiltGraph, Path, Progress], list[Path]]


def _graph_stage(built: BuiltGraph, out_dir: Path, progress: Progress) -> list[Path]:
    return write_graph_files(built, out_dir)


def _figures_stage(built: BuiltGraph, out_dir: Path, progress: Progress) -> list[Path]:
    from ftgraph.figures import figures_stage  # matplotlib: only for the runs that draw

    return figures_stage(built, out_dir, progress)


#: Ordered stages of the main job; later stages may read files written by earlier ones in ``out_dir``.
STAGES: list[tuple[str, Stage]] = [
    ("graph files", _graph_stage),
    ("embedded SPARQL store", store_stage),
    ("federation metrics (out/metrics/)", metrics_stage),
    ("release (exports, metrics, dataset description, checksums)", release_stage),
    ("network pages (out/viz/)", pages_stage),
    ("figures (out/figures/)", _figures_stage),
    ("out/index.html (keep last: it links every file)", index_stage),
]

#: The earlier stages whose files a stage reads. A stage missing here may read any earlier stage's
#: files: it starts once every earlier stage has finished.
READS: dict[Stage, tuple[Stage, ...]] = {
    _graph_stage: (),
    store_stage: (_graph_stage,),
    metrics_stage: (),
    release_stage: (metrics_stage,),  # ships out/metrics/observations.ttl
    pages_stage: (),
    _figures_stage: (metrics_stage,),  # drawn from out/metrics/*.csv
}

VALIDATION_STEP = "SHACL validation"


@dataclass(frozen=True)
class RunResult:
    built: BuiltGraph
    written: list[Path]


def run(paths: Paths, base_iri: str = DEFAULT_BASE_IRI, *, progress: Progress,
        stages: list[tuple[str, Stage]] | None = None) -> RunResult:
    """Build and validate the graph and run ``stages`` (default: all), replacing ``paths.out`` atomically."""
    stages = STAGES if stages is None else stages
    parallel = _can_fork()
    with progress.step("load and map the curated data" if parallel else "load, map and validate the curated data"):
        built = build_graph(paths, base_iri, validate=not parallel)
    written: list[Path] = []
    with staged_dir(paths.out) as staging:
        if parallel:
            written = _run_forked(built, paths.ontology, stages, staging, progress)
        else:
            for name, stage in stages:
                with progress.step(name):
                    written += stage(built, staging, progress)
    final = [paths.out.resolve() / path.relative_to(staging) for path in written]
    return RunResult(built, final)


# Forked stages ----------------------------------------------------------------------------------------


def _can_fork() -> bool:
    """Whether this process may have forked children: not a daemon process (e.g. a pool's worker), and
    no on-disk store opened here before (a child building the store would hang: see
    :func:`ftgraph.engine.disk_store_opened`; e.g. a notebook or test process that queried out/store)."""
    return ("fork" in multiprocessing.get_all_start_methods() and not multiprocessing.current_process().daemon
            and not disk_store_opened())


def _run_forked(built: BuiltGraph, ontology_dir: Path, stages: Sequence[tuple[str, Stage]], out_dir: Path,
                progress: Progress) -> list[Path]:
    """The validation and ``stages`` in forked children, each stage once the stages it reads are done;
    the written paths in the order of ``stages``. Raises the validation's error when the graph violates
    the shapes, else the first error of a stage; no child outlives the call."""
    children = _Children()
    try:
        children.start(VALIDATION_STEP, check_built, (built, ontology_dir))
        _ = built.actor_data  # loaded once (with the engine) while the validation runs, shared by the stages
        waiting = dict(enumerate(stages))
        done: dict[int, list[Path]] = {}
        validated = False
        failure: BaseException | None = None
        while not validated or waiting or children.running:
            for index in [i for i in waiting if all(j in done for j in _needs(stages, i))]:
                children.start(index, stages[index][1], (built, out_dir, Progress(quiet=True)))
                del waiting[index]
            key, result, seconds = children.next_finished()
            name = VALIDATION_STEP if key == VALIDATION_STEP else stages[key][0]
            if isinstance(result, _Failed):
                if key == VALIDATION_STEP:
                    raise result.raised()
                failure = failure or result.raised()
                children.stop_stages()  # the run fails: no use finishing the others; the validation may
                waiting.clear()  # still explain the failure
                continue
            progress.done(name, seconds)
            if key == VALIDATION_STEP:
                accept(built, result)  # raises when the graph violates the shapes
                validated = True
            else:
                done[key] = result
        if failure is not None:
            raise failure
        return [path for index in sorted(done) for path in done[index]]
    finally:
        children.stop_all()


def _needs(stages: Sequence[tuple[str, Stage]], index: int) -> list[int]:
    """Indexes of the earlier stages that stage ``index`` waits for (:data:`READS`)."""
    reads = READS.get(stages[index][1])
    return [i for i in range(index) if reads is None or stages[i][1] in reads]


@dataclass(frozen=True)
class _Failed:
    """What a child sends back when its function raised: the exception and the child's traceback."""

    error: BaseException
    traceback: str

    def raised(self) -> BaseException:
        """The error to raise here; a bug (not an :class:`FtgraphError`) keeps where it happened."""
        if not isinstance(self.error, FtgraphError):
            self.error.__cause__ = _RemoteTraceback(f'\n"""\n{self.traceback}"""')
        return self.error


class _RemoteTraceback(Exception):
    def __str__(self) -> str:
        return str(self.args[0])


class _Children:
    """Forked children running one function each and sending back its result (or its error)."""

    def __init__(self) -> None:
        self.running: dict[Connection, tuple[Any, BaseProcess, float]] = {}

    def start(self, key: Any, function: Callable[..., Any], args: tuple[Any, ...]) -> None:
        context = multiprocessing.get_context("fork")
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=_child, args=(function, args, sender))
        process.start()
        assert process.pid is not None
        with contextlib.suppress(OSError):  # also done by the child: whichever runs first
            os.setpgid(process.pid, process.pid)
        sender.close()
        self.running[receiver] = (key, process, time.perf_counter())

    def next_finished(self) -> tuple[Any, Any, float]:
        """Wait for a child to finish: its key, its result (or :class:`_Failed`) and its seconds."""
        receiver = wait(list(self.running))[0]
        assert isinstance(receiver, Connection)
        key, process, started = self.running.pop(receiver)
        try:
            result = receiver.recv()
        except EOFError:  # killed, or crashed in native code
            process.join()
            result = _Failed(FtgraphError(f"a stage of the run died (exit code {process.exitcode})"), "")
        receiver.close()
        process.join()
        return key, result, time.perf_counter() - started

    def stop_stages(self) -> None:
        """Kill every running stage; the validation goes on."""
        for receiver, (key, process, _) in list(self.running.items()):
            if key != VALIDATION_STEP:
                self._kill(receiver, process)

    def stop_all(self) -> None:
        for receiver, (_, process, _) in list(self.running.items()):
            self._kill(receiver, process)

    def _kill(self, receiver: Connection, process: BaseProcess) -> None:
        assert process.pid is not None
        for kill in (os.killpg, os.kill):  # its group: the workers it started too
            with contextlib.suppress(ProcessLookupError, PermissionError):
                kill(process.pid, signal.SIGKILL)
        process.join()
        receiver.close()
        del self.running[receiver]


def _child(function: Callable[..., Any], args: tuple[Any, ...], sender: Connection) -> None:
    """Body of a forked child: ``function(*args)``, its result or error sent back through ``sender``."""
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)  # a group of its own, so that a failed run stops the workers it starts too
    _die_with_parent()
    try:
        result: Any = function(*args)
    except BaseException as exc:  # sent to the parent, which raises it
        result = _failed(exc)
    sender.send(result)
    sender.close()


def _failed(exc: BaseException) -> _Failed:
    """``exc`` ready to send: itself when pickling gives it back the same, else an error with its message
    (and exit code)."""
    try:
        copy = pickle.loads(pickle.dumps(exc))
        same = type(copy) is type(exc) and str(copy) == str(exc)
    except Exception:  # any exception type may fail to pickle
        same = False
    error = exc
    if not same and isinstance(exc, FtgraphError):
        error = FtgraphError(str(exc))
        error.exit_code = exc.exit_code
    elif not same:
        error = RuntimeError(f"{type(exc).__name__}: {exc}")
    return _Failed(error, "".join(traceback.format_exception(exc)))


def _die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies (a killed run leaves no child writing)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return
    prctl = getattr(ctypes.CDLL(name, use_errno=True), "prctl", None)
    if prctl is not None:
        prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
