"""Checks over the whole curated dataset (in the spirit of bioregistry's tests/test_data.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from rdflib import Literal
from rdflib.namespace import XSD

from ftgraph.build import BuiltGraph, build_graph
from ftgraph.errors import DataErrors
from ftgraph.namespaces import sparql_prologue

from .test_build import MINIMAL_RECORDS, minimal_paths

TODAY = dt.date(2026, 11, 27)
DATE_TYPES = (XSD.date, XSD.gYearMonth, XSD.gYear)


def _year(literal: Literal) -> int:
    return int(str(literal)[:4])


def rows(built: BuiltGraph, query: str) -> list[tuple[object, ...]]:
    return [tuple(row) for row in built.combined.query(sparql_prologue() + query)]  # type: ignore[arg-type]


def test_dates_are_in_plausible_ranges(built: BuiltGraph) -> None:
    """Foundings from 1800; sources, events, roles and awards of the French Tech era not after today."""
    for predicate, low in (("schema:foundingDate", 1800), ("dcterms:issued", 1990), ("schema:startDate", 1900),
                           ("schema:endDate", 1900), ("dcterms:date", 2010)):
        found = rows(built, f"SELECT ?s ?d WHERE {{ ?s {predicate} ?d }}")
        for subject, value in found:
            assert isinstance(value, Literal) and value.datatype in DATE_TYPES, (subject, predicate, value)
            assert low <= _year(value) <= TODAY.year, (subject, predicate, value)
            assert str(value) <= TODAY.isoformat(), (subject, predicate, value)


def test_roles_end_after_they_start(built: BuiltGraph) -> None:
    found = rows(built, "SELECT ?m ?start ?end WHERE { ?m a org:Membership ; schema:startDate ?start ; "
                        "schema:endDate ?end }")
    assert found, "some roles have both dates"
    for membership, start, end in found:
        assert str(end)[: len(str(start))] >= str(start)[: len(str(end))], membership


def test_every_label_award_has_a_date_and_every_metropole_award_a_decision(built: BuiltGraph) -> None:
    awards = rows(built, """
        SELECT ?award ?label ?date ?decision ?decisionDate WHERE {
          ?award a ft:LabelAward ; ft:label ?label ; dcterms:date ?date .
          OPTIONAL { ?award prov:wasGeneratedBy ?decision . ?decision a ft:LabellingDecision ;
                     schema:startDate ?decisionDate } }""")
    assert len(awards) >= 9
    territorial = ("label-metropole-french-tech", "label-capitale-french-tech", "label-communaute-french-tech")
    for award, label, _date, decision, decision_date in awards:
        if str(label).endswith(territorial):
            assert decision is not None and decision_date is not None, f"{award} has no decision event"
    labelled = rows(built, "SELECT DISTINCT ?eco WHERE { ?a a ft:LabelAward ; ft:awardee ?eco . ?eco a ft:Ecosystem }")
    assert len(labelled) >= 13


def test_names_that_collide_without_accents_are_one_entity_twice(tmp_path: Path) -> None:
    twin = MINIMAL_RECORDS.replace(
        "organisations:\n", "organisations:\n  - {id: acme-sas, name: ÂCME, type: startup, sources: [src-one]}\n")
    expected = r"record 'acme', field 'name': 'acme' is also a name of 'acme-sas'.*distinct_from"
    with pytest.raises(DataErrors, match=expected):
        build_graph(minimal_paths(tmp_path / "a", twin))
    declared = twin.replace("name: ÂCME,", "name: ÂCME, distinct_from: [acme],")
    assert len(build_graph(minimal_paths(tmp_path / "b", declared)).dataset) > 0


def test_same_name_in_different_types_is_allowed(tmp_path: Path) -> None:
    ecosystem_and_association = MINIMAL_RECORDS.replace(
        "organisations:\n", "organisations:\n  - {id: acme-eco, name: Acme, type: ecosystem, sources: [src-one]}\n")
    assert "acme-eco" in build_graph(minimal_paths(tmp_path, ecosystem_and_association)).dataset.records
