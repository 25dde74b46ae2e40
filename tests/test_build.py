"""The foundation: every curated record validates, the build is deterministic, bad input is refused
with a located error and no partial output, and the seed facts are in the graph with their sources."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, SKOS, XSD

from ftgraph.build import BuiltGraph, Paths, build_graph, to_sorted_ntriples, to_turtle
from ftgraph.cli import cli
from ftgraph.errors import DataErrors, ValidationFailed
from ftgraph.namespaces import DEFAULT_BASE_IRI, FT, sparql_prologue

from .conftest import ROOT

VOCABULARY = ROOT / "data" / "vocabulary"
FT_BIN = Path(sys.executable).with_name("ftgraph")

MINIMAL_SOURCES = """\
sources:
  - id: src-one
    url: https://www.example-press.fr/article-1
    title: Un article
    publisher: Presse Exemple
    date: 2014-09-12
    type: article
"""
MINIMAL_RECORDS = """\
places:
  - {id: grenoble, name: Grenoble, type: commune, insee: "38185", sources: [src-one]}
organisations:
  - {id: acme, name: Acme, type: startup, city: grenoble, founded: 2010, sources: [src-one]}
people:
  - {id: jane-doe, name: Jane Doe, sources: [src-one]}
roles:
  - {id: jane-ceo, member: jane-doe, organisation: acme, role: role-ceo, start: 2012-03, sources: [src-one]}
events:
  - id: visit-1
    name: Visite
    type: visit
    date: 2014-09-12
    place: grenoble
    participants: [{agent: jane-doe, role: event-role-visitor}, {agent: acme, role: event-role-visited}]
    sources: [src-one]
"""


def write_minimal(root: Path, records: str = MINIMAL_RECORDS, sources: str = MINIMAL_SOURCES) -> Path:
    data = root / "data"
    (data / "sources").mkdir(parents=True)
    shutil.copytree(VOCABULARY, data / "vocabulary")
    for name in ("labels.yaml", "criteria.yaml", "thematic-networks.yaml"):
        (data / "vocabulary" / name).unlink(missing_ok=True)  # they cite the real sources
    (data / "sources" / "test.yaml").write_text(sources, encoding="utf-8")
    (data / "records.yaml").write_text(records, encoding="utf-8")
    return data


def minimal_paths(tmp_path: Path, records: str = MINIMAL_RECORDS, sources: str = MINIMAL_SOURCES) -> Paths:
    return Paths(write_minimal(tmp_path, records, sources), ROOT / "ontology", tmp_path / "out")


# -- the real curated data --------------------------------------------------------------------------


def test_curated_data_validates_against_schema_and_shapes(built: BuiltGraph) -> None:
    assert built.report.conforms
    assert len(built.dataset) > 100
    assert len(built.data) > 1000


def test_no_blank_nodes(built: BuiltGraph) -> None:
    blank = [t for t in built.combined if any(isinstance(term, BNode) for term in t)]
    assert blank == []


def sources_of_fact(graph: Graph, triple: tuple[object, object, object]) -> set[object]:
    """The project's rule (docs/data-format.md): statement-node sources, else the subject's sources."""
    subject, predicate, obj = triple
    statements = {
        st for st in graph.subjects(RDF.subject, subject)
        if (st, RDF.predicate, predicate) in graph and (st, RDF.object, obj) in graph
    }
    if statements:
        return {src for st in statements for src in graph.objects(st, PROV.wasDerivedFrom)}
    return set(graph.objects(subject, PROV.wasDerivedFrom))  # type: ignore[arg-type]


def test_every_fact_has_a_source(built: BuiltGraph) -> None:
    graph = built.data
    sources = set(graph.subjects(RDF.type, FT.Source))
    vocabulary_schemes = {FT.RoleScheme, FT.EventRoleScheme, FT.OutcomeScheme}
    vocabulary = {c for scheme in vocabulary_schemes for c in graph.subjects(SKOS.inScheme, scheme)}
    unsourced = [
        triple for triple in graph
        if triple[0] not in sources and triple[0] not in vocabulary
        and not (sources_of_fact(graph, triple) & sources)
    ]
    assert unsourced == [], f"{len(unsourced)} facts without a source, e.g. {unsourced[:3]}"


def test_build_is_byte_identical_across_runs(built: BuiltGraph, tmp_path: Path) -> None:
    """The CLI's build (another process) and the session's build give the same bytes."""
    result = subprocess.run([str(FT_BIN), "--quiet", "build", "--out", str(tmp_path)],
                            cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    ntriples = to_sorted_ntriples(built.combined)
    assert (tmp_path / "graph.nt").read_text(encoding="utf-8") == ntriples
    assert (tmp_path / "graph.ttl").read_text(encoding="utf-8") == to_turtle(ntriples)
    lines = ntriples.splitlines()
    assert lines == sorted(lines) and len(lines) == len(built.combined)
    assert Graph().parse(tmp_path / "graph.ttl", format="turtle").isomorphic(built.combined)


def test_minimal_build_is_byte_identical_twice(tmp_path: Path) -> None:
    data = write_minimal(tmp_path)
    outputs = []
    for name in ("a", "b"):
        result = CliRunner().invoke(cli, ["-q", "build", "--data", str(data), "--out", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        outputs.append([(tmp_path / name / f).read_bytes() for f in ("graph.nt", "graph.ttl")])
    assert outputs[0] == outputs[1]


# -- the seed facts, each with its source URL --------------------------------------------------------


def select(built: BuiltGraph, query: str) -> list[tuple[str, ...]]:
    rows = built.combined.query(sparql_prologue() + query)
    return sorted(tuple(str(value) for value in row) for row in rows)  # type: ignore[union-attr]


FRANCE3 = "https://france3-regions.francetvinfo.fr/"


def test_seed_visit_with_participants_and_source(built: BuiltGraph) -> None:
    rows = select(built, """
        SELECT ?date ?place ?agent ?role ?url WHERE {
          <https://w3id.org/ftgraph/event/visit-axelle-lemaire-grenoble-2014-09-12> schema:startDate ?date ;
              schema:location/rdfs:label ?place ; prov:wasDerivedFrom/schema:url ?url ;
              prov:qualifiedAssociation [ prov:agent/rdfs:label ?agent ; prov:hadRole/skos:prefLabel ?role ] .
          FILTER(lang(?role) = "en")
        }""")
    assert {(r[0], r[1]) for r in rows} == {("2014-09-12", "Grenoble")}
    participants = {(r[2], r[3]) for r in rows}
    assert {("Axelle Lemaire", "visitor"), ("Atos", "visited organisation"),
            ("Biopolis", "visited organisation"), ("Vincent Tempelaere", "speaker"),
            ("Boris Saragaglia", "speaker"), ("Xavier Schmitt", "reporter"), ("Franck Ceroni", "reporter"),
            ("Virginie Muamba", "reporter")} <= participants
    assert any(r[4].startswith(FRANCE3) for r in rows)


def test_seed_people_roles_and_places_with_sources(built: BuiltGraph) -> None:
    rows = select(built, """
        SELECT ?person ?title ?org ?url WHERE {
          ?m a org:Membership ; org:member/rdfs:label ?person ; org:organization/rdfs:label ?org ;
             ft:roleTitle ?title ; prov:wasDerivedFrom/schema:url ?url .
          FILTER(?person IN ("Axelle Lemaire", "Fleur Pellerin", "Boris Saragaglia"))
        }""")
    titles = {(r[0], r[1]) for r in rows if r[3].startswith(FRANCE3)}
    assert ("Axelle Lemaire", "secrétaire d'État chargée du numérique") in titles
    assert ("Boris Saragaglia", "PDG") in titles
    assert any(r[0] == "Fleur Pellerin" and "économie numérique" in r[1] for r in titles)
    places = select(built, """
        SELECT ?org ?city WHERE { ?o rdfs:label ?org ; schema:location/rdfs:label ?city .
                                  FILTER(?org IN ("Biopolis", "Spartoo")) }""")
    assert places == [("Biopolis", "La Tronche"), ("Spartoo", "Grenoble")]


def test_seed_label_call_criteria_and_first_candidates(built: BuiltGraph) -> None:
    call = URIRef(DEFAULT_BASE_IRI + "event/label-call-metropole-french-tech-2014")
    graph = built.combined
    assert graph.value(call, URIRef("http://schema.org/startDate")) == Literal("2014-01-29", datatype=XSD.date)
    assert (call, PROV.wasAssociatedWith, URIRef(DEFAULT_BASE_IRI + "person/fleur-pellerin")) in graph
    criteria = {str(c).rsplit("/", 1)[1] for c in graph.objects(call, FT.criterion)}
    assert {"criterion-strategy", "criterion-federation", "criterion-programmes",
            "criterion-urban-spaces"} <= criteria
    candidates = select(built, f"""
        SELECT ?city WHERE {{
          ?c a ft:Candidacy ; ft:answers <{call}> ; ft:candidate ?eco ; prov:wasDerivedFrom/schema:url ?url .
          ?eco rdfs:label ?city . FILTER(STRSTARTS(STR(?url), "{FRANCE3}")) }}""")
    assert len(candidates) == 5


def test_labelling_decision_of_2014_11_12_awards_nine_metropoles(built: BuiltGraph) -> None:
    rows = select(built, """
        SELECT DISTINCT ?eco ?date WHERE {
          ?award a ft:LabelAward ; ft:label ?label ; ft:awardee ?eco ; prov:wasGeneratedBy ?decision ;
                 dcterms:date ?date ; prov:wasDerivedFrom/schema:url ?url .
          FILTER(?label = <https://w3id.org/ftgraph/concept/label-metropole-french-tech>)
          FILTER(?decision = <https://w3id.org/ftgraph/event/labelling-decision-2014-11-12>)
        }""")
    ecosystems = {r[0].rsplit("/", 1)[1] for r in rows}
    assert ecosystems == {f"french-tech-{slug}" for slug in (
        "aix-marseille", "bordeaux", "grenoble", "lille", "lyon", "nantes", "montpellier", "rennes", "toulouse")}
    assert {r[1] for r in rows} == {"2014-11-12"}


# -- a small dataset: mapping, determinism, --base-iri ---------------------------------------------


def test_minimal_dataset_maps_to_the_documented_rdf(tmp_path: Path) -> None:
    built = build_graph(minimal_paths(tmp_path))
    g = built.data
    acme = URIRef(DEFAULT_BASE_IRI + "org/acme")
    role = URIRef(DEFAULT_BASE_IRI + "membership/jane-ceo")
    assert (acme, RDF.type, FT.Startup) in g
    assert g.value(acme, URIRef("http://schema.org/foundingDate")) == Literal("2010", datatype=XSD.gYear)
    assert g.value(role, URIRef("http://schema.org/startDate")) == Literal("2012-03", datatype=XSD.gYearMonth)
    assert g.value(URIRef(DEFAULT_BASE_IRI + "place/grenoble"), URIRef("http://rdf.insee.fr/def/geo#codeINSEE")) \
        == Literal("38185")
    assert len(set(g.subjects(RDF.type, PROV.Association))) == 2


def test_conflicting_values_keep_both_with_their_sources(tmp_path: Path) -> None:
    sources = MINIMAL_SOURCES + """\
  - {id: src-two, url: "https://autre.example.fr/b", title: B, publisher: Autre, date: 2015, type: article}
"""
    records = MINIMAL_RECORDS.replace(
        "founded: 2010,",
        "founded: [{value: 2010, sources: [src-one], preferred: true, note: registry}, "
        "{value: 2011, sources: [src-two]}],")
    g = build_graph(minimal_paths(tmp_path, records, sources)).data
    rows = g.query(sparql_prologue() + """
        SELECT ?value ?preferred ?url WHERE {
          ?st rdf:subject <https://w3id.org/ftgraph/org/acme> ; rdf:predicate schema:foundingDate ; rdf:object ?value ;
              ft:preferred ?preferred ; prov:wasDerivedFrom/schema:url ?url }""")
    assert sorted((str(v), p.toPython(), str(u)) for v, p, u in rows) == [  # type: ignore[union-attr]
        ("2010", True, "https://www.example-press.fr/article-1"), ("2011", False, "https://autre.example.fr/b")]
    assert list(g.objects(URIRef(DEFAULT_BASE_IRI + "org/acme"), URIRef("http://schema.org/foundingDate"))) \
        == [Literal("2010", datatype=XSD.gYear)]


def test_base_iri_option_moves_data_iris_only(tmp_path: Path) -> None:
    data = write_minimal(tmp_path)
    result = CliRunner().invoke(cli, ["--quiet", "build", "--data", str(data), "--out", str(tmp_path / "out"),
                                      "--base-iri", "https://data.example.org/ft/"])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "out" / "graph.nt").read_text()
    assert "<https://data.example.org/ft/org/acme>" in text
    assert DEFAULT_BASE_IRI + "org/" not in text
    assert "<https://w3id.org/ftgraph/ontology#Startup>" in text


# -- bad input: one clear located error, exit 2, out/ untouched --------------------------------------

BAD_INPUTS = {
    "malformed YAML": (MINIMAL_RECORDS.replace("people:\n", "people:\n  - [unclosed\n"), "records.yaml:",
                       "malformed YAML"),
    "unknown reference": (MINIMAL_RECORDS.replace("city: grenoble", "city: grenobel"),
                          "record 'acme', field 'city'", "unknown reference 'grenobel'"),
    "duplicate id": (MINIMAL_RECORDS.replace("id: jane-doe,", "id: acme,").replace("member: jane-doe", "member: acme")
                     .replace("agent: jane-doe", "agent: acme"), "record 'acme', field 'id'", "duplicate id 'acme'"),
    "missing source": (MINIMAL_RECORDS.replace("{id: jane-doe, name: Jane Doe, sources: [src-one]}",
                                               "{id: jane-doe, name: Jane Doe}"),
                       "record 'jane-doe', field 'sources'", "required field is missing"),
    "unknown source": (MINIMAL_RECORDS.replace("Jane Doe, sources: [src-one]", "Jane Doe, sources: [src-9]"),
                       "record 'jane-doe', field 'sources[0]'", "unknown reference 'src-9'"),
    "bad date": (MINIMAL_RECORDS.replace("start: 2012-03", "start: 2012-13"),
                 "record 'jane-ceo', field 'start'", "not a valid date"),
    "end before start": (MINIMAL_RECORDS.replace("start: 2012-03,", "start: 2012-03, end: 2011,"),
                         "record 'jane-ceo', field 'end'", "before 'start'"),
    "invalid IRI": (MINIMAL_RECORDS.replace("founded: 2010,", "founded: 2010, website: 'http://acme .fr',"),
                    "record 'acme', field 'website'", "not a valid IRI"),
    "unknown property": (MINIMAL_RECORDS.replace("founded: 2010,", "founded: 2010, ceo: bob,"),
                         "record 'acme', field 'ceo'", "unknown field"),
    "wrong kind of reference": (MINIMAL_RECORDS.replace("role: role-ceo", "role: event-role-visitor"),
                                "record 'jane-ceo', field 'role'", "expected 'roles'"),
    "unknown record kind": (MINIMAL_RECORDS + "companies:\n  - {id: x}\n", "records.yaml:",
                            "unknown record kind 'companies'"),
    "succeeded by itself": (MINIMAL_RECORDS.replace("founded: 2010,", "founded: 2010, replaced_by: acme,"),
                            "record 'acme', field 'replaced_by'", "succession cycle: acme → acme"),
    "succeeded by a place": (MINIMAL_RECORDS.replace("founded: 2010,", "founded: 2010, replaced_by: grenoble,"),
                             "record 'acme', field 'replaced_by'", "'grenoble' is a place, expected an organisation"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_gives_one_located_error_and_keeps_previous_output(tmp_path: Path, case: str) -> None:
    records, where, what = BAD_INPUTS[case]
    data = write_minimal(tmp_path)
    out = tmp_path / "out"
    runner = CliRunner()
    assert runner.invoke(cli, ["--quiet", "build", "--data", str(data), "--out", str(out)]).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    (data / "records.yaml").write_text(records, encoding="utf-8")
    result = runner.invoke(cli, ["--quiet", "build", "--data", str(data), "--out", str(out)])

    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert where in result.output and what in result.output, result.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not list(tmp_path.glob(".out.staging-*"))


def test_errors_name_the_line(tmp_path: Path) -> None:
    with pytest.raises(DataErrors) as caught:
        build_graph(minimal_paths(tmp_path, MINIMAL_RECORDS.replace("start: 2012-03", "start: 2012-13")))
    [error] = caught.value.errors
    assert (error.record, error.field) == ("jane-ceo", "start")
    assert error.line == 8 and error.path.endswith("records.yaml")


SUCCESSION = MINIMAL_RECORDS.replace(
    "organisations:\n",
    "organisations:\n"
    "  - {id: old-name, name: Old Name, type: cluster, dissolved: 2018, replaced_by: {value: acme, sources: [src-one]},"
    " sources: [src-one]}\n",
)


def test_a_succession_is_a_sourced_statement(tmp_path: Path) -> None:
    built = build_graph(minimal_paths(tmp_path, SUCCESSION))
    old, new = (URIRef(f"{DEFAULT_BASE_IRI}org/{name}") for name in ("old-name", "acme"))
    assert (old, DCTERMS.isReplacedBy, new) in built.combined
    assert sources_of_fact(built.combined, (old, DCTERMS.isReplacedBy, new)) == {
        URIRef(f"{DEFAULT_BASE_IRI}source/src-one")
    }


def test_a_succession_cycle_names_every_organisation_of_it(tmp_path: Path) -> None:
    records = SUCCESSION.replace("founded: 2010,", "founded: 2010, replaced_by: old-name,")
    with pytest.raises(DataErrors) as caught:
        build_graph(minimal_paths(tmp_path, records))
    assert sorted((error.record, error.field) for error in caught.value.errors) == [
        ("acme", "replaced_by"), ("old-name", "replaced_by")
    ]
    assert "succession cycle: acme → old-name → acme" in str(caught.value)


def test_sources_are_declared_only_in_the_sources_folder(tmp_path: Path) -> None:
    with pytest.raises(DataErrors, match="sources are declared only in data/sources"):
        build_graph(minimal_paths(tmp_path, MINIMAL_RECORDS + MINIMAL_SOURCES.replace("src-one", "src-two")))


def test_duplicate_source_url_is_refused(tmp_path: Path) -> None:
    twice = MINIMAL_SOURCES + MINIMAL_SOURCES.split("\n", 1)[1].replace("src-one", "src-copy")
    with pytest.raises(DataErrors, match="same URL as source 'src-one'"):
        build_graph(minimal_paths(tmp_path, sources=twice))


def paths_with_stricter_shapes(tmp_path: Path) -> Paths:
    """The minimal data and the ontology with one more shape that data violates (every organisation
    needs a website: message "needs a website")."""
    shapes = tmp_path / "ontology"
    shutil.copytree(ROOT / "ontology", shapes)
    with (shapes / "shapes.ttl").open("a") as handle:
        handle.write("\nfts:NeedsWebsite a sh:NodeShape ; sh:targetClass org:Organization ;\n"
                     "  sh:property [ sh:path foaf:homepage ; sh:minCount 1 ; sh:message \"needs a website\" ] .\n")
    return Paths(write_minimal(tmp_path), shapes, tmp_path / "out")


def test_shape_violation_refuses_to_write(tmp_path: Path) -> None:
    paths = paths_with_stricter_shapes(tmp_path)
    with pytest.raises(ValidationFailed, match="needs a website") as caught:
        build_graph(paths)
    assert caught.value.exit_code == 1


# -- the CLI end to end ------------------------------------------------------------------------------


def test_cli_build_validate_stats_end_to_end(tmp_path: Path) -> None:
    data = write_minimal(tmp_path)
    out = tmp_path / "out"
    run = lambda *args: subprocess.run([str(FT_BIN), *args], capture_output=True, text=True, check=False)  # noqa: E731
    build = run("build", "--data", str(data), "--out", str(out))
    assert build.returncode == 0, build.stderr
    assert "ft:Startup" in build.stdout and "conforms" in build.stdout
    assert (out / "graph.nt").is_file() and (out / "graph.ttl").is_file()
    validate = run("validate", "--data", str(data))
    assert validate.returncode == 0 and "conforms" in validate.stdout
    stats = run("--quiet", "stats", "--data", str(data), "--out", str(out))
    assert stats.returncode == 0
    assert "org:Membership" in stats.stdout and "prov:wasDerivedFrom" in stats.stdout
    bad = run("build", "--data", str(tmp_path / "missing"), "--out", str(out))
    assert bad.returncode == 2 and "data directory not found" in bad.stderr and "Traceback" not in bad.stderr
