"""docs/data.md is generated from the graph, and its numbers are the graph's."""

from __future__ import annotations

import re

import pytest
from rdflib import URIRef
from rdflib.namespace import FOAF, ORG, PROV, RDF, RDFS

from ftgraph.build import BuiltGraph
from ftgraph.coverage import TARGET_ACTORS, TARGET_TIES, coverage_markdown, metropole_coverage
from ftgraph.engine import EmbeddedEngine, store_from_graph
from ftgraph.namespaces import FT, SCHEMA

from .conftest import ROOT


@pytest.fixture(scope="module")
def engine(built: BuiltGraph) -> EmbeddedEngine:
    return EmbeddedEngine(store_from_graph(built.combined))


@pytest.fixture(scope="module")
def markdown(engine: EmbeddedEngine) -> str:
    return coverage_markdown(engine)


def _summary_number(markdown: str, label: str) -> int:
    match = re.search(rf"^- {re.escape(label)}[^:]*: (\d+)", markdown, re.MULTILINE)
    assert match, label
    return int(match.group(1))


def test_summary_numbers_are_the_graphs(built: BuiltGraph, markdown: str) -> None:
    g = built.combined
    place_classes = set(g.subjects(RDFS.subClassOf, SCHEMA.Place))
    entities = set(g.subjects(RDF.type, ORG.Organization)) | set(g.subjects(RDF.type, FOAF.Person)) \
        | set(g.subjects(RDF.type, FT.Event)) | {s for c in place_classes for s in g.subjects(RDF.type, c)}
    assert _summary_number(markdown, "Entities") == len(entities)
    relations = [s for c in (ORG.Membership, PROV.Association, FT.LabelAward) for s in g.subjects(RDF.type, c)]
    assert _summary_number(markdown, "Relations") == len(relations)
    assert all((s, PROV.wasDerivedFrom, None) in g for s in relations)
    assert f"of which sourced: {len(relations)}" in markdown
    assert _summary_number(markdown, "Sources") == len(set(g.subjects(RDF.type, FT.Source)))


def test_metropole_rows_and_targets(built: BuiltGraph, engine: EmbeddedEngine) -> None:
    rows = {row.id: row for row in metropole_coverage(engine)}
    awarded = {str(o).rsplit("/", 1)[1] for o in built.combined.objects(None, FT.awardee)
               if (o, RDF.type, FT.Ecosystem) in built.combined}
    assert set(rows) == awarded
    for metropole in ("french-tech-grenoble", "french-tech-lyon", "french-tech-toulouse", "french-tech-brest"):
        assert rows[metropole].meets_targets, rows[metropole]
        assert rows[metropole].local_actors >= TARGET_ACTORS and rows[metropole].local_ties >= TARGET_TIES
    grenoble = URIRef("https://w3id.org/ftgraph/org/french-tech-grenoble")
    assert rows["french-tech-grenoble"].name == str(built.combined.value(grenoble, RDFS.label))


def test_committed_docs_data_md_is_up_to_date(markdown: str) -> None:
    committed = (ROOT / "docs" / "data.md").read_text(encoding="utf-8")
    assert committed == markdown, "docs/data.md is stale: run `ftgraph coverage --output docs/data.md`"
