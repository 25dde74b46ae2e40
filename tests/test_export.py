"""Linked-data exports, dataset description and release.

Every RDF export is re-read by two independent parsers (pyoxigraph, and raptor's ``rapper`` or rdflib
for JSON-LD) and must give back exactly the triples of the graph; the VoID counts are recomputed with
SPARQL on a parsed export; outputs are byte-identical across two runs in separate processes. Exact
values come from a small fixture dataset written here; the real data is checked on stable facts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import networkx as nx
import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import Graph
from rdflib.compare import isomorphic

from ftgraph import pipeline
from ftgraph.build import BuiltGraph, Paths, build_graph
from ftgraph.cli import cli
from ftgraph.describe import entity_pattern
from ftgraph.export import FORMATS, Exporter, SimpleContext, load_context, pyld_compact
from ftgraph.progress import Progress
from ftgraph.release import CHECKSUM_FILE, DESCRIPTION_FILE, ReleaseInfo, write_release

from .conftest import ROOT, require_program

BASE = "https://w3id.org/ftgraph/"
ONTOLOGY_IRI = "https://w3id.org/ftgraph/ontology"
RDF_FORMATS = [name for name, fmt in FORMATS.items() if fmt.rdf]
#: rapper's parser name for each export read back with it (rapper cannot read JSON-LD).
RAPPER_SYNTAX = {"ttl": "turtle", "nt": "ntriples", "nq": "nquads", "trig": "trig", "rdfxml": "rdfxml"}
OX_FORMAT = {"ttl": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "nq": ox.RdfFormat.N_QUADS,
             "trig": ox.RdfFormat.TRIG, "rdfxml": ox.RdfFormat.RDF_XML, "jsonld": ox.RdfFormat.JSON_LD}
FIXED_EPOCH = "1785110400"  # 2026-07-27 UTC
RELEASE_EXPORTS = ["ftgraph.ttl", "ftgraph.nt", "ftgraph.nq", "ftgraph.trig", "ftgraph.jsonld", "ftgraph.rdf",
                   "ftgraph.gexf", "ftgraph.graphml", "ftgraph.nodes.csv", "ftgraph.edges.csv"]
FT_BIN = Path(sys.executable).with_name("ftgraph")

FILES = {
    "sources/press.yaml": """\
sources:
  - id: src-a
    url: https://www.example-press.fr/a
    title: "Acme, la start-up qui monte"
    publisher: Presse Exemple
    date: 2014-09-12
    type: article
  - id: src-b
    url: https://www.example.gouv.fr/b
    title: Le label French Tech
    publisher: Ministère
    date: 2014-11
    type: official
""",
    "vocabulary/concepts.yaml": """\
concepts:
  - {id: role-founder, scheme: roles, label_fr: fondateur, label_en: founder}
  - {id: role-member, scheme: roles, label_fr: membre, label_en: member}
  - {id: event-role-visitor, scheme: event-roles, label_fr: visiteur, label_en: visitor}
  - {id: event-role-visited, scheme: event-roles, label_fr: visité, label_en: visited}
  - {id: label-metropole-french-tech, scheme: labels, label_fr: Métropole French Tech,
     label_en: French Tech Metropolis, sources: [src-b]}
""",
    "metropoles/alpha.yaml": """\
places:
  - {id: grenoble, name: Grenoble, type: commune, insee: "38185",
     wikidata: {value: Q1289, sources: [src-a]}, sources: [src-a]}
organisations:
  - {id: french-tech-alpha, name: French Tech Alpha, type: ecosystem, sources: [src-b]}
  - id: acme
    name: Acme
    type: startup
    city: grenoble
    founded:
      - {value: 2010, sources: [src-a], preferred: true, note: registry date}
      - {value: 2011, sources: [src-b]}
    wikidata: {value: Q42, sources: [src-a]}
    sources: [src-a]
people:
  - {id: jane-doe, name: Jane Doe, sources: [src-a]}
roles:
  - {id: jane-founder-acme, member: jane-doe, organisation: acme, role: role-founder, start: 2010, sources: [src-a]}
  - {id: acme-member-alpha-2014, member: acme, organisation: french-tech-alpha, role: role-member, sources: [src-b]}
events:
  - id: visit-1
    name: Visite d'Acme
    type: visit
    date: 2014-09-12
    place: grenoble
    participants: [{agent: jane-doe, role: event-role-visitor}, {agent: acme, role: event-role-visited}]
    sources: [src-a]
""",
    "metropoles/beta.yaml": """\
roles:
  - {id: jane-member-alpha, member: jane-doe, organisation: french-tech-alpha, role: role-member,
     start: 2014-11, sources: [src-b]}
  - {id: acme-member-alpha-2015, member: acme, organisation: french-tech-alpha, role: role-member,
     start: 2015, sources: [src-b]}
events:
  - {id: decision-1, name: Décision, type: labelling-decision, date: 2014-11-12,
     label: label-metropole-french-tech, sources: [src-b]}
awards:
  - {id: award-alpha, label: label-metropole-french-tech, awardee: french-tech-alpha, decision: decision-1,
     date: 2014-11-12, valid_from: 2014-11-12, valid_to: 2018, sources: [src-b]}
""",
}


def write_fixture(root: Path) -> Path:
    data = root / "data"
    for name, text in FILES.items():
        (data / name).parent.mkdir(parents=True, exist_ok=True)
        (data / name).write_text(text, encoding="utf-8")
    return data


@pytest.fixture(scope="module")
def fixture_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_fixture(tmp_path_factory.mktemp("fixture"))


@pytest.fixture(scope="module")
def small(fixture_data: Path) -> BuiltGraph:
    return build_graph(Paths(data=fixture_data, ontology=ROOT / "ontology", out=fixture_data.parent / "out"))


@pytest.fixture(scope="module")
def exporter(small: BuiltGraph) -> Exporter:
    return Exporter(small)


@pytest.fixture(scope="module")
def exported(exporter: Exporter, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each format's files, by format name (one-file formats) or file suffix (``nodes.csv``...)."""
    folder = tmp_path_factory.mktemp("exports")
    paths = {}
    for name, fmt in FORMATS.items():
        files = fmt.render(exporter)
        for suffix, text in files.items():
            paths[name if len(files) == 1 else suffix] = folder / f"graph.{suffix}"
            paths[name if len(files) == 1 else suffix].write_text(text, encoding="utf-8")
    return paths


@pytest.fixture(scope="module")
def release(small: BuiltGraph, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("release") / "ftgraph-test"
    write_release(small, folder, ReleaseInfo("0.1.0+20260727", dt.date(2026, 7, 27)), ROOT / "ontology")
    return folder


def graph_triples(built: BuiltGraph) -> set[str]:
    """The graph as canonical N-Triples lines (no blank nodes in this graph)."""
    return {str(triple) for triple in ox.parse(built.combined.serialize(format="nt", encoding="utf-8"),
                                              format=ox.RdfFormat.N_TRIPLES)}


def rapper_ntriples(path: Path, syntax: str) -> tuple[list[str], str]:
    """N-Triples lines that rapper reads from ``path``, and its messages."""
    rapper = require_program("rapper", "raptor2-utils")
    result = subprocess.run([rapper, "-i", syntax, "-o", "ntriples", str(path)],
                            capture_output=True, text=True, check=True)
    return [line for line in result.stdout.splitlines() if line.strip()], result.stderr


# --------------------------------------------------------------------------- re-read by two parsers


@pytest.mark.parametrize("name", RDF_FORMATS)
def test_pyoxigraph_reads_back_exactly_the_graph(name: str, exported: dict[str, Path], small: BuiltGraph) -> None:
    statements = list(ox.parse(path=exported[name], format=OX_FORMAT[name]))
    triples = {str(statement.triple) for statement in statements}
    assert len(triples) == len(small.combined)
    assert triples == graph_triples(small)


@pytest.mark.rapper
@pytest.mark.parametrize("name", list(RAPPER_SYNTAX))
def test_rapper_reads_back_exactly_the_graph(name: str, exported: dict[str, Path], small: BuiltGraph) -> None:
    lines, messages = rapper_ntriples(exported[name], RAPPER_SYNTAX[name])
    assert "warning" not in messages.lower() and "error" not in messages.lower(), messages
    triples = {str(next(iter(ox.parse(line, format=ox.RdfFormat.N_TRIPLES))).triple) for line in lines}
    assert len(triples) == len(small.combined)
    assert triples == graph_triples(small)


@pytest.mark.rapper
@pytest.mark.parametrize("name", ["nq", "trig"])
def test_rapper_counts_every_quad(name: str, exported: dict[str, Path], exporter: Exporter) -> None:
    lines, _ = rapper_ntriples(exported[name], RAPPER_SYNTAX[name])
    assert len(lines) == len(exporter.quads)


def test_jsonld_read_by_rdflib_is_isomorphic_with_the_ntriples(
        exported: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a JSON-LD reader tried to open a network connection")

    monkeypatch.setattr(socket, "socket", no_network)
    from_jsonld = Graph().parse(exported["jsonld"], format="json-ld")
    from_ntriples = Graph().parse(exported["nt"], format="nt")
    assert len(from_jsonld) == len(from_ntriples)
    assert isomorphic(from_jsonld, from_ntriples)


def test_jsonld_is_compact_with_the_published_context(exported: dict[str, Path]) -> None:
    document = json.loads(exported["jsonld"].read_text(encoding="utf-8"))
    assert document["@context"] == load_context()  # embedded, never a remote reference
    nodes = {node["id"]: node for node in document["@graph"]}
    acme = nodes["ftr:org/acme"]
    assert sorted(acme["type"]) == ["ft:Startup", "org:Organization"]
    assert acme["label"] == "Acme"
    assert acme["location"] == "ftr:place/grenoble"
    assert acme["sameAs"] == "wd:Q42"
    assert acme["foundingDate"] == {"type": "xsd:gYear", "@value": "2010"}
    assert nodes["ftr:concept/role-founder"]["prefLabel"] == {"fr": "fondateur", "en": "founder"}
    assert nodes["ftr:org/acme/claim/founded/2"]["preferred"] == {"type": "xsd:boolean", "@value": "false"}


def _canonical(document: dict[str, Any]) -> str:
    """The RDF dataset of a JSON-LD document, expanded by pyld, as canonical N-Quads (URDNA2015): equal
    strings, isomorphic datasets."""
    from pyld import jsonld

    quads: str = jsonld.normalize(document, {"algorithm": "URDNA2015", "format": "application/n-quads"})
    return quads


def test_direct_jsonld_is_the_dataset_of_pylds_compaction(exporter: Exporter, built: BuiltGraph) -> None:
    """The document written from the triples and the JSON-LD API's compaction expand to the same dataset,
    on the fixture and on the ontology with a slice of the real data (blank nodes, language maps...)."""
    sample = Exporter(built)
    real = [t for t in sample.triples if not str(t.subject).startswith(f"<{BASE}")] + sample.triples[:3000]
    for triples, context in ((exporter.triples, exporter.context), (sorted(set(real), key=str), sample.context)):
        simple = SimpleContext.of(context)
        assert simple is not None
        direct = simple.compact(triples, context)
        assert _canonical(direct) == _canonical(pyld_compact(triples, context))
        assert len(_canonical(direct).splitlines()) == len(triples)


def test_jsonld_with_a_context_outside_the_simple_form_goes_through_pyld(exporter: Exporter) -> None:
    coerced = {**exporter.context, "@vocab": "http://example.org/vocab#",
               "foundingDate": {"@id": "schema:foundingDate", "@type": "xsd:gYear"}}
    assert SimpleContext.of(coerced) is None
    document = json.loads(Exporter(exporter.built, coerced).jsonld())
    acme = next(node for node in document["@graph"] if node["id"] == "ftr:org/acme")
    assert acme["foundingDate"] == "2010"  # pyld's compaction used the coercion
    assert _canonical(document) == _canonical(json.loads(exporter.jsonld()))


def test_jsonld_compaction_refuses_iris_a_reader_would_misread() -> None:
    context = {"id": "@id", "urn": "http://example.org/urn#", "label": "http://www.w3.org/2000/01/rdf-schema#label"}
    simple = SimpleContext.of(context)
    assert simple is not None
    assert simple.compact_iri("http://example.org/urn#x") == "urn:x"
    assert simple.compact_iri("http://example.org/urn#") == "http://example.org/urn#"  # no empty suffix
    with pytest.raises(Exception, match="label:x"):
        simple.compact_iri("label:x")  # 'label' is a term: left to pyld
    for outside in ({"x": "relative"}, {"x": {"@id": "ex:y", "@type": "@vocab"}}, {"@base": "http://a/"},
                    {"ex:y": "http://a/"}, {"a": "b:c", "b": {"@id": "http://b/"}}, {"a": "a:x"}):
        assert SimpleContext.of(outside) is None, outside


def test_jsonld_follows_the_base_iri(fixture_data: Path) -> None:
    built = build_graph(Paths(fixture_data, ROOT / "ontology", fixture_data.parent / "out"), "http://example.org/kg/")
    document = json.loads(Exporter(built).jsonld())
    assert document["@context"]["ftr"] == "http://example.org/kg/"
    assert "ftr:org/acme" in {node["id"] for node in document["@graph"]}


def test_context_has_a_short_key_for_every_property_of_the_real_graph(built: BuiltGraph) -> None:
    context = load_context()
    keyed = {definition if isinstance(definition, str) else definition["@id"]
             for key, definition in context.items() if not key.startswith("@") and key not in ("id", "type")}
    expanded = {_expand(term, context) for term in keyed}
    missing = {str(p) for p in built.combined.predicates()} - expanded - {"http://www.w3.org/1999/02/22-rdf-syntax-ns#type"}
    assert not missing, f"add a term to ontology/context.jsonld for: {sorted(missing)}"
    assert len(expanded) == len(keyed), "two keys of the context map to the same property"


def _expand(term: str, context: dict[str, Any]) -> str:
    prefix, _, local = term.partition(":")
    namespace = context.get(prefix)
    return namespace + local if isinstance(namespace, str) and local else term


# --------------------------------------------------------------------------- named graphs


def test_one_named_graph_per_curated_file(exporter: Exporter, small: BuiltGraph) -> None:
    graphs: dict[str, set[str]] = {}
    for quad in exporter.quads:
        graphs.setdefault(str(quad.graph_name)[1:-1], set()).add(str(quad.triple))
    assert sorted(graphs) == [
        f"{BASE}graph/metropoles/alpha", f"{BASE}graph/metropoles/beta", f"{BASE}graph/sources/press",
        f"{BASE}graph/vocabulary/concepts", ONTOLOGY_IRI,
    ]
    assert set().union(*graphs.values()) == graph_triples(small)
    alpha, beta = graphs[f"{BASE}graph/metropoles/alpha"], graphs[f"{BASE}graph/metropoles/beta"]
    jane_member = f"<{BASE}person/jane-doe> <http://www.w3.org/ns/org#memberOf> <{BASE}org/french-tech-alpha>"
    acme_member = f"<{BASE}org/acme> <http://www.w3.org/ns/org#memberOf> <{BASE}org/french-tech-alpha>"
    jane_name = f'<{BASE}person/jane-doe> <http://www.w3.org/2000/01/rdf-schema#label> "Jane Doe"'
    # A shortcut belongs to the file of the role it comes from, not to the file of its subject...
    assert jane_member in beta and jane_member not in alpha
    # ...and a fact derived by records of two files is in both graphs.
    assert acme_member in alpha and acme_member in beta
    assert jane_name in alpha and jane_name not in beta
    assert len(exporter.quads) == len(small.combined) + 1  # acme memberOf alpha, twice


def test_ontology_is_its_own_named_graph(exporter: Exporter, small: BuiltGraph) -> None:
    ontology = {str(q.triple) for q in exporter.quads if q.graph_name == ox.NamedNode(ONTOLOGY_IRI)}
    assert len(ontology) == len(small.ontology)


# --------------------------------------------------------------------------- dataset description


def query(store: ox.Store, sparql: str) -> list[dict[str, str]]:
    prologue = ("PREFIX void: <http://rdfs.org/ns/void#> PREFIX dcat: <http://www.w3.org/ns/dcat#> "
                "PREFIX spdx: <http://spdx.org/rdf/terms#> PREFIX dcterms: <http://purl.org/dc/terms/> "
                "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> ")
    solutions = store.query(prologue + sparql)
    assert isinstance(solutions, ox.QuerySolutions)
    return [{str(v)[1:]: row[v].value for v in solutions.variables if row[v] is not None}
            for row in solutions]


@pytest.fixture(scope="module")
def description(release: Path) -> ox.Store:
    store = ox.Store()
    store.load(path=release / DESCRIPTION_FILE, format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(f"{BASE}void"))
    store.load(path=release / "ftgraph.nq", format=ox.RdfFormat.N_QUADS)
    return store


def described(store: ox.Store, sparql_pattern: str) -> dict[str, int]:
    rows = query(store, f"SELECT ?key ?n WHERE {{ GRAPH <{BASE}void> {{ {sparql_pattern} }} }}")
    return {row["key"]: int(row["n"]) for row in rows}


def counted(store: ox.Store, select: str) -> dict[str, int]:
    return {row["key"]: int(row["n"]) for row in query(store, select)}


def test_void_totals_equal_the_real_counts(description: ox.Store, small: BuiltGraph) -> None:
    void = "http://rdfs.org/ns/void#"
    totals = described(description, f"""<{BASE}dataset> ?p ?n . BIND(STR(?p) AS ?key)
        FILTER(STRSTARTS(?key, "{void}") && DATATYPE(?n) = <http://www.w3.org/2001/XMLSchema#integer>)""")
    data = f"GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{BASE}void>)"
    real = {
        "triples": f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?s ?p ?o WHERE {{ {data} }} }}",
        "distinctSubjects": f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {data} }}",
        "distinctObjects": f"SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE {{ {data} }}",
        "properties": f"SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE {{ {data} }}",
        "classes": f"SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE {{ {data} FILTER(?p = rdf:type) }}",
        "entities": f"""SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {data}
                        FILTER(REGEX(STR(?s), "{entity_pattern(BASE).replace(chr(92), chr(92) * 2)}")) }}""",
    }
    assert totals == {void + name: int(query(description, sparql)[0]["n"]) for name, sparql in real.items()}
    assert totals[void + "triples"] == len(small.combined)
    assert totals[void + "entities"] == len(small.dataset) == 18


def test_void_partitions_equal_the_real_counts(description: ox.Store) -> None:
    data = f"GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{BASE}void>)"
    classes = described(description, """?d void:classPartition ?part .
        ?part void:class ?c ; void:entities ?n . BIND(STR(?c) AS ?key)""")
    assert classes == counted(description, f"""SELECT (STR(?o) AS ?key) (COUNT(DISTINCT ?s) AS ?n)
        WHERE {{ {data} FILTER(?p = rdf:type) }} GROUP BY ?o""")
    assert classes["https://w3id.org/ftgraph/ontology#Startup"] == 1
    properties = described(description, """?d void:propertyPartition ?part .
        ?part void:property ?p ; void:triples ?n . BIND(STR(?p) AS ?key)""")
    assert properties == counted(description, f"""SELECT (STR(?p) AS ?key) (COUNT(*) AS ?n)
        WHERE {{ SELECT DISTINCT ?s ?p ?o WHERE {{ {data} }} }} GROUP BY ?p""")
    graphs = described(description, """?d void:subset ?graph . ?graph void:triples ?n
        FILTER NOT EXISTS { ?graph a void:Linkset } BIND(STR(?graph) AS ?key)""")
    assert graphs == counted(description, f"SELECT (STR(?g) AS ?key) (COUNT(*) AS ?n) WHERE {{ {data} }} GROUP BY ?g")


def test_void_linkset_to_wikidata(description: ox.Store) -> None:
    rows = query(description, f"""SELECT ?n ?predicate ?space WHERE {{ GRAPH <{BASE}void> {{
        ?linkset a void:Linkset ; void:triples ?n ; void:linkPredicate ?predicate ; void:objectsTarget ?target .
        ?target void:uriSpace ?space }} }}""")
    assert rows == [{"n": "2", "predicate": "http://www.w3.org/2002/07/owl#sameAs",
                     "space": "http://www.wikidata.org/entity/"}]


def test_dcat_metadata_and_sources(description: ox.Store) -> None:
    rows = query(description, f"""SELECT ?licence ?version ?issued ?start ?end WHERE {{ GRAPH <{BASE}void> {{
        <{BASE}dataset> a dcat:Dataset ; dcterms:license ?licence ; dcat:version ?version ; dcterms:issued ?issued ;
            dcterms:creator/<http://xmlns.com/foaf/0.1/name> ?creator ; dcterms:temporal ?period .
        ?period dcat:startDate ?start ; dcat:endDate ?end }} }}""")
    assert rows == [{"licence": "https://creativecommons.org/licenses/by/4.0/", "version": "0.1.0+20260727",
                     "issued": "2026-07-27", "start": "2010", "end": "2018"}]
    sources = query(description, f"SELECT ?s WHERE {{ GRAPH <{BASE}void> {{ <{BASE}dataset> dcterms:source ?s }} }}")
    assert sorted(row["s"] for row in sources) == [f"{BASE}source/src-a", f"{BASE}source/src-b"]


def test_distributions_have_the_real_sizes_and_checksums(description: ox.Store, release: Path) -> None:
    rows = query(description, f"""SELECT ?url ?size ?sum ?type WHERE {{ GRAPH <{BASE}void> {{
        <{BASE}dataset> dcat:distribution ?d . ?d dcat:downloadURL ?url ; dcat:byteSize ?size ; dcat:mediaType ?type ;
        spdx:checksum [ spdx:algorithm spdx:checksumAlgorithm_sha256 ; spdx:checksumValue ?sum ] }} }}""")
    assert len(rows) == len(RELEASE_EXPORTS)
    for row in rows:
        data = (release / row["url"].rsplit("/", 1)[1]).read_bytes()
        assert int(row["size"]) == len(data)
        assert row["sum"] == hashlib.sha256(data).hexdigest()
    dumps = query(description, f"SELECT ?url WHERE {{ GRAPH <{BASE}void> {{ <{BASE}dataset> void:dataDump ?url }} }}")
    assert len(dumps) == len(RDF_FORMATS)


@pytest.mark.rapper
def test_description_is_valid_turtle_for_rapper(release: Path) -> None:
    lines, messages = rapper_ntriples(release / DESCRIPTION_FILE, "turtle")
    assert lines and "warning" not in messages.lower()


# --------------------------------------------------------------------------- actor graph for network tools

#: The fixture's actor graph: a triangle of three actors with five ties; measures computed by hand on
#: the simple triangle (Burt's constraint: 2 × (1/2 + 1/2 · 1/2)² = 1.125; effective size 2 − 2·1/2 = 1).
TIES = {("acme", "french-tech-alpha", "acme-member-alpha-2014"),
        ("acme", "french-tech-alpha", "acme-member-alpha-2015"),
        ("acme", "jane-doe", "jane-founder-acme"), ("acme", "jane-doe", "visit-1/acme/jane-doe"),
        ("french-tech-alpha", "jane-doe", "jane-member-alpha")}
MEASURES = {"degree": 2, "betweenness": 0.0, "core": 2, "clustering": 1.0, "constraint": 1.125,
            "effective_size": 1.0, "component": 0, "metropoles": "french-tech-alpha"}


def test_actor_graph_measures(exporter: Exporter) -> None:
    G = exporter.actors
    assert set(G.edges(keys=True)) == TIES
    assert {v: G.degree(v) for v in G} == {"acme": 4, "french-tech-alpha": 3, "jane-doe": 3}
    for v, data in G.nodes(data=True):
        assert {name: data[name] for name in MEASURES} == MEASURES, v
        assert data["ties"] == G.degree(v) and data["strength"] == float(G.degree(v))
    assert G.nodes["acme"]["kind"] == "Startup" and G.nodes["jane-doe"]["agent"] == "person"
    assert G.edges["acme", "jane-doe", "visit-1/acme/jane-doe"]["tie_type"] == "co-participation"
    assert G.edges["acme", "french-tech-alpha", "acme-member-alpha-2015"]["start_date"] == "2015"


@pytest.mark.parametrize("name", ["gexf", "graphml"])
def test_network_files_load_back_in_networkx(name: str, exported: dict[str, Path], exporter: Exporter) -> None:
    G = nx.read_gexf(exported[name]) if name == "gexf" else nx.read_graphml(exported[name], force_multigraph=True)
    assert sorted(G.nodes) == sorted(exporter.actors.nodes)
    assert {(*sorted((u, v)), key) for u, v, key in G.edges(keys=True)} == TIES
    for v, data in exporter.actors.nodes(data=True):
        assert G.nodes[v]["betweenness"] == data["betweenness"] and G.nodes[v]["kind"] == data["kind"]
    assert G.edges["acme", "french-tech-alpha", "acme-member-alpha-2015"]["tie_type"] == "membership"


def test_csv_node_and_edge_lists(exported: dict[str, Path], exporter: Exporter) -> None:
    pandas = pytest.importorskip("pandas")
    nodes = pandas.read_csv(exported["nodes.csv"])
    edges = pandas.read_csv(exported["edges.csv"])
    assert list(nodes["id"]) == ["acme", "french-tech-alpha", "jane-doe"]
    assert list(nodes["constraint"]) == [1.125] * 3 and list(nodes["ties"]) == [4, 3, 3]
    assert {(row.source, row.target, row.tie) for row in edges.itertuples()} == TIES
    assert edges.loc[edges["tie"] == "visit-1/acme/jane-doe", "event"].item() == "visit-1"


# --------------------------------------------------------------------------- release and determinism


def test_release_folder_and_checksums(release: Path) -> None:
    names = sorted(path.relative_to(release).as_posix() for path in release.rglob("*") if path.is_file())
    assert names == sorted([CHECKSUM_FILE, DESCRIPTION_FILE, "ontology/context.jsonld", "ontology/ftgraph.ttl",
                            "ontology/shapes.ttl", *RELEASE_EXPORTS])
    lines = (release / CHECKSUM_FILE).read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(names) - 1
    for line in lines:
        digest, name = line.split("  ")
        assert hashlib.sha256((release / name).read_bytes()).hexdigest() == digest


def run_release(data: Path, out: Path, hash_seed: str) -> Path:
    env = {**os.environ, "SOURCE_DATE_EPOCH": FIXED_EPOCH, "PYTHONHASHSEED": hash_seed}
    subprocess.run([FT_BIN, "--quiet", "release", "--data", str(data),
                    "--out", str(out)], check=True, env=env, cwd=ROOT, capture_output=True)
    (folder,) = (path for path in out.iterdir() if not path.name.startswith("."))  # skip the lock file
    return folder


def test_release_is_byte_identical_across_runs(fixture_data: Path, tmp_path: Path) -> None:
    first = run_release(fixture_data, tmp_path / "one", "1")
    second = run_release(fixture_data, tmp_path / "two", "2")
    assert first.name == second.name == "ftgraph-0.1.0+20260727"
    assert first.stat().st_mode & 0o777 == 0o755
    files = sorted(path.relative_to(first) for path in first.rglob("*") if path.is_file())
    assert len(files) == len(RELEASE_EXPORTS) + 5
    for name in files:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_make_run_stage_writes_the_release_under_out(fixture_data: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", FIXED_EPOCH)
    out = tmp_path / "out"
    stale = out / "release" / "ftgraph-0.0.1+20200101"
    stale.mkdir(parents=True)
    result = pipeline.run(Paths(fixture_data, ROOT / "ontology", out), progress=Progress(quiet=True))
    releases = [path.name for path in (out / "release").iterdir()]
    assert releases == ["ftgraph-0.1.0+20260727"]  # the previous release does not linger
    assert out / "release" / releases[0] / CHECKSUM_FILE in result.written


# --------------------------------------------------------------------------- command line


def test_export_command_writes_the_file(fixture_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "graph.trig"
    result = CliRunner().invoke(cli, ["--quiet", "export", "--format", "trig", "--out", str(out),
                                      "--data", str(fixture_data)])
    assert result.exit_code == 0, result.output
    graphs = Counter(str(quad.graph_name) for quad in ox.parse(path=out, format=ox.RdfFormat.TRIG))
    assert graphs[f"<{BASE}graph/metropoles/beta>"] > 0


def test_export_command_writes_csv_into_a_folder(fixture_data: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--quiet", "export", "--format", "csv", "--out", str(tmp_path / "actors"),
                                      "--data", str(fixture_data)])
    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in (tmp_path / "actors").iterdir()) == ["edges.csv", "nodes.csv"]
    assert result.output.split() == [str(tmp_path / "actors" / "nodes.csv"), str(tmp_path / "actors" / "edges.csv")]


def test_export_command_refuses_bad_input_without_writing(fixture_data: Path, tmp_path: Path) -> None:
    broken = write_fixture(tmp_path / "broken")
    (broken / "metropoles" / "beta.yaml").write_text("roles:\n  - {id: x, member: nobody}\n", encoding="utf-8")
    out = tmp_path / "graph.ttl"
    result = CliRunner().invoke(cli, ["--quiet", "export", "--format", "ttl", "--out", str(out),
                                      "--data", str(broken)])
    assert result.exit_code == 2
    assert "beta.yaml" in result.output and "Traceback" not in result.output
    assert not out.exists()


def test_export_command_rejects_an_unknown_format(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["export", "--format", "xls", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "'xls' is not one of" in result.output


# --------------------------------------------------------------------------- real data


@pytest.mark.rapper
def test_real_graph_turtle_export_read_back_by_rapper(built: BuiltGraph, tmp_path: Path) -> None:
    path = tmp_path / "graph.ttl"
    path.write_text(Exporter(built).turtle(), encoding="utf-8")
    lines, _ = rapper_ntriples(path, "turtle")
    assert len(set(lines)) == len(built.combined)
    visit = f"<{BASE}event/visit-axelle-lemaire-grenoble-2014-09-12>"
    assert f"{visit} <http://schema.org/location> <{BASE}place/grenoble> ." in lines
