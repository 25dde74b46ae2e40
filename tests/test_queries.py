"""The query library on the curated data: one test (at least) per library query.

Exact rows where the seed facts fix them (the 2014-09-12 visit, the 2014 label call and its first
decision, Spartoo's founding date); elsewhere the result is checked against a computation of the
same answer in Python over the rdflib graph, or against another library query.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCTERMS, ORG, OWL, PROV, RDF
from rdflib.term import Node

from ftgraph import query
from ftgraph.build import BuiltGraph
from ftgraph.cli import cli
from ftgraph.engine import EmbeddedEngine, QuerySyntaxError, UnknownParameter, store_from_graph
from ftgraph.namespaces import DEFAULT_BASE_IRI, FT, SCHEMA
from ftgraph.query import LibraryQuery, UnknownQuery, library

BASE = Namespace(DEFAULT_BASE_IRI)
ROOT = Path(__file__).resolve().parent.parent
NINE_2014 = {"french-tech-aix-marseille", "french-tech-bordeaux", "french-tech-grenoble", "french-tech-lille",
             "french-tech-lyon", "french-tech-montpellier", "french-tech-nantes", "french-tech-rennes",
             "french-tech-toulouse"}


@pytest.fixture(scope="module")
def engine(built: BuiltGraph) -> EmbeddedEngine:
    return EmbeddedEngine(store_from_graph(built.combined))


@pytest.fixture(scope="module")
def graph(built: BuiltGraph) -> Graph:
    return built.combined


def rows(engine: EmbeddedEngine, name: str, **params: object) -> list[dict[str, object]]:
    return query.rows(name, params, engine=engine)


def local_id(iri: object) -> str:
    return str(iri).rsplit("/", 1)[-1]


def ids(result: Iterable[dict[str, object]], column: str) -> set[str]:
    return {local_id(row[column]) for row in result if row[column] is not None}


# ------------------------------------------------------------------------------ the library itself

def test_the_library_has_at_least_25_documented_queries() -> None:
    queries = library()
    assert len(queries) >= 25
    for name, item in queries.items():
        assert item.title and item.question and item.columns, name
        assert item.path is not None and item.path.name == f"{name}.rq"


@pytest.mark.parametrize("name", sorted(library()))
def test_declared_parameters_and_columns_match_the_query(name: str, engine: EmbeddedEngine) -> None:
    item = library()[name]
    for parameter in item.params:
        assert f"?{parameter.name}" in item.text, parameter.name
    result = query.run(item, engine=engine)  # every query runs with its defaults
    if isinstance(result, ox.QuerySolutions):
        assert tuple(variable.value for variable in result.variables) == item.columns


def test_queries_lists_every_library_query_with_its_title() -> None:
    result = CliRunner().invoke(cli, ["queries"], env={"COLUMNS": "300"})
    assert result.exit_code == 0
    for name, item in library().items():
        assert name in result.output and item.title in result.output


# ------------------------------------------------------------------------------ labels and waves

def test_decision_awards_are_the_nine_metropoles_of_2014(engine: EmbeddedEngine) -> None:
    result = rows(engine, "decision-awards")
    assert ids(result, "ecosystem") == NINE_2014 and len(result) == 9
    assert {row["date"] for row in result} == {dt.date(2014, 11, 12)}
    assert ids(result, "label") == {"label-metropole-french-tech"}


def test_label_wave_counts_give_nine_awards_on_2014_11_12(engine: EmbeddedEngine) -> None:
    result = rows(engine, "label-wave-counts")
    first = [row for row in result if local_id(row["decision"]) == "labelling-decision-2014-11-12"]
    assert [(row["date"], local_id(row["label"]), row["awards"]) for row in first] == [
        (dt.date(2014, 11, 12), "label-metropole-french-tech", 9)]


def test_label_waves_hold_every_metropole_award(engine: EmbeddedEngine, graph: Graph) -> None:
    result = rows(engine, "label-waves")
    label = BASE["concept/label-metropole-french-tech"]
    expected = Counter(local_id(graph.value(award, FT.awardee)) for award in graph.subjects(FT.label, label)
                       if (award, RDF.type, FT.LabelAward) in graph)
    assert Counter(local_id(row["ecosystem"]) for row in result) == expected
    first_wave = {local_id(row["ecosystem"]) for row in result
                  if local_id(row["decision"]) == "labelling-decision-2014-11-12"}
    assert first_wave == NINE_2014
    assert [str(row["date"]) for row in result] == sorted(str(row["date"]) for row in result)


def test_label_timeline_of_grenoble(engine: EmbeddedEngine) -> None:
    result = rows(engine, "label-timeline")
    assert ("candidacy", "candidacy-french-tech-grenoble-2014", "outcome-retained") in {
        (row["kind"], local_id(row["item"]), local_id(row["concept"])) for row in result}
    assert ("award", dt.date(2014, 11, 12), "label-metropole-french-tech") in {
        (row["kind"], row["date"], local_id(row["concept"])) for row in result}
    assert [str(row["date"]) for row in result] == sorted(str(row["date"]) for row in result)


def test_labelled_by_date_asks_on_the_award_date(engine: EmbeddedEngine) -> None:
    assert query.run("labelled-by-date", engine=engine)  # Grenoble, labelled 2014-11-12, on 2015-01-01
    assert query.run("labelled-by-date", {"date": "2014-11-12"}, engine=engine)
    assert not query.run("labelled-by-date", {"date": "2014-11-11"}, engine=engine)


def test_label_call_criteria_are_the_calls_criteria(engine: EmbeddedEngine, graph: Graph) -> None:
    result = rows(engine, "label-call-criteria")
    call = BASE["event/label-call-metropole-french-tech-2014"]
    assert ids(result, "criterion") == {local_id(c) for c in graph.objects(call, FT.criterion)}
    assert "criterion-federation" in ids(result, "criterion")
    assert all(row["name_en"] and row["name_fr"] for row in result)


def test_candidacies_to_the_2014_call(engine: EmbeddedEngine) -> None:
    result = rows(engine, "candidacies")
    outcomes = {local_id(row["candidacy"]): local_id(row["outcome"]) for row in result}
    assert outcomes["candidacy-french-tech-grenoble-2014"] == "outcome-retained"
    assert outcomes["candidacy-french-tech-paris-2014"] == "outcome-retained"
    assert ids(result, "ecosystem") >= NINE_2014


def test_candidacies_not_retained_and_their_later_labels(engine: EmbeddedEngine, graph: Graph) -> None:
    result = rows(engine, "candidacies-not-retained")
    not_retained = set(graph.subjects(FT.outcome, BASE["concept/outcome-not-retained"]))
    assert ids(result, "candidacy") == {local_id(c) for c in not_retained}
    for row in result:
        if row["later_date"] is not None:
            assert str(row["later_date"]) > str(row["date"])


# ------------------------------------------------------------------------------ people on a date

def holders_on(graph: Graph, organisation: str, roles: set[str], day: str) -> set[str]:
    """Who held one of ``roles`` in ``organisation`` on ``day``: the same rule, written in Python."""
    found = set()
    for membership in graph.subjects(ORG.organization, BASE[f"org/{organisation}"]):
        start, end = graph.value(membership, SCHEMA.startDate), graph.value(membership, SCHEMA.endDate)
        if local_id(graph.value(membership, ORG.role)) not in roles or start is None:
            continue
        if str(start) <= day[: len(str(start))] and (end is None or day[: len(str(end))] <= str(end)):
            found.add(local_id(graph.value(membership, ORG.member)))
    return found


MINISTER_ROLES = {"role-minister", "role-minister-delegate", "role-secretary-of-state"}


@pytest.mark.parametrize("day", ["2014-09-12", "2016-09-15", "2019-06-01", "2024-10-01"])
def test_ministers_on_date(engine: EmbeddedEngine, graph: Graph, day: str) -> None:
    result = rows(engine, "ministers-on-date", date=day)
    assert ids(result, "person") == holders_on(graph, "gouvernement-france", MINISTER_ROLES, day)
    if day == "2014-09-12":
        assert "axelle-lemaire" in ids(result, "person")


def test_mission_director_on_date(engine: EmbeddedEngine, graph: Graph) -> None:
    roles = {"role-managing-director", "role-interim-director"}
    for day in ("2019-01-01", "2015-06-01", "2022-01-01"):
        result = rows(engine, "mission-director-on-date", date=day)
        assert ids(result, "person") == holders_on(graph, "mission-french-tech", roles, day)
    assert "kat-borlongan" in ids(rows(engine, "mission-director-on-date"), "person")


def test_digital_ministers_timeline(engine: EmbeddedEngine) -> None:
    result = rows(engine, "digital-ministers")
    assert ("axelle-lemaire", "role-secretary-of-state") in {
        (local_id(row["person"]), local_id(row["role"])) for row in result}
    starts = [str(row["start"]) for row in result]
    assert starts == sorted(starts)


def test_person_roles_of_axelle_lemaire(engine: EmbeddedEngine, graph: Graph) -> None:
    result = rows(engine, "person-roles")
    expected = {local_id(m) for m in graph.subjects(ORG.member, BASE["person/axelle-lemaire"])
                if (m, RDF.type, ORG.Membership) in graph}
    assert len(result) == len(expected)
    assert ("gouvernement-france", "role-secretary-of-state") in {
        (local_id(row["organisation"]), local_id(row["role"])) for row in result}


# ------------------------------------------------------------------------------ events

def test_event_participants_of_the_seed_visit(engine: EmbeddedEngine) -> None:
    result = {(local_id(row["participant"]), local_id(row["role"])) for row in rows(engine, "event-participants")}
    assert result == {
        ("axelle-lemaire", "event-role-visitor"), ("atos", "event-role-visited"),
        ("biopolis", "event-role-visited"), ("vincent-tempelaere", "event-role-speaker"),
        ("boris-saragaglia", "event-role-speaker"), ("xavier-schmitt", "event-role-reporter"),
        ("franck-ceroni", "event-role-reporter"), ("virginie-muamba", "event-role-reporter"),
        ("spartoo", "event-role-attendee"), ("bonitasoft", "event-role-attendee"),
        ("cowork-in-grenoble", "event-role-host"), ("genevieve-fioraso", "event-role-attendee"),
        ("olivier-veran", "event-role-attendee"), ("jean-pierre-verjus", "event-role-attendee"),
        ("richard-samuel", "event-role-attendee")}


def test_metropole_events_of_grenoble(engine: EmbeddedEngine) -> None:
    result = rows(engine, "metropole-events")
    visit = [row for row in result if local_id(row["event"]) == "visit-axelle-lemaire-grenoble-2014-09-12"]
    assert {local_id(row["participant"]) for row in visit} >= {"axelle-lemaire", "spartoo", "atos"}
    assert {row["date"] for row in visit} == {dt.date(2014, 9, 12)}


def test_describe_the_seed_visit(engine: EmbeddedEngine) -> None:
    triples = list(query.run("describe-entity", engine=engine))
    visit = ox.NamedNode(DEFAULT_BASE_IRI + "event/visit-axelle-lemaire-grenoble-2014-09-12")
    assert triples and {t.subject for t in triples} == {visit}
    assert ox.Triple(visit, ox.NamedNode(str(PROV.wasAssociatedWith)),
                     ox.NamedNode(DEFAULT_BASE_IRI + "person/axelle-lemaire")) in triples


# ------------------------------------------------------------------------------ local actors

def test_local_actors_of_grenoble_by_type(engine: EmbeddedEngine) -> None:
    result = {(row["type"], local_id(row["actor"])) for row in rows(engine, "local-actors")}
    assert {("Ecosystem", "french-tech-grenoble"), ("FrenchTechAssociation", "digital-grenoble"),
            ("Startup", "spartoo"), ("Company", "atos"), ("Person", "jean-pierre-verjus")} <= result


def test_local_actor_counts_agree_with_local_actors(engine: EmbeddedEngine) -> None:
    counts = {(local_id(row["ecosystem"]), row["type"]): row["actors"] for row in rows(engine, "local-actor-counts")}
    for ecosystem in ("french-tech-grenoble", "french-tech-lyon", "french-tech-nantes"):
        listed = Counter(row["type"] for row in rows(engine, "local-actors", ecosystem=ecosystem))
        assert {t: n for (e, t), n in counts.items() if e == ecosystem} == dict(listed)


def test_startups_per_metropole_agree_with_local_actors(engine: EmbeddedEngine) -> None:
    counts = {local_id(row["ecosystem"]): row["startups"] for row in rows(engine, "startups-per-metropole")}
    for ecosystem in ("french-tech-grenoble", "french-tech-lyon"):
        startups = [r for r in rows(engine, "local-actors", ecosystem=ecosystem) if r["type"] == "Startup"]
        assert counts.get(ecosystem, 0) == len(startups)
    assert counts["french-tech-grenoble"] >= 1  # Spartoo


def test_brokers_hold_roles_in_two_local_organisations(engine: EmbeddedEngine, graph: Graph) -> None:
    result = rows(engine, "brokers")
    assert "jean-pierre-verjus" in ids(result, "person")  # Digital Grenoble and French Tech Grenoble
    local = {URIRef(str(row["actor"])) for row in rows(engine, "local-actors")}
    for row in result:
        organisations = {o for o in graph.objects(URIRef(str(row["person"])), ORG.memberOf) if o in local}
        assert len(organisations) == row["organisations"] >= 2
    assert ids(rows(engine, "brokers", min=1), "person") >= ids(result, "person")


def test_founders_of_grenoble_startups(engine: EmbeddedEngine) -> None:
    result = rows(engine, "founders")
    assert ("spartoo", "boris-saragaglia") in {(local_id(r["startup"]), local_id(r["founder"])) for r in result
                                               if r["founder"]}
    assert {r["founded"] for r in result if local_id(r["startup"]) == "spartoo"} == {"2006"}


def test_local_ties_are_memberships_of_local_actors(engine: EmbeddedEngine) -> None:
    triples = {str(t) for t in query.run("local-ties", engine=engine)}
    member_of = "<http://www.w3.org/ns/org#memberOf>"
    assert f"<{DEFAULT_BASE_IRI}org/spartoo> {member_of} <{DEFAULT_BASE_IRI}org/digital-grenoble>" in triples


def test_ecosystem_card(engine: EmbeddedEngine) -> None:
    triples = {str(t) for t in query.run("ecosystem-card", engine=engine)}
    grenoble = f"<{DEFAULT_BASE_IRI}org/french-tech-grenoble>"
    assert f"{grenoble} <{RDF.type}> <{FT.Ecosystem}>" in triples
    assert (f"<{DEFAULT_BASE_IRI}award/award-metropole-french-tech-grenoble-2014> <{FT.label}> "
            f"<{DEFAULT_BASE_IRI}concept/label-metropole-french-tech>") in triples
    assert not any(f"{grenoble} <{PROV.wasDerivedFrom}>" in t for t in triples)


def test_shared_actors_agree_with_local_actors(engine: EmbeddedEngine) -> None:
    pairs = rows(engine, "shared-actors-between-metropoles")
    assert pairs and all(str(r["ecosystem_a"]) < str(r["ecosystem_b"]) for r in pairs)
    for row in [*pairs[:3], pairs[-1]]:
        a, b = local_id(row["ecosystem_a"]), local_id(row["ecosystem_b"])
        shared = rows(engine, "shared-actors", ecosystem_a=a, ecosystem_b=b)
        both = ids(rows(engine, "local-actors", ecosystem=a), "actor") & ids(
            rows(engine, "local-actors", ecosystem=b), "actor")
        assert ids(shared, "actor") == both and len(both) == row["shared"]


def test_ecosystem_direct_ties(engine: EmbeddedEngine) -> None:
    result = {(local_id(r["member"]), local_id(r["role"]), local_id(r["ecosystem"]))
              for r in rows(engine, "ecosystem-direct-ties")}
    assert ("digital-grenoble", "role-coordinator", "french-tech-grenoble") in result


# ------------------------------------------------------------------------------ programmes

def test_programme_members_per_year(engine: EmbeddedEngine, graph: Graph) -> None:
    expected: Counter[tuple[str, str]] = Counter()
    for programme in ("label-next40", "label-french-tech-120"):
        awardees: dict[str, set[object]] = {}
        for award in graph.subjects(FT.label, BASE[f"concept/{programme}"]):
            awardees.setdefault(str(graph.value(award, URIRef("http://purl.org/dc/terms/date")))[:4], set()).add(
                graph.value(award, FT.awardee))
        expected.update({(programme, year): len(members) for year, members in awardees.items()})
    result = {(local_id(r["programme"]), r["year"]): r["members"] for r in rows(engine, "programme-members-per-year")}
    assert result == dict(expected)


def test_programme_members_of_a_year(engine: EmbeddedEngine) -> None:
    per_year = {(local_id(r["programme"]), r["year"]): r["members"] for r in rows(engine, "programme-members-per-year")}
    for (programme, year), count in list(per_year.items())[:4]:
        result = rows(engine, "programme-members", programme=programme, year=year)
        assert len(ids(result, "member")) == count


def test_startups_per_metropole_and_programme(engine: EmbeddedEngine) -> None:
    for row in rows(engine, "startups-per-metropole-programme"):
        local = {local_id(r["actor"]) for r in rows(engine, "local-actors", ecosystem=local_id(row["ecosystem"]))
                 if r["type"] == "Startup"}
        members = ids(rows(engine, "programme-members", programme=local_id(row["programme"]), year=row["year"]),
                      "member")
        assert row["startups"] == len(local & members) > 0


# ------------------------------------------------------------------------------ sources

def test_sources_of_a_fact_with_its_own_sources(engine: EmbeddedEngine) -> None:
    result = rows(engine, "sources-of-fact")  # Spartoo founded 2006, given with its own sources
    assert {(local_id(r["source"]), r["via"]) for r in result} == {
        ("strategies-2012-la-pointure-de-grenoble", "statement"),
        ("ljde-2016-09-13-boris-saragaglia-spartoo", "statement")}


def test_sources_of_a_fact_fall_back_to_the_record(engine: EmbeddedEngine, graph: Graph) -> None:
    spartoo = BASE["org/spartoo"]
    result = rows(engine, "sources-of-fact", predicate="rdfs:label", object='"Spartoo"')
    assert {local_id(r["source"]) for r in result} == {local_id(s) for s in graph.objects(spartoo, PROV.wasDerivedFrom)}
    assert {r["via"] for r in result} == {"record"}
    assert rows(engine, "sources-of-fact", predicate="org:memberOf", object="ftr:org/no-such-org") == []


def test_sources_of_a_shortcut_come_from_its_role(engine: EmbeddedEngine) -> None:
    result = rows(engine, "sources-of-fact", predicate="org:memberOf", object="ftr:org/digital-grenoble")
    assert result and {r["via"] for r in result} == {"statement"}


def test_sources_of_an_entity(engine: EmbeddedEngine, graph: Graph) -> None:
    result = rows(engine, "sources-of-entity")
    spartoo_sources = {local_id(s) for s in graph.objects(BASE["org/spartoo"], PROV.wasDerivedFrom)}
    assert spartoo_sources <= ids(result, "source")
    assert "france3-2014-09-12-grenoble-candidate-label-french-tech" in ids(result, "source")
    assert all(row["title"] and row["url"] and row["facts"] >= 1 for row in result)


def test_sources_per_metropole(engine: EmbeddedEngine, graph: Graph) -> None:
    result = {local_id(r["ecosystem"]): r for r in rows(engine, "sources-per-metropole")}
    actors = ids(rows(engine, "local-actors"), "actor")
    grenoble = result["french-tech-grenoble"]
    assert grenoble["actors"] == len(actors)
    sources = {s for actor in actors for prefix in ("org", "person")
               for s in graph.objects(BASE[f"{prefix}/{actor}"], PROV.wasDerivedFrom)}
    assert grenoble["sources"] == len(sources)


def test_single_source_entities(engine: EmbeddedEngine, graph: Graph) -> None:
    result = rows(engine, "single-source-entities")
    classes = {"organisation": ORG.Organization, "person": URIRef("http://xmlns.com/foaf/0.1/Person"),
               "event": FT.Event}
    expected = {(kind, str(entity)) for kind, cls in classes.items() for entity in graph.subjects(RDF.type, cls)
                if len(set(graph.objects(entity, PROV.wasDerivedFrom))) == 1}
    assert {(r["kind"], r["entity"]) for r in result} == expected


def test_conflicting_claims_include_the_label_call_date(engine: EmbeddedEngine) -> None:
    result = rows(engine, "conflicting-claims")
    call = [r for r in result if local_id(r["subject"]) == "label-call-metropole-french-tech-2014"]
    assert [(r["preferred"], r["alternative"]) for r in call] == [(dt.date(2014, 1, 29), "2014-01")]
    assert local_id(call[0]["alternative_source"]) == "france3-2014-09-12-grenoble-candidate-label-french-tech"


def test_entities_lacking_identifiers(engine: EmbeddedEngine, graph: Graph) -> None:
    result = Counter((r["kind"], r["missing"]) for r in rows(engine, "entities-lacking-identifiers"))
    organisations = set(graph.subjects(RDF.type, ORG.Organization))
    people = set(graph.subjects(RDF.type, URIRef("http://xmlns.com/foaf/0.1/Person")))
    cities = set(graph.subjects(RDF.type, FT.City))

    def lacking(entities: set[Node], prop: URIRef) -> int:
        return sum(1 for e in entities if graph.value(e, prop) is None)

    assert result == Counter({k: n for k, n in {
        ("organisation", "wikidata"): lacking(organisations, OWL.sameAs),
        ("organisation", "siren"): lacking(organisations, FT.siren),
        ("person", "wikidata"): lacking(people, OWL.sameAs),
        ("commune", "wikidata"): lacking(cities, OWL.sameAs),
        ("commune", "insee"): lacking(cities, URIRef("http://rdf.insee.fr/def/geo#codeINSEE")),
    }.items() if n})


# ------------------------------------------------------------------------------ running queries

def test_rows_and_dataframe_give_python_values(engine: EmbeddedEngine) -> None:
    frame = query.dataframe("decision-awards", engine=engine)
    assert list(frame.columns) == ["award", "label", "ecosystem", "name", "date"]
    assert len(frame) == 9 and set(frame["date"]) == {dt.date(2014, 11, 12)}


def test_parameters_take_ids_iris_and_prefixed_names(engine: EmbeddedEngine) -> None:
    by_id = rows(engine, "person-roles", person="axelle-lemaire")
    assert rows(engine, "person-roles", person=f"{DEFAULT_BASE_IRI}person/axelle-lemaire") == by_id
    assert rows(engine, "person-roles", person=f"<{DEFAULT_BASE_IRI}person/axelle-lemaire>") == by_id
    assert rows(engine, "sources-of-entity", entity="ftr:person/axelle-lemaire")


def test_bad_parameters_are_explained(engine: EmbeddedEngine) -> None:
    with pytest.raises(UnknownParameter, match="valid parameters: ecosystem, min"):
        rows(engine, "brokers", town="grenoble")
    with pytest.raises(UnknownParameter, match="expected a date YYYY-MM-DD"):
        rows(engine, "ministers-on-date", date="12/09/2014")
    with pytest.raises(UnknownParameter, match="expected an integer"):
        rows(engine, "brokers", min="two")
    with pytest.raises(UnknownQuery, match="library queries: brokers"):
        query.resolve("no-such-query")


def test_a_non_default_base_iri_moves_data_iris(built: BuiltGraph) -> None:
    base = "https://example.org/ft/"
    store = ox.Store()
    text = built.combined.serialize(format="nt").replace(DEFAULT_BASE_IRI, base).replace(
        "https://example.org/ft/ontology#", str(FT))
    store.load(text.encode(), ox.RdfFormat.N_TRIPLES)
    result = query.rows("decision-awards", engine=EmbeddedEngine(store), base_iri=base)
    assert len(result) == 9 and all(str(r["award"]).startswith(base) for r in result)


def test_a_query_file_with_a_header(tmp_path: Path, engine: EmbeddedEngine) -> None:
    path = tmp_path / "my.rq"
    path.write_text("# title: Labels of an entity\n# param entity: org = spartoo | whose labels\n"
                    "# columns: label\nSELECT ?label WHERE { ?entity rdfs:label ?label }\n", encoding="utf-8")
    item = query.resolve(path)
    assert isinstance(item, LibraryQuery) and item.title == "Labels of an entity"
    with pytest.raises(QuerySyntaxError, match=r"my\.rq"):  # a file declares its own prefixes
        query.rows(path, engine=engine)
    path.write_text(path.read_text().replace("SELECT", "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
                                                        "SELECT"), encoding="utf-8")
    assert query.rows(path, engine=engine) == [{"label": "Spartoo"}]


# ------------------------------------------------------------------------------ the CLI

@pytest.fixture(scope="module")
def out_dir(built: BuiltGraph, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ftgraph.build import write_graph_files

    out = tmp_path_factory.mktemp("out")
    write_graph_files(built, out)
    return out


def invoke(out_dir: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["-q", "query", *args, "--out", str(out_dir)],
                                                env={"COLUMNS": "300"})
    return result.exit_code, result.stdout, result.stderr


def test_cli_formats(out_dir: Path) -> None:
    code, csv_text, _ = invoke(out_dir, "decision-awards", "--format", "csv")
    assert code == 0 and csv_text.splitlines()[0] == "award,label,ecosystem,name,date"
    assert len(csv_text.strip().splitlines()) == 10
    code, tsv_text, _ = invoke(out_dir, "decision-awards", "-f", "tsv")
    assert tsv_text.splitlines()[0] == "?award\t?label\t?ecosystem\t?name\t?date"
    code, json_text, _ = invoke(out_dir, "decision-awards", "-f", "json")
    parsed = ox.parse_query_results(json_text, ox.QueryResultsFormat.JSON)
    assert isinstance(parsed, ox.QuerySolutions) and len(list(parsed)) == 9
    code, xml_text, _ = invoke(out_dir, "labelled-by-date", "-f", "xml")
    assert "<boolean>true</boolean>" in xml_text
    code, table, _ = invoke(out_dir, "event-participants")
    assert code == 0 and "ftr:person/axelle-lemaire" in table and "15 rows" in table
    code, turtle, _ = invoke(out_dir, "ecosystem-card")
    assert code == 0 and "@prefix ft:" in turtle
    assert len(list(ox.parse(turtle.encode(), ox.RdfFormat.TURTLE))) > 10
    code, jsonld, _ = invoke(out_dir, "ecosystem-card", "-f", "jsonld")
    assert code == 0 and len(list(ox.parse(jsonld.encode(), ox.RdfFormat.JSON_LD))) > 10
    code, nt, _ = invoke(out_dir, "ecosystem-card", "-f", "nt")
    assert nt.splitlines() == sorted(nt.splitlines())
    code, _, err = invoke(out_dir, "ecosystem-card", "-f", "csv")
    assert code == 1 and "turtle, nt, jsonld" in err


def test_cli_params_and_ad_hoc_queries(out_dir: Path) -> None:
    code, out, _ = invoke(out_dir, "ministers-on-date", "--param", "date=2017-03-01", "-f", "csv")
    assert code == 0 and "christophe-sirugue" in out
    code, out, _ = invoke(out_dir, "-e", "SELECT ?label WHERE { ?org rdfs:label ?label }", "-p", "org=ftr:org/spartoo",
                          "-f", "csv")
    assert code == 0 and out.splitlines() == ["label", "Spartoo"]
    code, out, _ = invoke(out_dir, "-e", "ASK { ?s ?p ?o }")
    assert (code, out) == (0, "true\n")


def test_cli_errors(out_dir: Path) -> None:
    code, _, err = invoke(out_dir, "-e", "SELECT ?x WHERE {\n  ?x ?y }")
    assert code == 2 and "line 2, column" in err and "Traceback" not in err
    code, _, err = invoke(out_dir, "no-such-query")
    assert code == 2 and "library queries:" in err and "decision-awards" in err
    code, _, err = invoke(out_dir, "brokers", "-p", "town=grenoble")
    assert code == 2 and "valid parameters: ecosystem, min" in err
    code, _, err = invoke(out_dir, "brokers", "-p", "novalue")
    assert code == 2 and "expected NAME=VALUE" in err


def test_successions_show_the_merger_into_le_poool_with_its_source(engine: EmbeddedEngine, graph: Graph) -> None:
    result = rows(engine, "successions")
    merged = {local_id(r["predecessor"]) for r in result if local_id(r["latest"]) == "le-poool"}
    assert {"rennes-atalante", "association-french-tech-rennes-saint-malo"} <= merged
    assert {local_id(r["source"]) for r in result if local_id(r["predecessor"]) == "rennes-atalante"} == {
        "latribune-2018-06-rennes-atalante-french-tech-le-poool"
    }
    # One row per succession and source: every succession of the graph is there, none invented.
    assert {(local_id(r["predecessor"]), local_id(r["successor"])) for r in result} == {
        (local_id(s), local_id(o)) for s, o in graph.subject_objects(DCTERMS.isReplacedBy)
    }
