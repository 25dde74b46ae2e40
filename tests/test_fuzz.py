"""Fuzzing the inputs (hypothesis): YAML records, Turtle ontology and shapes, the JSON-LD context, SPARQL
text and query parameters, free text carried to the outputs. Every input ends in success or one clear
error naming its file (and record and field): never a traceback, a hang or a partial ``out/``.

The default run is small and derandomised (the same inputs each time, seconds per target), on the
minimal dataset of test_build; ``ftgraph reliability fuzz`` runs the same targets with thousands of
random inputs on real records (figures in docs/reliability.md).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from ftgraph.errors import DataErrors
from ftgraph.loader import load_dataset
from ftgraph.reliability import (
    Finding,
    Seed,
    Tally,
    Target,
    Workspace,
    data_outcome,
    fuzz_targets,
    normalise,
    parameter_outcome,
    run_target,
    text_values_outcome,
    time_limit,
)

from .conftest import ROOT
from .test_build import write_minimal

#: Inputs per target in the default run, scaled down by each target's cost (a build costs ~a second).
EXAMPLES = 40


@pytest.fixture(scope="module")
def seed() -> Seed:
    with tempfile.TemporaryDirectory() as folder:
        return Seed.from_dir(write_minimal(Path(folder)))


@pytest.fixture(scope="module")
def workspace(seed: Seed) -> Iterator[Workspace]:
    with tempfile.TemporaryDirectory(prefix="ftgraph-fuzz-") as folder:
        yield Workspace(Path(folder), seed, ROOT / "ontology")


@pytest.fixture(scope="module")
def targets(workspace: Workspace) -> dict[str, Target]:
    return fuzz_targets(workspace)


@pytest.fixture(scope="module")
def tally() -> Tally:
    return Tally()


TARGETS = ["YAML records (structured mutations)", "YAML files (damaged text)", "data through the whole build",
           "free text to graph.nt, graph.ttl, JSON-LD", "ontology and shapes (Turtle)", "JSON-LD context",
           "CSV tables and mappings (ingest)", "SPARQL text", "query parameters"]


@pytest.mark.parametrize("name", TARGETS)
def test_every_input_ends_in_success_or_one_clear_error(targets: dict[str, Target], tally: Tally,
                                                        name: str) -> None:
    target = targets[name]
    run_target(name, target, tally, examples=max(6, round(EXAMPLES / max(target.cost, 1))))
    assert name not in tally.findings, tally.findings.get(name)
    assert tally.tried[name] >= 6


def test_the_fuzzing_saw_refusals_and_acceptances(tally: Tally, targets: dict[str, Target]) -> None:
    """After the targets above: the inputs were really exercised, some refused and some accepted."""
    if set(tally.tried) != set(targets):
        pytest.skip("run with the whole module")
    assert sorted(targets) == sorted(TARGETS)
    assert tally.accepted["YAML records (structured mutations)"] < tally.tried["YAML records (structured mutations)"]
    assert tally.accepted["free text to graph.nt, graph.ttl, JSON-LD"] > 0
    assert tally.distinct_errors() >= 20, tally.errors


# -- the oracle itself and regressions ----------------------------------------------------------


def test_the_seed_builds_and_a_bad_date_is_refused_with_a_located_error(workspace: Workspace, seed: Seed) -> None:
    assert data_outcome(workspace, "records.yaml", seed.files["records.yaml"].encode()) == []
    bad = seed.files["records.yaml"].replace("founded: 2010", "founded: 2010-13")
    with pytest.raises(DataErrors) as caught, workspace.replaced(workspace.paths.data / "records.yaml", bad.encode()):
        load_dataset(workspace.paths.data)
    [error] = caught.value.errors
    assert (error.record, error.field, error.line) == ("acme", "founded", 4)
    assert data_outcome(workspace, "records.yaml", bad.encode()) == [
        "'2010-13' is not a valid date: month must be in 1..12"]


def test_a_hang_is_a_finding_and_messages_are_normalised() -> None:
    with pytest.raises(Finding, match="a hang"), time_limit(0.2, "a sleeper"):
        while True:
            pass
    assert normalise("/tmp/x/data/a.yaml:12: record 'acme', field 'founded': '2010-13' is bad") == \
        "FILE:N: record '…', field '…': '…' is bad"


@pytest.mark.parametrize("text", ["line\u2028separator", "next\u0085line", "vertical\x0btab", "form\x0cfeed",
                                  "nul\x00byte", "bom\ufeff", "e\u0301", "\U0001f600"])
def test_characters_that_split_lines_stay_inside_their_literal(workspace: Workspace, text: str) -> None:
    """Regression: graph.nt was sorted line by line with str.splitlines(), which also cuts at U+2028,
    U+0085, \\v and \\f, so a name holding one produced a graph.nt that no parser reads."""
    assert text_values_outcome(workspace, [text, "alt " + text]) == []


def test_regressions_found_by_fuzzing(workspace: Workspace) -> None:
    """Each of these was a traceback before its fix."""
    from ftgraph.engine import QuerySyntaxError, check_syntax
    from ftgraph.export import Exporter, ExportError, load_context
    from ftgraph.query import resolve

    context = workspace.paths.ontology / "context.jsonld"
    for content in (b"\x80{}", b"[" * 100_000, b'{"@context": {"x": {"@type": "y"}}}'):
        with workspace.replaced(context, content), pytest.raises(ExportError):
            Exporter(workspace.built, load_context(workspace.paths.ontology)).jsonld()
    assert resolve("SELECT * WHERE { ?s ?p ?o } #" + "x" * 400).name == "-e"  # longer than a file name
    with pytest.raises(QuerySyntaxError, match="levels deep"):  # pyoxigraph's parser overflowed its stack
        check_syntax("SELECT * WHERE { FILTER(" + "(" * 5000 + "1" + ")" * 5000 + ") }")
    assert parameter_outcome("org", "not an id") == [
        "parameter value (org) = 'not an id': expected an id such as 'atos' or an IRI "
        "https://w3id.org/ftgraph/org/ID"]
    assert data_outcome(workspace, "binary.yaml", bytes(range(256)), build=False)[0].startswith("not UTF-8")
