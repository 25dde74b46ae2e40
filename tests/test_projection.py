"""The projection of a small hand-made RDF graph: exactly the expected nodes, edges and weights."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import networkx as nx
import pyoxigraph as ox
import pytest
from rdflib import Graph

from ftgraph import projection as p
from ftgraph.engine import EmbeddedEngine, store_from_graph
from ftgraph.namespaces import DEFAULT_BASE_IRI
from ftgraph.synth import synthesize

# Metropole A: territory t ⊃ city-a ⊃ site-x. French Tech A (ecosystem) is coordinated by assoc-a (in
# city-a); startup-1 (site-x) is founded by alice and funded by paris-vc (city-b, outside); startup-2
# (city-b) is a member of French Tech A; bank sits on assoc-a's board. Bob is an ambassador of
# French Tech B. Event e1 (2015-03-10): alice, bob, startup-2 and a reporter (jo); e2 (2012-05):
# alice and bank.
TURTLE = """
@prefix d: <BASE> .
@prefix ft: <https://w3id.org/ftgraph/ontology#> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix schema: <http://schema.org/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

d:source\\/s1 a ft:Source ; dcterms:issued "2014-11-12"^^xsd:date .
d:source\\/s2 a ft:Source ; dcterms:issued "2015-06"^^xsd:gYearMonth .

d:place\\/t a ft:Territory ; rdfs:label "Territory A" .
d:place\\/city-a a ft:City ; schema:containedInPlace d:place\\/t .
d:place\\/site-x a ft:Site ; schema:containedInPlace d:place\\/city-a .
d:place\\/city-b a ft:City .

d:org\\/ft-a a org:Organization, ft:Ecosystem ; rdfs:label "French Tech A" ; dcterms:spatial d:place\\/t ;
    prov:wasDerivedFrom d:source\\/s1 .
d:org\\/ft-b a org:Organization, ft:Ecosystem ; rdfs:label "French Tech B" ; prov:wasDerivedFrom d:source\\/s1 .
d:org\\/assoc-a a org:Organization, ft:FrenchTechAssociation ; rdfs:label "Association A" ;
    schema:location d:place\\/city-a ; prov:wasDerivedFrom d:source\\/s1 .
d:org\\/startup-1 a org:Organization, ft:Startup ; rdfs:label "Startup 1" ; schema:location d:place\\/site-x ;
    schema:foundingDate "2013"^^xsd:gYear ; prov:wasDerivedFrom d:source\\/s1 .
d:org\\/startup-2 a org:Organization, ft:Startup ; rdfs:label "Startup 2" ; schema:location d:place\\/city-b ;
    prov:wasDerivedFrom d:source\\/s1 .
d:org\\/bank a org:Organization, ft:Investor ; rdfs:label "Bank" ; prov:wasDerivedFrom d:source\\/s1 .
d:org\\/paris-vc a org:Organization, ft:Investor ; rdfs:label "Paris VC" ; schema:location d:place\\/city-b ;
    prov:wasDerivedFrom d:source\\/s1 .
d:org\\/late a org:Organization, ft:Startup ; rdfs:label "Late" ; schema:location d:place\\/city-a ;
    schema:foundingDate "2016-03"^^xsd:gYearMonth ; prov:wasDerivedFrom d:source\\/s1 .
d:person\\/alice a foaf:Person ; rdfs:label "Alice" ; prov:wasDerivedFrom d:source\\/s1 .
d:person\\/bob a foaf:Person ; rdfs:label "Bob" ; prov:wasDerivedFrom d:source\\/s1 .
d:person\\/jo a foaf:Person ; rdfs:label "Jo" ; prov:wasDerivedFrom d:source\\/s1 .

d:concept\\/role-member a skos:Concept, org:Role .

d:membership\\/m1 a org:Membership ; org:member d:org\\/startup-2 ; org:organization d:org\\/ft-a ;
    org:role d:concept\\/role-member ; schema:startDate "2014"^^xsd:gYear ; schema:endDate "2016"^^xsd:gYear ;
    prov:wasDerivedFrom d:source\\/s1 .
d:membership\\/m2 a org:Membership ; org:member d:org\\/bank ; org:organization d:org\\/assoc-a ;
    org:role d:concept\\/role-board-member ; schema:startDate "2015-01"^^xsd:gYearMonth ;
    prov:wasDerivedFrom d:source\\/s1 .
d:membership\\/m3 a org:Membership ; org:member d:person\\/alice ; org:organization d:org\\/assoc-a ;
    org:role d:concept\\/role-president ; schema:startDate "2014-12-10"^^xsd:date ; prov:wasDerivedFrom d:source\\/s1 .
d:membership\\/m4 a org:Membership ; org:member d:person\\/alice ; org:organization d:org\\/startup-1 ;
    org:role d:concept\\/role-founder ; prov:wasDerivedFrom d:source\\/s2 .
d:membership\\/m5 a org:Membership ; org:member d:org\\/startup-1 ; org:organization d:org\\/paris-vc ;
    org:role d:concept\\/role-investee ; schema:startDate "2015"^^xsd:gYear ; prov:wasDerivedFrom d:source\\/s1 .
d:membership\\/m6 a org:Membership ; org:member d:org\\/assoc-a ; org:organization d:org\\/ft-a ;
    org:role d:concept\\/role-coordinator ; schema:startDate "2014-12"^^xsd:gYearMonth ;
    prov:wasDerivedFrom d:source\\/s1 .
d:membership\\/m7 a org:Membership ; org:member d:person\\/bob ; org:organization d:org\\/ft-b ;
    org:role d:concept\\/role-ambassador ; prov:wasDerivedFrom d:source\\/s1 .

d:event\\/e1 a ft:Event, ft:Conference ; schema:startDate "2015-03-10"^^xsd:date ; schema:location d:place\\/city-a ;
    prov:wasDerivedFrom d:source\\/s1 ;
    prov:qualifiedAssociation d:event\\/e1\\/participant\\/alice, d:event\\/e1\\/participant\\/bob,
        d:event\\/e1\\/participant\\/startup-2, d:event\\/e1\\/participant\\/jo .
d:event\\/e1\\/participant\\/alice prov:agent d:person\\/alice ; prov:hadRole d:concept\\/event-role-speaker .
d:event\\/e1\\/participant\\/bob prov:agent d:person\\/bob ; prov:hadRole d:concept\\/event-role-speaker .
d:event\\/e1\\/participant\\/startup-2 prov:agent d:org\\/startup-2 ; prov:hadRole d:concept\\/event-role-attendee .
d:event\\/e1\\/participant\\/jo prov:agent d:person\\/jo ; prov:hadRole d:concept\\/event-role-reporter .
d:event\\/e2 a ft:Event ; schema:startDate "2012-05"^^xsd:gYearMonth ; prov:wasDerivedFrom d:source\\/s1 ;
    prov:qualifiedAssociation d:event\\/e2\\/participant\\/alice, d:event\\/e2\\/participant\\/bank .
d:event\\/e2\\/participant\\/alice prov:agent d:person\\/alice ; prov:hadRole d:concept\\/event-role-attendee .
d:event\\/e2\\/participant\\/bank prov:agent d:org\\/bank ; prov:hadRole d:concept\\/event-role-attendee .
d:event\\/decision a ft:Event, ft:LabellingDecision ; schema:startDate "2014-11-12"^^xsd:date .
"""

ACTORS = {"ft-a": "Ecosystem", "ft-b": "Ecosystem", "assoc-a": "FrenchTechAssociation", "startup-1": "Startup",
          "startup-2": "Startup", "bank": "Investor", "paris-vc": "Investor", "late": "Startup",
          "alice": "Person", "bob": "Person", "jo": "Person"}
ROLE_EDGES = {
    ("startup-2", "ft-a", "m1", "membership"), ("bank", "assoc-a", "m2", "membership"),
    ("alice", "assoc-a", "m3", "role"), ("alice", "startup-1", "m4", "founding"),
    ("startup-1", "paris-vc", "m5", "investment"), ("assoc-a", "ft-a", "m6", "role"), ("bob", "ft-b", "m7", "role"),
}
# e1 has three participants once the reporter is left out: 1/(3-1) per pair; e2 has two: 1/(2-1)
EVENT_EDGES = {("alice", "bob", "e1", 0.5), ("alice", "startup-2", "e1", 0.5), ("bob", "startup-2", "e1", 0.5),
               ("alice", "bank", "e2", 1.0)}
LOCAL_A = {"ft-a", "assoc-a", "startup-1", "late", "startup-2", "bank", "alice"}


def load(base: str = DEFAULT_BASE_IRI) -> p.ActorData:
    graph = Graph().parse(data=TURTLE.replace("<BASE>", f"<{base}>"), format="turtle")
    return p.load_actor_data(EmbeddedEngine(store_from_graph(graph)))


@pytest.fixture(scope="module")
def data() -> p.ActorData:
    return load()


def edge_set(G: nx.MultiGraph) -> set[tuple[str, str, str, object]]:
    """(u, v, key, type or weight) with u < v for role ties written member-first."""
    found: set[tuple[str, str, str, object]] = set()
    for u, v, key, attrs in G.edges(keys=True, data=True):
        if attrs["type"] == p.CO_PARTICIPATION:
            a, b = sorted((u, v))
            found.add((a, b, key, attrs["weight"]))
        else:
            found.add((attrs["member"], attrs["organisation"], key, attrs["type"]))
    return found


def test_queries_read_actors_ties_and_events(data: p.ActorData) -> None:
    assert {a.id: a.kind for a in data.actors.values()} == ACTORS
    assert data.actors["alice"].label == "Alice"
    assert data.actors["late"].founded == "2016-03"
    assert {e.id: e.participants for e in data.events} == {"e1": ("alice", "bob", "startup-2"),
                                                           "e2": ("alice", "bank")}
    assert data.ecosystems["ft-a"].located == {"assoc-a", "startup-1", "late"}
    assert data.ecosystems["ft-a"].territory == "t"
    assert data.ecosystems["ft-b"].located == frozenset()
    assert data.waves == [("2014-11-12", "decision")]
    m4 = next(tie for tie in data.roles if tie.id == "m4")
    assert (m4.start, m4.valid_from, m4.valid_to, m4.sources) == (None, dt.date(2015, 6, 1), None, ("s2",))
    m1 = next(tie for tie in data.roles if tie.id == "m1")
    assert (m1.valid_from, m1.valid_to) == (dt.date(2014, 1, 1), dt.date(2016, 12, 31))


def test_national_graph_all_ties(data: p.ActorData) -> None:
    G = p.actor_graph(data)
    assert {v: kind for v, kind in G.nodes(data=p.KIND)} == ACTORS
    assert edge_set(G) == {(u, v, key, kind) for u, v, key, kind in ROLE_EDGES} | EVENT_EDGES
    assert G.edges["alice", "startup-1", "m4"]["dated_by"] == "first attestation"
    assert G.edges["alice", "startup-1", "m4"]["sources"] == ("s2",)
    assert G.edges["alice", "assoc-a", "m3"]["role"] == "role-president"
    assert G.nodes["alice"][p.AGENT] == p.PERSON_AGENT and G.nodes["bank"][p.AGENT] == p.ORGANISATION_AGENT


def test_newman_weights_match_networkx_bipartite_projection(data: p.ActorData) -> None:
    B = nx.Graph()
    for event in data.events:
        B.add_edges_from((event.id, agent) for agent in event.participants)
    actors = {agent for event in data.events for agent in event.participants}
    expected = nx.bipartite.collaboration_weighted_projected_graph(B, actors)
    projected: dict[frozenset[str], float] = {}
    for u, v, attrs in p.actor_graph(data).edges(data=True):
        if attrs["type"] == p.CO_PARTICIPATION:
            projected[frozenset((u, v))] = projected.get(frozenset((u, v)), 0.0) + attrs["weight"]
    assert projected == {frozenset((u, v)): pytest.approx(w) for u, v, w in expected.edges(data="weight")}
    assert list(p.co_participation(["c", "a", "b", "a"])) == [("a", "b", 0.5), ("a", "c", 0.5), ("b", "c", 0.5)]


def test_metropole_graph_all_ties(data: p.ActorData) -> None:
    G = p.actor_graph(data)
    M = p.metropole_graph(G, data.ecosystems["ft-a"])
    assert {v for v, local in M.nodes(data=p.LOCAL) if local} == LOCAL_A
    assert {v for v, local in M.nodes(data=p.LOCAL) if not local} == {"paris-vc", "bob"}
    assert {key for *_, key in M.edges(keys=True)} == {"m1", "m2", "m3", "m4", "m5", "m6", "e1", "e2"}
    assert M.number_of_edges() == 10  # m7 (bob - ft-b) touches no local actor
    L = p.local_subgraph(p.collapse(M))
    assert set(L) == LOCAL_A
    assert {frozenset(e): w for *e, w in L.edges(data="weight")} == {
        frozenset({"startup-2", "ft-a"}): 1.0, frozenset({"bank", "assoc-a"}): 1.0,
        frozenset({"alice", "assoc-a"}): 1.0, frozenset({"alice", "startup-1"}): 1.0,
        frozenset({"assoc-a", "ft-a"}): 1.0, frozenset({"alice", "startup-2"}): 0.5,
        frozenset({"alice", "bank"}): 1.0}
    assert nx.is_isolate(L, "late")


def test_as_of_filters_ties_events_and_actors(data: p.ActorData) -> None:
    mid_2015 = p.actor_graph(data, p.Snapshot(dt.date(2015, 6, 30)))
    assert "late" not in mid_2015  # founded 2016-03
    assert {key for *_, key in mid_2015.edges(keys=True)} == {"m1", "m2", "m3", "m4", "m5", "m6", "m7", "e1"}
    march_2015 = p.actor_graph(data, p.Snapshot(dt.date(2015, 3, 1)))
    # m4 is first attested in June 2015; e1 has not happened yet
    assert {key for *_, key in march_2015.edges(keys=True)} == {"m1", "m2", "m3", "m5", "m6", "m7"}
    mid_2014 = p.actor_graph(data, p.Snapshot(dt.date(2014, 6, 1)))
    assert {key for *_, key in mid_2014.edges(keys=True)} == {"m1"}
    assert p.local_actors(mid_2014, data.ecosystems["ft-a"]) == {"ft-a", "assoc-a", "startup-1", "startup-2"}
    after = p.actor_graph(data, p.Snapshot(dt.date(2017, 1, 1)))
    assert "m1" not in {key for *_, key in after.edges(keys=True)}  # ended in 2016
    wide = p.actor_graph(data, p.Snapshot(dt.date(2013, 1, 1), event_window_years=1))
    assert {key for *_, key in wide.edges(keys=True)} == {"e2"}


def test_event_size_cap(data: p.ActorData) -> None:
    capped = p.actor_graph(data, p.Snapshot(max_event_size=2))
    assert {key for *_, key in capped.edges(keys=True) if key.startswith("e")} == {"e2"}


def test_organisation_layer_folds_people_into_interlocks(data: p.ActorData) -> None:
    L = p.local_subgraph(p.collapse(p.metropole_graph(p.actor_graph(data), data.ecosystems["ft-a"])))
    layer = p.organisation_layer(L)
    assert set(layer) == LOCAL_A - {"alice"}
    third = 1 / 3  # alice is tied to 4 organisations: 1/(4-1) per pair
    assert {frozenset(e): pytest.approx(w) for *e, w in layer.edges(data="weight")} == {
        frozenset({"startup-2", "ft-a"}): 1.0, frozenset({"assoc-a", "ft-a"}): 1.0,
        frozenset({"bank", "assoc-a"}): 1.0 + third, frozenset({"assoc-a", "startup-1"}): third,
        frozenset({"assoc-a", "startup-2"}): third, frozenset({"startup-1", "startup-2"}): third,
        frozenset({"startup-1", "bank"}): third, frozenset({"startup-2", "bank"}): third}


def test_other_base_iri_gives_the_same_graph(data: p.ActorData) -> None:
    other = load("http://example.org/kg/")
    assert nx.utils.edges_equal(p.actor_graph(other).edges(keys=True), p.actor_graph(data).edges(keys=True))
    assert set(p.actor_graph(other)) == set(ACTORS)


@pytest.mark.parametrize(("partial", "first", "last"), [
    ("2014", dt.date(2014, 1, 1), dt.date(2014, 12, 31)),
    ("2016-02", dt.date(2016, 2, 1), dt.date(2016, 2, 29)),
    ("2015-06-24", dt.date(2015, 6, 24), dt.date(2015, 6, 24)),
])
def test_partial_dates(partial: str, first: dt.date, last: dt.date) -> None:
    assert p.first_day(partial) == first and p.last_day(partial) == last


def test_bad_date() -> None:
    with pytest.raises(ValueError, match="not a YYYY"):
        p.first_day("June 2015")


def _order(G: nx.Graph) -> tuple[list[Any], list[Any], dict[Any, list[Any]]]:
    """Nodes and edges with their data, and each node's neighbours, in the graph's own order."""
    return list(G.nodes(data=True)), list(G.edges(data=True)), {v: list(G.adj[v]) for v in G}


def _reference_collapse(G: nx.MultiGraph) -> nx.Graph:
    """Parallel ties merged one by one, as ``collapse`` did before it was rewritten for speed."""
    H = nx.Graph(**G.graph)
    H.add_nodes_from(G.nodes(data=True))
    for u, v, data in G.edges(data=True):
        if H.has_edge(u, v):
            H[u][v]["weight"] += data["weight"]
            H[u][v]["ties"] += 1
            H[u][v]["types"] = tuple(sorted({*H[u][v]["types"], data["type"]}))
        else:
            H.add_edge(u, v, weight=data["weight"], ties=1, types=(data["type"],))
    return H


def test_collapse_and_metropole_network_keep_every_value_and_order(data: p.ActorData, tmp_path: Path) -> None:
    """The fast builders give the very graphs of the one-by-one ones, orders included (orders feed
    floating-point sums and the Louvain method): on the fixture and on a synthetic graph."""
    synthetic = synthesize(10_000, 3, tmp_path / "synth")
    store = ox.Store()
    store.bulk_load(path=str(synthetic.graph), format=ox.RdfFormat.N_TRIPLES)
    merged = 0
    for actors in (data, p.load_actor_data(EmbeddedEngine(store))):
        national = p.actor_graph(actors)
        collapsed = p.collapse(national)
        assert _order(collapsed) == _order(_reference_collapse(national))
        merged += sum(1 for *_, ties in collapsed.edges(data="ties") if ties > 1)
        for ecosystem in actors.ecosystems.values():
            expected = _reference_collapse(p.metropole_graph(national, ecosystem))
            assert _order(p.metropole_network(national, ecosystem)) == _order(expected), ecosystem.id
            assert expected.graph["metropole"] == ecosystem.id
    assert merged > 10  # parallel ties (the synthetic graph's) were merged
