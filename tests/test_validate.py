"""SHACL validation reads the built graph in place: it must neither change it nor miss a violation."""

from __future__ import annotations

from pathlib import Path

from rdflib import Literal, URIRef

from ftgraph.build import SHAPES_FILE, build_graph, read_turtle
from ftgraph.namespaces import DEFAULT_BASE_IRI
from ftgraph.validate import check_shapes

from .test_build import minimal_paths


def test_checking_the_combined_graph_leaves_it_unchanged_and_finds_the_violation(tmp_path: Path) -> None:
    paths = minimal_paths(tmp_path)
    built = build_graph(paths, validate=False)
    shapes = read_turtle(paths.ontology / SHAPES_FILE)
    before = set(built.combined)
    assert check_shapes(built.combined, shapes).conforms
    assert set(built.combined) == before
    founded = URIRef("http://schema.org/foundingDate")
    subject = next(s for s in built.data.subjects() if str(s).startswith(f"{DEFAULT_BASE_IRI}org/"))
    built.combined.add((subject, founded, Literal("not a date")))
    report = check_shapes(built.combined, shapes)
    assert not report.conforms
    # A second founding date (at most one) that is no date (sh:node fts:PartialDate, at the literal too).
    assert sorted(violation.focus for violation in report.violations) == sorted([str(subject)] * 2 + ["not a date"])
