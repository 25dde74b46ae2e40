"""From the RDF graph to networkx actor graphs: national, per metropole, at a date.

Actors (organisations and people) become nodes; ties between them become edges. Everything is read
with a handful of SPARQL SELECT queries (:data:`QUERIES`) on an :class:`ftgraph.engine.Engine`, never
triple by triple: classes, places, concepts, sources and literals are not actors and never become
nodes. The rules (who belongs to a metropole, which ties are valid on a date, how events are
projected) are documented in ``docs/metrics.md``.

Graphs:

- :func:`actor_graph`: the national :class:`networkx.MultiGraph` of actors at a date, one edge per tie
  (key: the membership or event id), with its type, role, weight, sources and validity;
- :func:`metropole_graph`: the sub-graph around one metropole's local actors (node attribute
  ``local``), including the ties from local actors to outside actors;
- :func:`collapse`: a simple weighted :class:`networkx.Graph` for the measures;
  :func:`metropole_network`: the collapsed metropole graph, built directly;
- :func:`organisation_layer`: organisations only, people folded into interlocks.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import networkx as nx

from ftgraph.engine import Engine
from ftgraph.namespaces import sparql_prologue

# Node attributes
KIND = "kind"  #: class of the actor: local name of its ft: class (``Startup``...) or ``Person``
AGENT = "agent"  #: ``organisation`` or ``person``
LABEL = "label"
LOCAL = "local"  #: in a metropole graph: True for the metropole's own actors
SOURCES = "sources"  #: ids of the sources of the node or tie

PERSON = "Person"
ORGANISATION_AGENT, PERSON_AGENT = "organisation", "person"

#: Edge ``type`` of each role concept; any other role is a ``role`` (a position held in an organisation).
ROLE_TIE_TYPES: dict[str, str] = {
    "role-founder": "founding", "role-co-founder": "founding",
    "role-member": "membership", "role-founding-member": "membership", "role-board-member": "membership",
    "role-programme-member": "membership",
    "role-partner": "partnership", "role-candidacy-carrier": "partnership",
    "role-hosted": "hosting", "role-incubatee": "hosting",
    "role-shareholder": "investment", "role-investee": "investment",
    "role-subsidiary": "affiliation", "role-supervisory-body": "affiliation",
}
DEFAULT_ROLE_TIE = "role"
CO_PARTICIPATION = "co-participation"
#: Event roles that cover an event rather than take part in it: no co-participation tie.
COVERAGE_ROLES = frozenset({"event-role-reporter", "event-role-camera-operator"})

QUERIES: dict[str, str] = {
    "actors": """
SELECT ?actor ?class ?label ?founded ?dissolved WHERE {
  { ?actor a org:Organization, ?class . FILTER(STRSTARTS(STR(?class), STR(ft:))) }
  UNION { ?actor a foaf:Person . BIND(foaf:Person AS ?class) }
  OPTIONAL { ?actor rdfs:label ?label }
  OPTIONAL { ?actor schema:foundingDate ?founded }
  OPTIONAL { ?actor schema:dissolutionDate ?dissolved }
}""",
    "roles": """
SELECT ?tie ?member ?organisation ?role ?start ?end WHERE {
  ?tie a org:Membership ; org:member ?member ; org:organization ?organisation ; org:role ?role .
  OPTIONAL { ?tie schema:startDate ?start }
  OPTIONAL { ?tie schema:endDate ?end }
}""",
    "participations": """
SELECT ?event ?date ?agent ?role WHERE {
  ?event a ft:Event ; schema:startDate ?date ; prov:qualifiedAssociation ?association .
  ?association prov:agent ?agent ; prov:hadRole ?role .
}""",
    "provenance": """
SELECT ?node ?source WHERE {
  { ?node a org:Organization } UNION { ?node a foaf:Person } UNION { ?node a org:Membership }
  UNION { ?node a ft:Event }
  ?node prov:wasDerivedFrom ?source .
}""",
    "sources": """
SELECT ?source ?issued WHERE { ?source a ft:Source ; dcterms:issued ?issued }""",
    "waves": """
SELECT ?decision ?date WHERE { ?decision a ft:LabellingDecision ; schema:startDate ?date }""",
    "ecosystems": """
SELECT ?ecosystem ?label ?territory WHERE {
  ?ecosystem a ft:Ecosystem .
  OPTIONAL { ?ecosystem rdfs:label ?label }
  OPTIONAL { ?ecosystem dcterms:spatial ?territory }
}""",
    "located": """
SELECT DISTINCT ?ecosystem ?actor WHERE {
  ?ecosystem a ft:Ecosystem .
  { ?ecosystem dcterms:spatial ?root } UNION { ?ecosystem schema:location ?root }
  UNION { ?ecosystem ft:flagshipBuilding ?root }
  ?place schema:containedInPlace* ?root .
  ?actor a org:Organization ; schema:location ?place .
}""",
}


# Dates ----------------------------------------------------------------------------------------------

_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


def _date_parts(partial: str) -> tuple[int, int | None, int | None]:
    match = _PARTIAL_DATE.match(partial)
    if match is None:
        raise ValueError(f"not a YYYY, YYYY-MM or YYYY-MM-DD date: {partial!r}")
    year, month, day = match.groups()
    return int(year), int(month) if month else None, int(day) if day else None


def first_day(partial: str) -> dt.date:
    """First day of a ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` date."""
    year, month, day = _date_parts(partial)
    return dt.date(year, month or 1, day or 1)


def last_day(partial: str) -> dt.date:
    """Last day of a ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` date."""
    year, month, day = _date_parts(partial)
    month = month or 12
    return dt.date(year, month, day or calendar.monthrange(year, month)[1])


def years_before(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` earlier (28 February for a 29 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


# What the queries return ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    id: str
    iri: str
    kind: str
    label: str
    founded: str | None
    dissolved: str | None
    sources: tuple[str, ...]

    def exists_on(self, day: dt.date) -> bool:
        """False when founded after ``day`` or dissolved before it (unknown dates do not exclude)."""
        return ((self.founded is None or first_day(self.founded) <= day)
                and (self.dissolved is None or last_day(self.dissolved) >= day))


@dataclass(frozen=True)
class RoleTie:
    """One ``org:Membership``: ``member`` holds ``role`` in ``organisation``."""

    id: str
    member: str
    organisation: str
    role: str
    start: str | None
    end: str | None
    sources: tuple[str, ...]
    #: first day of validity: the start date, else the first publication date of the tie's sources
    valid_from: dt.date | None
    #: last day of validity: the end date, else open
    valid_to: dt.date | None

    def valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class Event:
    id: str
    date: str
    participants: tuple[str, ...]  #: actor ids, coverage roles left out, sorted
    sources: tuple[str, ...]

    def within(self, start: dt.date, end: dt.date) -> bool:
        """True when the event overlaps the window (``start``, ``end``]."""
        return first_day(self.date) <= end and last_day(self.date) > start


@dataclass(frozen=True)
class Ecosystem:
    """A metropole's ecosystem organisation (``ft:Ecosystem``) and the organisations located in its area."""

    id: str
    label: str
    territory: str | None
    located: frozenset[str]


@dataclass
class ActorData:
    """Everything the projection needs, read from the graph once."""

    actors: dict[str, Actor]
    roles: list[RoleTie]
    events: list[Event]
    ecosystems: dict[str, Ecosystem]
    #: labelling decisions (the label waves) as (date, decision id), by date
    waves: list[tuple[str, str]] = field(default_factory=list)


def _local_id(iri: str) -> str:
    """A data IRI's record id (its last path segment); ids are unique across the data."""
    return iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def _value(row: dict[str, Any], name: str) -> str | None:
    term = row.get(name)
    return None if term is None else str(term.value)


def _rows(engine: Engine, name: str) -> list[dict[str, Any]]:
    return engine.select_terms(sparql_prologue() + QUERIES[name])


def load_actor_data(engine: Engine) -> ActorData:
    """Run the projection's SPARQL queries once and keep their results (any base IRI: actors are
    named by their record id, the last segment of their IRI)."""
    provenance: dict[str, set[str]] = defaultdict(set)
    for row in _rows(engine, "provenance"):
        provenance[str(row["node"].value)].add(_local_id(str(row["source"].value)))
    source_dates = {_local_id(str(row["source"].value)): str(row["issued"].value) for row in _rows(engine, "sources")}
    actors = _read_actors(engine, provenance)
    roles = [_role_tie(row, provenance, source_dates) for row in _rows(engine, "roles")]
    roles = sorted((tie for tie in roles if tie.member in actors and tie.organisation in actors),
                   key=lambda tie: tie.id)
    waves = sorted({(str(row["date"].value), _local_id(str(row["decision"].value))) for row in _rows(engine, "waves")})
    return ActorData(actors, roles, _read_events(engine, actors, provenance), _read_ecosystems(engine, actors), waves)


def _read_actors(engine: Engine, provenance: dict[str, set[str]]) -> dict[str, Actor]:
    actors: dict[str, Actor] = {}
    for row in sorted(_rows(engine, "actors"), key=lambda r: (str(r["actor"].value), str(r["class"].value))):
        iri = str(row["actor"].value)
        actor_id = _local_id(iri)
        if actor_id in actors:
            continue  # an organisation with two ft: classes keeps the first in IRI order
        cls = str(row["class"].value)
        kind = PERSON if cls.endswith("/Person") else cls.rsplit("#", 1)[-1]
        actors[actor_id] = Actor(actor_id, iri, kind, _value(row, "label") or actor_id, _value(row, "founded"),
                                 _value(row, "dissolved"), tuple(sorted(provenance.get(iri, ()))))
    return actors


def _read_ecosystems(engine: Engine, actors: dict[str, Actor]) -> dict[str, Ecosystem]:
    located: dict[str, set[str]] = defaultdict(set)
    for row in _rows(engine, "located"):
        located[_local_id(str(row["ecosystem"].value))].add(_local_id(str(row["actor"].value)))
    ecosystems = {}
    for row in _rows(engine, "ecosystems"):
        eco_id = _local_id(str(row["ecosystem"].value))
        territory = _value(row, "territory")
        ecosystems[eco_id] = Ecosystem(eco_id, _value(row, "label") or eco_id,
                                       _local_id(territory) if territory else None,
                                       frozenset(located[eco_id] & actors.keys()))
    return dict(sorted(ecosystems.items()))


def _role_tie(row: dict[str, Any], provenance: dict[str, set[str]], source_dates: dict[str, str]) -> RoleTie:
    iri = str(row["tie"].value)
    start, end = _value(row, "start"), _value(row, "end")
    sources = tuple(sorted(provenance.get(iri, ())))
    valid_to = last_day(end) if end else None
    if start:
        valid_from: dt.date | None = first_day(start)
    else:
        attested = [first_day(source_dates[s]) for s in sources if s in source_dates]
        valid_from = min(attested) if attested else None
        if end and valid_from is not None and valid_from > last_day(end):
            valid_from = first_day(end)  # attested only after its end: valid during its end period
    return RoleTie(_local_id(iri), _local_id(str(row["member"].value)), _local_id(str(row["organisation"].value)),
                   _local_id(str(row["role"].value)), start, end, sources, valid_from, valid_to)


def _read_events(engine: Engine, actors: dict[str, Actor], provenance: dict[str, set[str]]) -> list[Event]:
    participants: dict[str, set[str]] = defaultdict(set)
    dates: dict[str, str] = {}
    for row in _rows(engine, "participations"):
        iri = str(row["event"].value)
        dates[iri] = str(row["date"].value)
        agent = _local_id(str(row["agent"].value))
        if agent in actors and _local_id(str(row["role"].value)) not in COVERAGE_ROLES:
            participants[iri].add(agent)
    return [Event(_local_id(iri), dates[iri], tuple(sorted(participants[iri])), tuple(sorted(provenance.get(iri, ()))))
            for iri in sorted(dates)]


# Graphs ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """Which ties count: those valid on ``as_of`` (all when ``None``), events of the
    ``event_window_years`` before it, events of at most ``max_event_size`` participants."""

    as_of: dt.date | None = None
    event_window_years: int = 2
    max_event_size: int | None = None


def actor_graph(data: ActorData, snapshot: Snapshot = Snapshot()) -> nx.MultiGraph:
    """The national actor graph: every actor existing on the date, every valid tie.

    Role ties (``org:Membership``) are edges of weight 1 keyed by the membership id, with attributes
    ``type`` (:data:`ROLE_TIE_TYPES`), ``role``, ``member``, ``organisation``, ``start``, ``end``,
    ``sources``. An event of k participants adds, for each pair of them, an edge keyed by the event id
    of ``type`` ``co-participation`` and weight 1/(k−1) (Newman's collaboration weighting).
    """
    day = snapshot.as_of
    G = nx.MultiGraph(as_of=day.isoformat() if day else None)
    for actor in data.actors.values():
        if day is None or actor.exists_on(day):
            G.add_node(actor.id, **{KIND: actor.kind, LABEL: actor.label, SOURCES: actor.sources, "iri": actor.iri,
                                    AGENT: PERSON_AGENT if actor.kind == PERSON else ORGANISATION_AGENT})
    for tie in data.roles:
        if tie.member in G and tie.organisation in G and (day is None or tie.valid_on(day)):
            G.add_edge(tie.member, tie.organisation, key=tie.id, type=ROLE_TIE_TYPES.get(tie.role, DEFAULT_ROLE_TIE),
                       role=tie.role, member=tie.member, organisation=tie.organisation, weight=1.0,
                       start=tie.start, end=tie.end, sources=tie.sources,
                       dated_by="record" if tie.start else "first attestation")
    for event in _events_in(data.events, snapshot):
        for u, v, weight in co_participation(event.participants):
            if u in G and v in G:
                G.add_edge(u, v, key=event.id, type=CO_PARTICIPATION, role=None, weight=weight, event=event.id,
                           start=event.date, end=event.date, sources=event.sources, dated_by="record")
    return G


def _events_in(events: Iterable[Event], snapshot: Snapshot) -> Iterator[Event]:
    for event in events:
        if snapshot.max_event_size is not None and len(event.participants) > snapshot.max_event_size:
            continue
        day = snapshot.as_of
        if day is None or event.within(years_before(day, snapshot.event_window_years), day):
            yield event


def co_participation(participants: Iterable[str]) -> Iterator[tuple[str, str, float]]:
    """Each pair of an event's k participants with Newman's weight 1/(k−1).

    Every participant thus gets a total weight of 1 from one event whatever its size, so a large
    ceremony does not weigh like many small meetings (Newman 2001, *PRE* 64:016132). Summed over
    events this is :func:`networkx.algorithms.bipartite.collaboration_weighted_projected_graph`.
    """
    people = sorted(set(participants))
    for u, v in combinations(people, 2):
        yield u, v, 1 / (len(people) - 1)


def local_actors(G: nx.MultiGraph, ecosystem: Ecosystem) -> set[str]:
    """The metropole's own actors in the actor graph ``G`` (see ``docs/metrics.md``).

    Anchors: the ecosystem organisation, the organisations located in its area, and the members
    of the ecosystem (whoever holds a role in it). Local actors: the anchors and whoever holds a role
    in an anchor organisation (people of local organisations, companies on a local board, startups
    hosted locally). Roles held *by* local actors elsewhere, and co-participation, do not make
    the other end local.
    """
    anchors = set(ecosystem.located & G.nodes)
    if ecosystem.id in G:
        anchors |= {ecosystem.id, *_holders(G, ecosystem.id)}
    members = set(anchors)
    for organisation in anchors:
        members |= _holders(G, organisation)
    return members


def _holders(G: nx.MultiGraph, organisation: str) -> set[str]:
    return {data["member"] for _, _, data in G.edges(organisation, data=True)
            if data.get("organisation") == organisation}


def metropole_graph(G: nx.MultiGraph, ecosystem: Ecosystem) -> nx.MultiGraph:
    """The metropole's local actors (``local=True``), every tie touching one of them, and the outside
    actors at the other end of those ties (``local=False``)."""
    members = local_actors(G, ecosystem)
    H = nx.MultiGraph(**G.graph, metropole=ecosystem.id)
    for v in sorted(members | {w for u in members for w in G[u]}):
        H.add_node(v, **G.nodes[v], **{LOCAL: v in members})
    for u, v, key, data in G.edges(sorted(members), keys=True, data=True):
        H.add_edge(u, v, key=key, **data)
    return H


def local_subgraph(G: nx.Graph) -> nx.Graph:
    """The sub-graph of local actors only (``local=True``)."""
    return induced_subgraph(G, [v for v, local in G.nodes(data=LOCAL) if local])


def induced_subgraph(G: nx.Graph, nodes: Iterable[Any]) -> nx.Graph:
    """A copy of the sub-graph of the simple graph ``G`` on ``nodes``, nodes and ties in ``G``'s order.

    ``G.subgraph(nodes).copy()`` may list them in the order of a set of names, which changes with
    ``PYTHONHASHSEED``; orders feed floating-point sums, the rewirings and the Louvain method, so the
    measures would change from one run to the next.
    """
    keep = set(nodes)
    H = G.__class__(**G.graph)
    H.add_nodes_from((v, data) for v, data in G.nodes(data=True) if v in keep)
    H.add_edges_from((u, v, data) for u, v, data in G.edges(data=True) if u in keep and v in keep)
    return H


def collapse(G: nx.MultiGraph) -> nx.Graph:
    """A simple graph: parallel ties merged, ``weight`` summed, ``types`` and ``ties`` (count) kept."""
    H = nx.Graph(**G.graph)
    H.add_nodes_from(G.nodes(data=True))
    # G._adj: networkx's own dicts; its public views cost a wrapper object per lookup, which at a
    # million triples made the projection slower than the queries that feed it.
    H.add_edges_from(_merged_ties((u, {v: ties.values() for v, ties in neighbours.items()})
                                  for u, neighbours in G._adj.items()))
    return H


def _merged_ties(adjacency: Iterable[tuple[Any, Mapping[Any, Collection[dict[str, Any]]]]]
                 ) -> Iterator[tuple[Any, Any, dict[str, Any]]]:
    """One edge per pair of an undirected multigraph's adjacency (each node's neighbours and the data
    of their ties), in the order ``MultiGraph.edges`` lists them: weights summed in that order."""
    seen = set()
    for u, neighbours in adjacency:
        for v, ties in neighbours.items():
            if v in seen:
                continue
            if len(ties) == 1:  # most pairs: no sum, no set
                data = next(iter(ties))
                yield u, v, {"weight": data["weight"], "ties": 1, "types": (data["type"],)}
            else:
                yield u, v, {"weight": sum(data["weight"] for data in ties), "ties": len(ties),
                             "types": tuple(sorted({data["type"] for data in ties}))}
        seen.add(u)


def metropole_network(G: nx.MultiGraph, ecosystem: Ecosystem) -> nx.Graph:
    """``collapse(metropole_graph(G, ecosystem))``, the same graph in the same order (orders feed the
    measures), built without the intermediate multigraph: at a million triples that copy of every
    tie dominated the metrics."""
    members = local_actors(G, ecosystem)
    order = sorted(members | {w for u in members for w in G._adj[u]})
    # Each node's neighbours in the order metropole_graph's multigraph would hold them (ties added
    # from the local actors in sorted order, as MultiGraph.edges(nbunch) lists them), with their data.
    adjacency: dict[str, dict[str, Collection[dict[str, Any]]]] = {v: {} for v in order}
    done = set()
    for u in sorted(members):
        neighbours = adjacency[u]
        for v, ties in G._adj[u].items():
            if v not in done:
                neighbours[v] = adjacency[v][u] = ties.values()
        done.add(u)
    H = nx.Graph(**G.graph, metropole=ecosystem.id)
    H.add_nodes_from((v, {**G._node[v], LOCAL: v in members}) for v in order)
    H.add_edges_from(_merged_ties(adjacency.items()))
    return H


def organisation_layer(G: nx.Graph) -> nx.Graph:
    """Organisations only: their direct ties, plus an *interlock* between two organisations tied to
    the same person (weight 1/(k−1) for a person tied to k organisations)."""
    H = induced_subgraph(G, (v for v, agent in G.nodes(data=AGENT) if agent == ORGANISATION_AGENT))
    for person, agent in G.nodes(data=AGENT):
        if agent != PERSON_AGENT:
            continue
        for u, v, weight in co_participation(w for w in G[person] if w in H):
            if H.has_edge(u, v):
                H[u][v]["weight"] = H[u][v].get("weight", 0.0) + weight
            else:
                H.add_edge(u, v, weight=weight, ties=1, types=("interlock",))
    return H
