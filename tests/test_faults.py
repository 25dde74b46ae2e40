"""Faults: builds killed at random moments, damaged embedded stores, a SPARQL store killed during a push.

Small budgets here (seconds); ``ftgraph reliability faults`` runs the same checks many times on the real
data and the real command line (figures in docs/reliability.md).
"""

from __future__ import annotations

import random
import shutil
import time
from pathlib import Path

import pytest

from ftgraph import pipeline
from ftgraph.atomic import staged_dir
from ftgraph.build import GRAPH_NT, Paths
from ftgraph.progress import Progress
from ftgraph.reliability import (
    STORE_DAMAGES,
    Child,
    VirtuosoInstance,
    damage_store,
    in_child,
    kill_builds,
    output_tree,
    prepare_store,
    push_faults,
    store_answers,
    store_faults,
    synthetic_versions,
)

from .conftest import ROOT, require_program
from .test_build import MINIMAL_RECORDS, write_minimal

EXTRA_RECORD = """\
  - {id: beta, name: Beta, type: company, city: grenoble, sources: [src-one]}
"""
#: The graph files and the store: what `ftgraph build` and the queries rely on.
STAGES = pipeline.STAGES[:2]


def two_versions(root: Path) -> list[Path]:
    """Two data folders whose graphs differ by one organisation."""
    first = write_minimal(root / "a")
    second = write_minimal(root / "b", MINIMAL_RECORDS.replace("people:", EXTRA_RECORD + "people:"))
    return [first, second]


def test_killed_builds_leave_the_previous_or_the_new_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    versions = two_versions(tmp_path)

    def launch(data: Path) -> Child:
        return Child.pipeline(Paths(data, ROOT / "ontology", out), STAGES)

    report = kill_builds(launch, versions, out, trials=6, rng=random.Random(11), command="build")
    assert report.trials == 6
    assert report.damaged == [] and report.unusable == []
    assert report.outcomes["previous"] + report.outcomes["new"] == 6
    assert report.killed_running >= 3, report  # most kills land while the build runs
    assert report.leftovers_at_end == 0, "a build must clean the staging folders of killed builds"


def test_a_build_killed_while_staging_leaves_a_folder_that_the_next_build_removes(tmp_path: Path) -> None:
    """Deterministic version of the random kills: the process dies inside the staging block."""
    out = tmp_path / "out"
    data = write_minimal(tmp_path)
    paths = Paths(data, ROOT / "ontology", out)
    pipeline.run(paths, progress=Progress(quiet=True), stages=STAGES[:1])
    before = output_tree(out)
    with pytest.raises(KeyboardInterrupt), staged_dir(out) as staging:
        (staging / GRAPH_NT).write_text("half a triple <", encoding="utf-8")
        raise KeyboardInterrupt  # cleaned up by the context manager
    assert output_tree(out) == before
    killed = Child.pipeline(paths, [("stall", _stall)])
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".out.staging-*/graph.nt")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert killed.kill()
    assert output_tree(out) == before
    assert any(tmp_path.glob(".out.staging-*")), "the killed build left its staging folder"
    pipeline.run(paths, progress=Progress(quiet=True), stages=STAGES[:1])
    assert not any(tmp_path.glob(".out.staging-*"))
    assert output_tree(out) == before


def _stall(built: object, out_dir: Path, progress: object) -> list[Path]:
    """A stage that writes half its output, then waits to be killed."""
    (out_dir / GRAPH_NT).write_text("half a triple <", encoding="utf-8")
    time.sleep(600)
    return []


# -- damaged embedded stores ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def graph_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """out/ with the graph files of the minimal dataset (no store yet)."""
    root = tmp_path_factory.mktemp("graph")
    out = root / "out"
    pipeline.run(Paths(write_minimal(root), ROOT / "ontology", out), progress=Progress(quiet=True),
                 stages=STAGES[:1])
    return out


@pytest.fixture
def built_out(graph_out: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(graph_out, tmp_path / "out"))


@pytest.mark.parametrize("damage", STORE_DAMAGES)
def test_a_damaged_store_is_rebuilt_not_used(built_out: Path, damage: str) -> None:
    in_child(prepare_store, built_out)
    done = damage_store(built_out, damage, random.Random(damage))
    assert "nothing to damage" not in done
    assert in_child(store_answers, built_out) is None, done


def test_store_builds_killed_at_random_moments(built_out: Path) -> None:
    report = store_faults(built_out, rounds=0, kills=4, rng=random.Random(5))
    assert report.killed_builds == 4
    assert report.wrong == []
    assert report.leftovers == 0, "a store build must remove the temporary folders of killed builds"


def test_a_store_build_removes_the_folders_of_killed_builds(built_out: Path) -> None:
    """Deterministic version of the kills above: a killed build's temporary folder is there."""
    (built_out / ".store.building-killed" / "db").mkdir(parents=True)
    in_child(prepare_store, built_out)
    assert not list(built_out.glob(".store.building-*"))
    assert in_child(store_answers, built_out) is None


# -- a SPARQL store killed during a push ------------------------------------------------------------


@pytest.mark.virtuoso
def test_a_push_interrupted_by_a_dying_store_can_be_rerun_to_the_exact_graph(tmp_path: Path) -> None:
    require_program("virtuoso-t", "virtuoso-opensource")
    require_program("isql-vt", "virtuoso-opensource")
    with VirtuosoInstance(tmp_path / "virtuoso") as instance:
        report = push_faults(instance, synthetic_versions(1500, seed=3), "https://w3id.org/ftgraph/graph/faults",
                             trials=3, rng=random.Random(1), batch_size=50)
    assert report.trials == 3
    assert report.wrong == []
    assert report.after_kill["previous graph"] + report.after_kill["new graph"] == 3
    assert report.exact_after_rerun == 3
    assert report.staging_graphs_left == 0, "the temporary graphs of the killed pushes must not pile up"
