"""Killable query workers for the server: each query runs in a worker process that can be stopped.

pyoxigraph's Python API has no query timeout, and a query running in Rust code cannot be interrupted
from Python (not even by a signal handler, which only runs between Python bytecodes). So every job
runs in one of ``size`` worker processes, each holding the embedded store opened read-only
(:func:`ftgraph.engine.open_store`); a job still running at its deadline gets its worker killed
(SIGKILL: the worker holds nothing but a read-only store) and a fresh worker takes its place, while
the other workers keep answering. Pebble's process pool does the same with a 3 s grace period after
SIGTERM, during which a query running in Rust keeps the CPU: hence this small pool.

Workers are started by a fork server that has already imported the job modules, so a replacement
is ready in a fraction of a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import resource
import signal
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from ftgraph.engine import open_store
from ftgraph.errors import FtgraphError

__all__ = ["ClientError", "Job", "WorkerPool", "default_workers"]

log = logging.getLogger("ftgraph.server")

#: A job: a picklable callable run in a worker with the store; returns a picklable value.
Job = Callable[[ox.Store], Any]

#: Modules imported once by the fork server so that new workers start fast: the jobs' modules, and
#: the CLI, which each worker runs again as its ``__main__`` (Python 3.11's fork server cannot
#: preload ``__main__`` itself: it looks for a ``main_path`` key that is never sent).
_PRELOAD = ["ftgraph.cli", "ftgraph.server_sparql", "ftgraph.server_entity"]
_READY = "ready"
_STARTUP_SECONDS = 120.0  # opening (or first building) the store of a large graph


def default_workers() -> int:
    """Two to four query workers, depending on the cores."""
    return max(2, min(4, os.cpu_count() or 1))


class ClientError(Exception):
    """An error the client sees: an HTTP status and a short message (never a traceback)."""

    def __init__(self, status: int, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(status, message, details)
        self.status = status
        self.message = message
        #: Extra fields for a JSON error body (e.g. a syntax error's line and column).
        self.details = details or {}


def default_worker_memory(size: int) -> int:
    """Bytes of memory each of ``size`` query workers may use: half the machine's memory, shared."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (2 * size)


def _worker_main(conn: Connection, out_dir: Path, memory: int) -> None:
    """A worker's loop: open the store, then run each job received and send back its outcome.

    The worker's data may not grow past ``memory`` bytes: a query that needs more (an ORDER BY over a
    cross product, strings doubled in BINDs) fails to allocate, pyoxigraph aborts, and the pool reports
    it and replaces the worker, instead of the machine running out of memory."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which stops its workers
    resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))
    try:
        store = open_store(out_dir)
    except Exception as exc:  # reported to the parent, which names it in its own error
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))
        return
    conn.send((_READY, os.getpid()))
    while True:
        try:
            job = conn.recv()
        except EOFError:  # the server closed the pipe: stop
            return
        try:
            outcome: tuple[str, Any] = ("ok", job(store))
        except ClientError as exc:
            outcome = ("client-error", exc)
        except Exception:  # a bug: logged in the server's log, a short message for the client
            log.error("query worker: unexpected error\n%s", traceback.format_exc())
            outcome = ("client-error", ClientError(500, "internal error while running the request"))
        conn.send(outcome)


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, process: BaseProcess, conn: Connection) -> None:
        self.process = process
        self.conn = conn

    @classmethod
    def start(cls, context: Any, out_dir: Path, memory: int) -> _Worker:
        """Start a worker and wait until its store is open (raises FtgraphError when it cannot)."""
        parent_end, child_end = context.Pipe()
        process = context.Process(target=_worker_main, args=(child_end, out_dir, memory), name="ftgraph-query-worker",
                                  daemon=True)
        process.start()
        child_end.close()
        worker = cls(process, parent_end)
        try:
            if not parent_end.poll(_STARTUP_SECONDS):
                raise FtgraphError(f"a query worker did not open the store {out_dir} within {_STARTUP_SECONDS:.0f} s")
            status, detail = parent_end.recv()
        except EOFError:
            status, detail = "failed", f"exit code {process.exitcode}"
        except BaseException:
            worker.kill()
            raise
        if status != _READY:
            worker.kill()
            raise FtgraphError(f"a query worker could not open the store in {out_dir}: {detail}")
        return worker

    def reply(self, timeout: float) -> tuple[str, Any] | None:
        """The job's outcome, or None when none arrived within ``timeout`` seconds (blocking)."""
        if not self.conn.poll(max(timeout, 0.0)):
            return None
        outcome: tuple[str, Any] = self.conn.recv()
        return outcome

    def kill(self) -> None:
        """Stop the process at once (it may be inside a query that ignores signals) and reap it."""
        with contextlib.suppress(ProcessLookupError, ValueError, AttributeError):
            self.process.kill()
        with contextlib.suppress(ValueError, AssertionError):
            self.process.join(5)
        self.conn.close()


class WorkerPool:
    """``size`` killable worker processes sharing the read-only store of ``out_dir``.

    :meth:`run` gives a job to an idle worker and waits at most ``timeout`` seconds (including the
    wait for an idle worker); a job still running then is stopped by killing its worker, which is
    replaced in the background.
    """

    def __init__(self, out_dir: Path, size: int, memory: int | None = None) -> None:
        if size < 1:
            raise FtgraphError(f"--workers {size}: at least one query worker is needed")
        self.out_dir = out_dir
        self.size = size
        self.memory = memory or default_worker_memory(size)  #: bytes per worker
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(_PRELOAD)
        # Threads that wait for replies (one per busy worker) and start replacements.
        self._threads = ThreadPoolExecutor(max_workers=2 * size + 1, thread_name_prefix="ftgraph-pool")
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        self._all: set[_Worker] = set()
        self._replacing: set[asyncio.Task[None]] = set()
        self._closed = False

    def start(self) -> None:
        """Start every worker (in parallel) and wait until each has opened the store; call it before
        serving (it blocks)."""
        pending = [self._threads.submit(_Worker.start, self._context, self.out_dir, self.memory)
                   for _ in range(self.size)]
        failures = []
        for future in pending:
            try:
                worker = future.result()
            except Exception as exc:
                failures.append(exc)
                continue
            self._all.add(worker)
            self._idle.put_nowait(worker)
        if failures:
            self.close()
            raise failures[0]

    async def run(self, job: Job, timeout: float) -> Any:
        """Run ``job`` in a worker; raises :class:`ClientError` (503) when it does not finish in time."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            worker = await asyncio.wait_for(self._idle.get(), timeout)
        except TimeoutError:
            raise ClientError(503, f"all {self.size} query workers stayed busy for {timeout:g} s; "
                                   "try again later") from None
        outcome = None
        try:
            worker.conn.send(job)
            outcome = await loop.run_in_executor(self._threads, worker.reply, deadline - loop.time())
        except (EOFError, OSError, BrokenPipeError):
            raise self._died(worker) from None
        finally:
            # No outcome (deadline, crash, cancelled request): the worker may still be running: kill it.
            if outcome is None:
                self._replace(worker)
            else:
                self._idle.put_nowait(worker)
        if outcome is None:
            raise ClientError(503, f"the query ran longer than the server's limit of {timeout:g} s and was "
                                   "stopped; narrow it (LIMIT, more specific patterns)")
        status, value = outcome
        if status == "client-error":
            raise value
        return value

    def _died(self, worker: _Worker) -> ClientError:
        """The error for a worker that died in a job: out of memory (pyoxigraph aborts when an allocation
        fails) or a crash."""
        worker.process.join(5)
        if worker.process.exitcode == -signal.SIGABRT:
            return ClientError(503, f"the query needed more memory than the server's limit of {self.memory >> 20} MB "
                                    "per query and was stopped; narrow it (LIMIT, more specific patterns)")
        return ClientError(500, "the query worker stopped unexpectedly")

    def _replace(self, worker: _Worker) -> None:
        """Kill ``worker`` and start another one in the background."""
        self._all.discard(worker)
        worker.kill()
        if self._closed:
            return
        task = asyncio.get_running_loop().create_task(self._start_replacement())
        self._replacing.add(task)
        task.add_done_callback(self._replacing.discard)

    async def _start_replacement(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._closed:
            try:
                worker = await loop.run_in_executor(self._threads, _Worker.start, self._context, self.out_dir,
                                                   self.memory)
            except FtgraphError as exc:
                log.error("could not replace a query worker (retrying in 1 s): %s", exc)
                await asyncio.sleep(1)
                continue
            if self._closed:
                worker.kill()
                return
            self._all.add(worker)
            self._idle.put_nowait(worker)
            return

    def close(self) -> None:
        """Stop every worker."""
        self._closed = True
        for task in self._replacing:
            task.cancel()
        for worker in list(self._all):
            worker.kill()
        self._all.clear()
        self._threads.shutdown(wait=False, cancel_futures=True)
