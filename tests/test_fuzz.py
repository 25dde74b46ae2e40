"""Fuzzing the inputs (hypothesis): YAML records, Turtle ontology and shapes, the JSON-LD context, SPARQL
text and query parameters. Every input ends in success or one clear error naming its file (and record
and field): never a traceback, a hang or a partial ``out/``.

The default run is small and derandomised (the same inputs each time, a few seconds per target); the
long runs are ``ftgraph reliability fuzz`` (figures in docs/reliability.md).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ftgraph.build import ONTOLOGY_FILE, SHAPES_FILE
from ftgraph.engine import EmbeddedEngine, open_store
from ftgraph.errors import DataErrors
from ftgraph.query import ENTITY_KINDS, KINDS, library
from ftgraph.reliability import (
    NASTY_TEXT,
    Finding,
    Seed,
    Tally,
    Workspace,
    byte_mutations,
    data_inputs,
    data_outcome,
    free_texts,
    jsonld_context_outcome,
    normalise,
    ontology_outcome,
    parameter_outcome,
    query_outcome,
    record_mutations,
    text_values_outcome,
    time_limit,
)

from .conftest import ROOT
from .test_build import write_minimal

FAST = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
#: Inputs that reach the SHACL validation and the writing of out/ cost about a second each.
SLOW = settings(FAST, max_examples=12)


@pytest.fixture(scope="module")
def seed() -> Seed:
    with tempfile.TemporaryDirectory() as folder:
        return Seed.from_dir(write_minimal(Path(folder)))


@pytest.fixture(scope="module")
def workspace(seed: Seed) -> Iterator[Workspace]:
    with tempfile.TemporaryDirectory(prefix="ftgraph-fuzz-") as folder:
        yield Workspace(Path(folder), seed, ROOT / "ontology")


@pytest.fixture(scope="module")
def tally() -> Tally:
    return Tally()


# -- the oracle itself ------------------------------------------------------------------------------


def test_seed_builds_and_mutations_are_refused_with_located_errors(workspace: Workspace, seed: Seed) -> None:
    """The seed loads, and a known-bad record gets a located error (file, line, record, field)."""
    assert data_outcome(workspace, "records.yaml", seed.files["records.yaml"].encode()) == []
    bad = seed.files["records.yaml"].replace("founded: 2010", "founded: 2010-13")
    messages = data_outcome(workspace, "records.yaml", bad.encode())
    assert messages == ["'2010-13' is not a valid date: month must be in 1..12"]


def test_a_traceback_or_a_hang_is_a_finding() -> None:
    with pytest.raises(Finding, match="a hang"), time_limit(0.2, "a sleeper"):
        while True:
            pass
    assert normalise("/tmp/x/data/a.yaml:12: record 'acme', field 'founded': '2010-13' is bad") == \
        "FILE:N: record '…', field '…': '…' is bad"


# -- YAML records -----------------------------------------------------------------------------------


@FAST
@given(data=st.data())
def test_mutated_records_load_or_fail_clearly(workspace: Workspace, seed: Seed, tally: Tally,
                                              data: st.DataObject) -> None:
    relative, content = data.draw(record_mutations(seed))
    tally.record("records", data_outcome(workspace, relative, content, build=False))


@FAST
@given(data=st.data())
def test_damaged_yaml_loads_or_fails_clearly(workspace: Workspace, seed: Seed, tally: Tally,
                                             data: st.DataObject) -> None:
    relative = data.draw(st.sampled_from(sorted(seed.files)))
    content = data.draw(byte_mutations(seed.files[relative].encode("utf-8")))
    tally.record("yaml bytes", data_outcome(workspace, relative, content, build=False))


@SLOW
@given(data=st.data())
def test_damaged_data_never_leaves_a_partial_out(workspace: Workspace, seed: Seed, tally: Tally,
                                                 data: st.DataObject) -> None:
    """Through the main job's build: accepted input is written whole, refused input leaves out/ as it was."""
    relative, content = data.draw(data_inputs(seed))
    tally.record("build", data_outcome(workspace, relative, content))


@SLOW
@given(texts=free_texts())
def test_any_text_reaches_the_outputs_unchanged(workspace: Workspace, tally: Tally, texts: list[str]) -> None:
    """Names, alternative names and notes with any characters survive to graph.nt, graph.ttl and JSON-LD."""
    tally.record("text values", text_values_outcome(workspace, texts))


@pytest.mark.parametrize("text", ["line\u2028separator", "next\u0085line", "vertical\x0btab", "form\x0cfeed",
                                  "nul\x00byte", "bom\ufeff", "e\u0301", "\U0001f600"])
def test_characters_that_split_lines_stay_inside_their_literal(workspace: Workspace, text: str) -> None:
    """Regression: graph.nt was sorted line by line with str.splitlines(), which also cuts at U+2028,
    U+0085, \\v and \\f, so a name holding one produced a graph.nt that no parser reads."""
    assert text_values_outcome(workspace, [text, "alt " + text]) == []


# -- Turtle and JSON-LD ---------------------------------------------------------------------------


@SLOW
@given(data=st.data())
def test_damaged_ontology_or_shapes_fail_clearly(workspace: Workspace, tally: Tally, data: st.DataObject) -> None:
    name = data.draw(st.sampled_from([ONTOLOGY_FILE, SHAPES_FILE]))
    content = data.draw(byte_mutations((ROOT / "ontology" / name).read_bytes()))
    tally.record("turtle", ontology_outcome(workspace, name, content))


@FAST
@given(data=st.data())
def test_damaged_jsonld_context_fails_clearly_or_round_trips(workspace: Workspace, tally: Tally,
                                                             data: st.DataObject) -> None:
    content = data.draw(byte_mutations((ROOT / "ontology" / "context.jsonld").read_bytes()))
    tally.record("json-ld context", jsonld_context_outcome(workspace, content))


# -- SPARQL text and parameters ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def engine(workspace: Workspace) -> EmbeddedEngine:
    return EmbeddedEngine(open_store(workspace.paths.out))


@FAST
@given(data=st.data())
def test_damaged_sparql_runs_or_fails_clearly(engine: EmbeddedEngine, tally: Tally, data: st.DataObject) -> None:
    query = data.draw(st.sampled_from(sorted(library().values(), key=lambda q: q.name)))
    content = data.draw(byte_mutations(query.text.encode("utf-8")))
    text = content.decode("utf-8", "replace")
    tally.record("sparql", query_outcome(engine, text if "{" in text else text + " {"))


@FAST
@given(kind=st.sampled_from(KINDS), value=st.text(max_size=40) | st.sampled_from(NASTY_TEXT))
def test_any_parameter_value_is_a_term_or_a_clear_error(tally: Tally, kind: str, value: str) -> None:
    tally.record("parameters", parameter_outcome(kind, value))


def test_parameter_errors_say_what_is_expected() -> None:
    assert parameter_outcome("org", "not an id") == [
        "parameter value (org) = 'not an id': expected an id such as 'atos' or an IRI "
        "https://w3id.org/ftgraph/org/ID"]
    assert "org" in ENTITY_KINDS


def test_the_fuzzing_saw_many_inputs_and_kinds_of_errors(tally: Tally) -> None:
    """Runs last in this module: the properties above were really exercised, refusals and acceptances."""
    if not tally.tried:
        pytest.skip("run with the whole module")
    assert tally.tried["records"] >= 40 and tally.tried["yaml bytes"] >= 40
    assert tally.accepted["records"] < tally.tried["records"]
    assert tally.distinct_errors() >= 15, tally.errors


def test_data_errors_are_the_only_loader_errors(workspace: Workspace) -> None:
    """A file that is not YAML at all is a DataError like any other (exit code 2)."""
    messages = data_outcome(workspace, "binary.yaml", bytes(range(256)), build=False)
    assert messages and all("not UTF-8" in m or "YAML" in m for m in messages), messages
    assert DataErrors.exit_code == 2
