"""The synthetic ecosystem generator (``ftgraph synth``): determinism, fidelity to the RDF mapping,
SHACL conformance, realistic skew, and the query library and projection running on it."""

from __future__ import annotations

import statistics
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import Graph

from ftgraph import query
from ftgraph.build import GRAPH_NT, Paths, build_graph, read_turtle, to_sorted_ntriples
from ftgraph.cli import cli
from ftgraph.engine import EmbeddedEngine
from ftgraph.projection import actor_graph, collapse, load_actor_data, metropole_graph
from ftgraph.synth import MANIFEST, SortedLines, parse_size, synthesize
from ftgraph.validate import check_shapes

from .conftest import ROOT

SIZE, SEED = 10_000, 7


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 10k-triple synthetic graph, generated once for the module."""
    out = tmp_path_factory.mktemp("synth") / "out"
    synthesize(SIZE, SEED, out)
    return out


@pytest.fixture(scope="module")
def engine(synthetic: Path) -> EmbeddedEngine:
    store = ox.Store()
    store.bulk_load(path=str(synthetic / GRAPH_NT), format=ox.RdfFormat.N_TRIPLES)
    return EmbeddedEngine(store)


def test_sizes_parse() -> None:
    assert [parse_size(text) for text in ("10k", "100K", "1M", "1.5M", "250000")] == [
        10_000, 100_000, 1_000_000, 1_500_000, 250_000]


def test_lines_spilled_in_sorted_chunks_merge_into_one_sorted_distinct_file(tmp_path: Path) -> None:
    lines = SortedLines(tmp_path / "out.nt", tmp_path, chunk_lines=3)
    for line in ["<c> <p> <o> .", "<a> <p> <o> .", "<b> <p> \"é\" .", "<a> <p> <o> .", "<d> <p> <o> .",
                 "<b> <p> \"e\" .", "<c> <p> <o> ."]:
        lines.add(line)
    assert len(lines.chunks) == 2  # two chunks on disk, one in memory
    assert lines.close() == 5
    assert (tmp_path / "out.nt").read_text(encoding="utf-8").splitlines() == [
        "<a> <p> <o> .", '<b> <p> "e" .', '<b> <p> "é" .', "<c> <p> <o> .", "<d> <p> <o> ."]
    assert not list(tmp_path.glob("chunk-*"))


def test_same_seed_same_bytes_other_seed_other_graph(synthetic: Path, tmp_path: Path) -> None:
    again = synthesize(SIZE, SEED, tmp_path / "again")
    assert again.graph.read_bytes() == (synthetic / GRAPH_NT).read_bytes()
    other = synthesize(SIZE, SEED + 1, tmp_path / "other")
    assert other.graph.read_bytes() != again.graph.read_bytes()


def test_size_is_close_to_the_target_and_lines_are_sorted_and_distinct(synthetic: Path) -> None:
    lines = (synthetic / GRAPH_NT).read_text(encoding="utf-8").splitlines()
    assert abs(len(lines) - SIZE) < 0.03 * SIZE
    assert lines == sorted(set(lines))
    assert '"triples": ' + str(len(lines)) in (synthetic / MANIFEST).read_text(encoding="utf-8")


def test_records_build_into_the_same_bytes_as_the_project_build(tmp_path: Path) -> None:
    """The generator's own N-Triples writer follows the mapping exactly: its records, written as
    curated YAML and built by the project (loader checks, mapping), give the very same file."""
    result = synthesize(4_000, 3, tmp_path / "out", records_dir=tmp_path / "data")
    built = build_graph(Paths(data=tmp_path / "data", ontology=ROOT / "ontology", out=tmp_path / "build"),
                        validate=False)
    assert to_sorted_ntriples(built.combined) == result.graph.read_text(encoding="utf-8")
    kinds = Counter(located.kind for located in built.dataset.records.values())
    assert kinds == Counter(result.records)


def test_conforms_to_the_shapes(synthetic: Path) -> None:
    graph = Graph().parse(synthetic / GRAPH_NT, format="nt")
    ontology = read_turtle(ROOT / "ontology" / "ftgraph.ttl")
    report = check_shapes(graph + ontology, read_turtle(ROOT / "ontology" / "shapes.ttl"))
    assert report.conforms, report.summary()


def test_skew_several_roles_large_events(engine: EmbeddedEngine) -> None:
    data = load_actor_data(engine)
    national = actor_graph(data)
    sizes = sorted(metropole_graph(national, ecosystem).number_of_nodes() for ecosystem in data.ecosystems.values())
    assert len(sizes) >= 10
    assert sizes[-1] >= 5 * sizes[0], sizes  # a few large metropoles, many small communities
    degrees = [degree for _, degree in collapse(national).degree()]
    assert max(degrees) >= 10 * statistics.median(degrees)  # heavy-tailed ties
    roles_per_person = Counter(tie.member for tie in data.roles if data.actors[tie.member].kind == "Person")
    people = sum(1 for actor in data.actors.values() if actor.kind == "Person")
    assert sum(1 for count in roles_per_person.values() if count >= 2) >= 0.1 * people
    dated_twice = Counter(tie.member for tie in data.roles if tie.start and tie.end)
    assert dated_twice.most_common(1)[0][1] >= 2  # someone held several dated, ended roles
    participants = sorted(len(event.participants) for event in data.events)
    assert participants[-1] >= 4 * statistics.median(participants)


def test_every_library_query_runs_and_the_seed_defaults_find_rows(engine: EmbeddedEngine) -> None:
    counts = {}
    for name in query.library():
        result = query.run(name, engine=engine)
        counts[name] = bool(result) if isinstance(result, ox.QueryBoolean) else len(list(result))
    for name in ("local-actors", "brokers", "founders", "decision-awards", "digital-ministers", "label-waves",
                 "event-participants", "sources-of-fact", "metropole-events"):
        if name in counts:
            assert counts[name], f"{name} found nothing on the synthetic graph"
    assert sum(1 for found in counts.values() if found) >= 0.8 * len(counts), counts


def test_cli_writes_the_graph(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--quiet", "synth", "--triples", "2k", "--seed", "1", "--out",
                                      str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "triples in" in result.output
    assert (tmp_path / "out" / GRAPH_NT).stat().st_size > 0
    bad = CliRunner().invoke(cli, ["synth", "--triples", "lots", "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "expected a number of triples" in bad.output
