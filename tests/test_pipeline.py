"""The main job's scheduling: the validation and the stages side by side in forked children, each stage
after the stages it reads, ``out/`` replaced only when all of them succeeded."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from ftgraph import pipeline
from ftgraph.bench import StepTimes
from ftgraph.build import BuiltGraph, Paths
from ftgraph.engine import disk_store_opened, open_store, store_stage
from ftgraph.errors import FtgraphError, ValidationFailed
from ftgraph.progress import Progress

from .conftest import ROOT
from .test_build import paths_with_stricter_shapes, write_minimal

QUIET = Progress(quiet=True)


@pytest.fixture(autouse=True)
def forking(monkeypatch: pytest.MonkeyPatch) -> None:
    """The forked scheduling, whatever stores earlier tests of this process opened: these stages never
    open one (see test_no_fork_after_an_on_disk_store_was_opened)."""
    monkeypatch.setattr(pipeline, "disk_store_opened", lambda: False)


def _paths(tmp_path: Path) -> Paths:
    return Paths(write_minimal(tmp_path), ROOT / "ontology", tmp_path / "out")


def _previous_out(paths: Paths) -> None:
    paths.out.mkdir()
    (paths.out / "previous.txt").write_text("kept", encoding="utf-8")


def _stamp(name: str, pause: float = 0.0) -> pipeline.Stage:
    """A stage that waits ``pause`` s, then writes ``NAME.txt`` holding when it started and ended and
    which files it saw when it started."""

    def stage(built: BuiltGraph, out_dir: Path, progress: Progress) -> list[Path]:
        started = time.monotonic()
        seen = sorted(path.name for path in out_dir.glob("*.txt"))
        time.sleep(pause)
        path = out_dir / f"{name}.txt"
        path.write_text(f"{started} {time.monotonic()} {' '.join(seen)}", encoding="utf-8")
        return [path]

    return stage


def _times(out: Path, name: str) -> tuple[float, float, list[str]]:
    started, ended, *seen = (out / f"{name}.txt").read_text(encoding="utf-8").split(" ")
    return float(started), float(ended), seen


def test_stages_run_side_by_side_after_the_stages_they_read(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    first, independent = _stamp("first", 1.0), _stamp("independent", 1.0)
    reader, last = _stamp("reader"), _stamp("last")
    monkeypatch.setitem(pipeline.READS, first, ())
    monkeypatch.setitem(pipeline.READS, independent, ())
    monkeypatch.setitem(pipeline.READS, reader, (first,))
    paths = _paths(tmp_path)
    stages = [("first", first), ("independent", independent), ("reader", reader), ("last", last)]
    timed = StepTimes()
    result = pipeline.run(paths, progress=timed, stages=stages)
    assert set(timed.seconds) == {"load and map the curated data", pipeline.VALIDATION_STEP, *dict(stages)}
    assert timed.seconds["first"] >= 1.0  # each child's own time, reported to the parent's progress
    out = paths.out.resolve()
    assert result.written == [out / f"{name}.txt" for name, _ in stages]  # in the order of the stages
    assert result.built.report.conforms
    first_start, first_end, _ = _times(out, "first")
    independent_start, independent_end, _ = _times(out, "independent")
    assert independent_start < first_end and first_start < independent_end  # side by side
    reader_start, reader_end, seen = _times(out, "reader")
    assert reader_start >= first_end and "first.txt" in seen
    last_start, _, seen = _times(out, "last")
    assert last_start >= max(independent_end, reader_end)  # not in READS: after every earlier stage
    assert seen == ["first.txt", "independent.txt", "reader.txt"]


class _Refused(FtgraphError):
    exit_code = 3


def _refuse(built: BuiltGraph, out_dir: Path, progress: Progress) -> list[Path]:
    (out_dir / "half.txt").write_text("half", encoding="utf-8")
    raise _Refused("stage refused: bad thing in record 'x'")


def test_a_failed_stage_fails_the_run_with_its_error_and_stops_the_others(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    slow = _stamp("slow", 60.0)
    monkeypatch.setitem(pipeline.READS, slow, ())
    monkeypatch.setitem(pipeline.READS, _refuse, ())
    paths = _paths(tmp_path)
    _previous_out(paths)
    started = time.monotonic()
    with pytest.raises(_Refused, match="bad thing in record 'x'") as caught:
        pipeline.run(paths, progress=QUIET, stages=[("slow", slow), ("refuse", _refuse)])
    assert caught.value.exit_code == 3
    assert time.monotonic() - started < 50, "the slow stage was not stopped"
    assert sorted(path.name for path in paths.out.iterdir()) == ["previous.txt"]
    assert not list(tmp_path.glob(".out.staging-*"))


def _bug(built: BuiltGraph, out_dir: Path, progress: Progress) -> list[Path]:
    return [Path("/").joinpath(*[1])]  # type: ignore[list-item]  # TypeError


def test_a_bug_in_a_stage_keeps_its_traceback(tmp_path: Path) -> None:
    with pytest.raises(TypeError) as caught:
        pipeline.run(_paths(tmp_path), progress=QUIET, stages=[("bug", _bug)])
    assert "_bug" in str(caught.value.__cause__)


def test_a_shape_violation_fails_the_run_whatever_the_stages_did(tmp_path: Path) -> None:
    paths = paths_with_stricter_shapes(tmp_path)
    _previous_out(paths)
    for stages in ([("fine", _stamp("fine"))], [("refuse", _refuse)]):  # a stage's error is not the cause
        with pytest.raises(ValidationFailed, match="needs a website") as caught:
            pipeline.run(paths, progress=QUIET, stages=stages)
        assert caught.value.exit_code == 1
        assert sorted(path.name for path in paths.out.iterdir()) == ["previous.txt"]


def test_no_fork_after_an_on_disk_store_was_opened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A process that opened an on-disk store (RocksDB threads) runs the stages itself: a forked child
    building the store would wait forever for threads it did not inherit."""
    monkeypatch.undo()  # the real rule
    paths = _paths(tmp_path)
    previous = tmp_path / "previous"
    previous.mkdir()
    (previous / "graph.nt").write_text("<urn:x:a> <urn:x:b> <urn:x:c> .\n", encoding="utf-8")
    open_store(previous)
    assert disk_store_opened() and not pipeline._can_fork()
    pid = os.getpid()

    def where(built: BuiltGraph, out_dir: Path, progress: Progress) -> list[Path]:
        path = out_dir / "pid.txt"
        path.write_text(str(os.getpid()), encoding="utf-8")
        return [path]

    stages = [stage for stage in pipeline.STAGES if stage[1] in (pipeline._graph_stage, store_stage)]
    result = pipeline.run(paths, progress=QUIET, stages=[*stages, ("where", where)])
    assert (paths.out / "pid.txt").read_text(encoding="utf-8") == str(pid)  # not forked
    assert len(open_store(paths.out)) == len(result.built.combined)  # the store stage built the store
