"""The actor graph for network tools: GEXF (Gephi), GraphML (Cytoscape, igraph) and CSV node and edge
lists (R, pandas), with node measures as columns.

The graph is the national actor graph of :mod:`ftgraph.projection`, with every tie and no date
filter: nodes are actors (organisations and people), edges are ties (one per membership or role, and
Newman-weighted co-participation in events), keyed by the membership id, or ``EVENT/SOURCE/TARGET``
for a co-participation. Each tie keeps its ``tie_type`` (membership, founding, partnership,
co-participation...), ``role``, ``start_date``/``end_date`` (at the precision of the sources) and
``sources``, so a network tool can filter by date or type.

Node columns:

- ``label``, ``kind`` (class), ``agent`` (organisation or person), ``iri``, ``sources`` (ids, ``;``-separated);
- ``metropoles``: the ecosystems whose local actor this is (``;``-separated; see ``docs/metrics.md``);
- measures on the simple graph (parallel ties merged, weights summed): ``degree`` (distinct
  neighbours), ``ties`` (ties of the actor), ``strength`` (weighted degree), ``betweenness``
  (normalised, :func:`ftgraph.metrics.betweenness`; estimated from the national sample and seed of
  :class:`ftgraph.federation.Settings` when the graph has more actors than that sample, like the
  national report; the GEXF and GraphML files record the sample), ``core`` (k-core number),
  ``clustering``, Burt's ``constraint`` and ``effective_size`` (absent for isolates), ``component``
  (0 for the largest connected component, then by decreasing size).

Output is deterministic: nodes and ties are sorted, floats rounded to 6 decimals.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from typing import Any
from xml.etree.ElementTree import SubElement

import networkx as nx
from networkx.readwrite.gexf import GEXFWriter

from ftgraph import metrics
from ftgraph.build import BuiltGraph
from ftgraph.federation import Settings
from ftgraph.projection import actor_graph, collapse, local_actors

NODE_COLUMNS = ("id", "label", "kind", "agent", "iri", "metropoles", "sources", "degree", "ties", "strength",
                "betweenness", "core", "clustering", "constraint", "effective_size", "component")
EDGE_COLUMNS = ("source", "target", "tie", "tie_type", "role", "weight", "start_date", "end_date", "dated_by", "event",
                "sources")
#: Tie attributes renamed because GEXF gives ``type``, ``start`` and ``end`` another meaning (edge
#: direction, and time spells that need full dates where the data may give only a year).
EDGE_NAMES = {"type": "tie_type", "start": "start_date", "end": "end_date"}
DECIMALS = 6
#: The national report's sample and seed, so that exported betweenness matches ``ftgraph metrics``.
SETTINGS = Settings()


def _clean(value: Any) -> Any:
    """A value network formats can hold: sequences joined with ``;``, floats rounded, NaN and None dropped."""
    if isinstance(value, tuple | list | set | frozenset):
        return ";".join(sorted(str(item) for item in value))
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, DECIMALS)
    return value


def _node_measures(G: nx.MultiGraph, settings: Settings) -> dict[str, dict[str, Any]]:
    """Measures of every node, computed on the collapsed simple graph."""
    H = collapse(G)
    betweenness = metrics.betweenness(H, sample=settings.national_sample, seed=settings.seed)
    cores = nx.core_number(H)
    clustering = nx.clustering(H)
    constraint = nx.constraint(H)
    effective_size = nx.effective_size(H)
    components = sorted(nx.connected_components(H), key=lambda c: (-len(c), min(c)))
    component_of = {v: index for index, members in enumerate(components) for v in members}
    return {v: {"degree": H.degree(v), "ties": G.degree(v), "strength": H.degree(v, weight="weight"),
                "betweenness": betweenness[v], "core": cores[v], "clustering": clustering[v],
                "constraint": constraint[v], "effective_size": effective_size[v], "component": component_of[v]}
            for v in H}


def annotated_actor_graph(built: BuiltGraph, settings: Settings = SETTINGS) -> nx.MultiGraph:
    """The national actor graph with metropoles and measures on the nodes, in a deterministic order."""
    data = built.actor_data
    G = actor_graph(data)
    metropoles: dict[str, set[str]] = {v: set() for v in G}
    for ecosystem in data.ecosystems.values():
        for v in local_actors(G, ecosystem):
            metropoles[v].add(ecosystem.id)
    measures = _node_measures(G, settings)
    sample = settings.national_sample if settings.national_sample < G.number_of_nodes() else None
    out = nx.MultiGraph(betweenness="exact" if sample is None else
                        f"estimated from {sample} source nodes, seed {settings.seed}")
    for v in sorted(G):
        attributes = {**G.nodes[v], "metropoles": metropoles[v], **measures[v]}
        out.add_node(v, **{key: _clean(value) for key, value in sorted(attributes.items())
                           if _clean(value) not in (None, "")})
    for u, v, key, attributes in G.edges(keys=True, data=True):
        source, target = sorted((u, v))
        tie = f"{key}/{source}/{target}" if attributes.get("event") else key  # an event ties many pairs
        renamed = {EDGE_NAMES.get(name, name): _clean(value) for name, value in attributes.items()}
        out.add_edge(source, target, key=tie, **{name: value for name, value in sorted(renamed.items())
                                                 if value not in (None, "")})
    return _sorted_edges(out)


def _sorted_edges(G: nx.MultiGraph) -> nx.MultiGraph:
    """The same graph with its ties inserted in (source, target, tie) order, so writers list them so."""
    H = nx.MultiGraph(**G.graph)
    H.add_nodes_from(G.nodes(data=True))
    H.add_edges_from(sorted(G.edges(keys=True, data=True), key=lambda edge: edge[:3]))
    return H


def gexf(G: nx.MultiGraph) -> str:
    """GEXF 1.2 for Gephi, without the writer's date of the day (so that it is deterministic), with how
    betweenness was computed in its description."""
    writer = GEXFWriter(encoding="utf-8", prettyprint=True)
    meta = writer.xml.find("meta")
    if meta is not None:
        meta.attrib.pop("lastmodifieddate", None)
        SubElement(meta, "description").text = f"ftgraph actor graph; betweenness {G.graph['betweenness']}"
    writer.add_graph(G)
    return str(writer)


def graphml(G: nx.MultiGraph) -> str:
    """GraphML with typed attributes for Cytoscape, igraph and yEd; tie ids as edge ids."""
    return "\n".join(nx.generate_graphml(G, encoding="utf-8", prettyprint=True)) + "\n"


def _table(columns: Iterable[str], rows: Iterable[dict[str, Any]]) -> str:
    output = io.StringIO()
    writer = csv.DictWriter(output, fieldnames=list(columns), lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return output.getvalue()


def csv_tables(G: nx.MultiGraph) -> dict[str, str]:
    """``nodes.csv`` (one row per actor, the measures as columns) and ``edges.csv`` (one row per tie)."""
    nodes = _table(NODE_COLUMNS, ({"id": v, **data} for v, data in G.nodes(data=True)))
    edges = _table(EDGE_COLUMNS, ({"source": u, "target": v, "tie": key, **data}
                                  for u, v, key, data in G.edges(keys=True, data=True)))
    return {"nodes.csv": nodes, "edges.csv": edges}
