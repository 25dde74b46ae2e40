"""Interactive network pages: the national actor network, or one metropole's, in one offline HTML file.

``ftgraph viz [--metropole ID] [--as-of DATE] [--out FILE.html]``; the pipeline stage writes
``out/viz/national.html``, one page per labelled metropole and ``out/index.html`` (every output of
the run).

What a page shows: actors (:mod:`ftgraph.projection`) coloured by class with a legend whose boxes
hide or show a class, sized by betweenness centrality (:func:`ftgraph.metrics.betweenness`: exact
in a metropole, estimated from a seeded sample nationally, as the page says), ties drawn by type
(colour and dash pattern, second legend), a tooltip (name, class, dates, measures, sources), a
details panel with clickable source links, and a search box that finds an actor (accents and case
ignored) and centres the view on it. In a metropole page, the metropole's own actors are dots and
the outside actors they are tied to are diamonds.

Design choices:

- **No pyvis.** pyvis 0.3.2 writes the page heading and the node ids of its ``select_menu`` raw into
  the HTML, switches every tooltip to HTML as soon as one title contains ``href``, renders its
  templates without autoescape, and its ``local``/``in_line`` modes still load vis-network or
  bootstrap from CDNs. Rather than patch around that, this module renders its own small Jinja2
  template (:data:`TEMPLATE`, autoescape on) around vis-network. The data travel as JSON in a
  ``<script type="application/json">`` block (Jinja's ``tojson`` escapes ``<``, ``>``, ``&``, ``'``)
  and the page script (``static/network.js``) puts every text into the page with ``textContent``;
  tooltips are DOM elements, never HTML strings; a source becomes a link only when its URL is
  http(s). A Content-Security-Policy allows only the page's own scripts (by hash) and no request
  at all, so an injected handler would not run even if some text escaped.
- **Offline.** vis-network's standalone build is vendored in ``ftgraph/static/`` with its licence
  (Apache-2.0 or MIT; see ``static/README.md``) and inlined into each page: one self-contained file
  that opens from ``file://`` and makes no network request.
- **Large graphs.** Positions are computed here, seeded, before the page is written
  (:func:`layout`); vis-network's physics is off, so the page is drawn once and does not simulate.
  Each connected component is laid out on its own and the components are packed in rows, largest
  first. A component under :data:`DENSE_LAYOUT_LIMIT` nodes uses networkx's Fruchterman–Reingold
  (:func:`networkx.spring_layout`); for larger ones networkx loops over the nodes in Python (minutes
  for 5,000 nodes), so :func:`force_layout` computes the same forces with numpy over blocks of node
  pairs (seconds to tens of seconds). A graph of more than :data:`MAX_NODES` actors is cut to the
  actors with most ties, and the page says so.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import math
import shutil
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import click
import jinja2
import networkx as nx
import numpy as np
from markupsafe import Markup

from ftgraph import metrics
from ftgraph import projection as pj
from ftgraph.atomic import write_text_atomic
from ftgraph.build import BuiltGraph, Paths, build_graph
from ftgraph.clikit import base_option, data_option, stdout, user_errors
from ftgraph.engine import STORE_DIR, Engine
from ftgraph.federation import NATIONAL, parse_as_of
from ftgraph.metrics_cli import resolve_scope
from ftgraph.namespaces import DEFAULT_BASE_IRI, sparql_prologue
from ftgraph.progress import Progress

VIS_NETWORK_VERSION = "10.1.5"
TEMPLATE = "network.html.j2"
INDEX_TEMPLATE = "index.html.j2"
VIZ_DIR = "viz"
NATIONAL_PAGE = "national.html"
INDEX_PAGE = "index.html"

#: Seed of the layouts (and of the sampled national betweenness).
DEFAULT_SEED = 1
#: Above this many actors a page keeps only those with most ties (a browser stays responsive).
MAX_NODES = 5000
#: Components from this size on use :func:`force_layout` instead of networkx's (a Python loop over nodes).
DENSE_LAYOUT_LIMIT = 500
#: Nationally, betweenness is estimated from this many sampled source nodes (exact below it).
BETWEENNESS_SAMPLE = 100
#: Rows of the pair blocks of :func:`force_layout` (memory: about 16 bytes × rows × n).
_BLOCK = 256

#: Labels whose awardees are "labelled metropoles" (territorial labels; not hubs abroad, not startups).
METROPOLE_LABELS = ("label-metropole-french-tech", "label-thematic-pilot", "label-capitale-french-tech",
                    "label-communaute-french-tech")


# Styles ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClassStyle:
    label: str
    color: str


@dataclass(frozen=True)
class TieStyle:
    label: str
    color: str
    dashes: tuple[int, ...] = ()


#: Colour of each actor class (``kind`` of :mod:`ftgraph.projection`): related classes share a hue.
CLASS_STYLES: dict[str, ClassStyle] = {
    "Ecosystem": ClassStyle("Ecosystem (label bearer)", "#d62728"),
    "FrenchTechAssociation": ClassStyle("French Tech association", "#ff7f0e"),
    "Startup": ClassStyle("Startup", "#1f77b4"),
    "Company": ClassStyle("Company", "#aec7e8"),
    "Incubator": ClassStyle("Incubator", "#2ca02c"),
    "Accelerator": ClassStyle("Accelerator", "#98df8a"),
    "Pepiniere": ClassStyle("Pépinière", "#bcbd22"),
    "Coworking": ClassStyle("Coworking", "#dbdb8d"),
    "Investor": ClassStyle("Investor", "#9467bd"),
    "PublicBody": ClassStyle("Public body", "#8c564b"),
    "Ministry": ClassStyle("Ministry", "#c49c94"),
    "LocalAuthority": ClassStyle("Local authority", "#e377c2"),
    "ResearchBody": ClassStyle("Research body", "#17becf"),
    "School": ClassStyle("School", "#9edae5"),
    "Association": ClassStyle("Association", "#ff9896"),
    "Cluster": ClassStyle("Cluster", "#f7b6d2"),
    "Network": ClassStyle("Network", "#c5b0d5"),
    "Media": ClassStyle("Media", "#7f7f7f"),
    pj.PERSON: ClassStyle("Person", "#c7c7c7"),
}
UNKNOWN_CLASS_COLOR = "#444444"

#: Line of each tie type (``type`` of :mod:`ftgraph.projection` edges).
TIE_STYLES: dict[str, TieStyle] = {
    "membership": TieStyle("membership", "#555555"),
    "founding": TieStyle("founding", "#d62728"),
    "role": TieStyle("role (position held)", "#8c8c8c"),
    "partnership": TieStyle("partnership", "#1f77b4", (8, 4)),
    "hosting": TieStyle("hosting / incubation", "#2ca02c", (2, 4)),
    "investment": TieStyle("investment", "#9467bd", (10, 3, 2, 3)),
    "affiliation": TieStyle("affiliation", "#8c564b", (6, 3)),
    "interlock": TieStyle("shared person", "#ff7f0e", (4, 4)),
    pj.CO_PARTICIPATION: TieStyle("co-participation in an event", "#b0b0b0", (1, 4)),
}
UNKNOWN_TIE_COLOR = "#000000"


def class_style(kind: str) -> ClassStyle:
    """Legend label and colour of an actor class (classes unknown here get their own name, in grey)."""
    return CLASS_STYLES.get(kind, ClassStyle(kind, UNKNOWN_CLASS_COLOR))


def tie_style(kind: str) -> TieStyle:
    return TIE_STYLES.get(kind, TieStyle(kind, UNKNOWN_TIE_COLOR))


# What the graph says about sources, concepts and labels ---------------------------------------------

_SOURCES_QUERY = """
SELECT ?source ?title ?url ?publisher ?issued WHERE {
  ?source a ft:Source .
  OPTIONAL { ?source dcterms:title ?title }
  OPTIONAL { ?source schema:url ?url }
  OPTIONAL { ?source dcterms:publisher ?publisher }
  OPTIONAL { ?source dcterms:issued ?issued }
}"""

_NAMES_QUERY = """
SELECT ?thing ?name WHERE {
  { ?thing a skos:Concept ; skos:prefLabel ?name . FILTER(LANGMATCHES(LANG(?name), "en")) }
  UNION { ?thing a ft:Event ; rdfs:label ?name }
}"""

_AWARDS_QUERY = """
SELECT ?awardee ?awardeeName ?label ?labelName ?date WHERE {
  ?award a ft:LabelAward ; ft:label ?label ; ft:awardee ?awardee ; dcterms:date ?date .
  ?awardee a ft:Ecosystem .
  OPTIONAL { ?awardee rdfs:label ?awardeeName }
  OPTIONAL { ?label skos:prefLabel ?labelName . FILTER(LANGMATCHES(LANG(?labelName), "en")) }
}"""


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    url: str
    publisher: str
    date: str


@dataclass(frozen=True)
class Award:
    """A label award to an ecosystem: ``label`` (concept id) given to ``ecosystem`` on ``date``."""

    ecosystem: str
    ecosystem_name: str
    label: str
    label_name: str
    date: str

    @property
    def day(self) -> dt.date:
        return pj.first_day(self.date)


def _record_id(iri: str) -> str:
    """A data IRI's record id (its last path segment; ids are unique across the data)."""
    return iri.rstrip("/").rsplit("/", 1)[-1]


def _select(engine: Engine, query: str) -> list[dict[str, Any]]:
    return engine.select_terms(sparql_prologue(DEFAULT_BASE_IRI) + query)


def _text(row: Mapping[str, Any], name: str) -> str:
    term = row.get(name)
    return "" if term is None else str(term.value)


def read_sources(engine: Engine) -> dict[str, Source]:
    """Every source of the graph by record id: title, URL, publisher, publication date."""
    sources = {}
    for row in _select(engine, _SOURCES_QUERY):
        source_id = _record_id(_text(row, "source"))
        sources[source_id] = Source(source_id, _text(row, "title") or source_id, _text(row, "url"),
                                    _text(row, "publisher"), _text(row, "issued"))
    return sources


def read_names(engine: Engine) -> dict[str, str]:
    """English names of concepts (roles, labels...) and names of events, by record id."""
    return {_record_id(_text(row, "thing")): _text(row, "name") for row in _select(engine, _NAMES_QUERY)}


def label_awards(engine: Engine) -> list[Award]:
    """Every label award to an ecosystem, by date then ecosystem then label."""
    awards = {Award(_record_id(_text(row, "awardee")), _text(row, "awardeeName") or _record_id(_text(row, "awardee")),
                    _record_id(_text(row, "label")), _text(row, "labelName") or _record_id(_text(row, "label")),
                    _text(row, "date"))
              for row in _select(engine, _AWARDS_QUERY)}
    return sorted(awards, key=lambda a: (a.day, a.ecosystem, a.label))


def labelled_metropoles(engine: Engine) -> list[str]:
    """Ids of the ecosystems that received a territorial label (:data:`METROPOLE_LABELS`), sorted."""
    return sorted({award.ecosystem for award in label_awards(engine) if award.label in METROPOLE_LABELS})


# Layout ---------------------------------------------------------------------------------------------


def layout(G: nx.Graph, seed: int = DEFAULT_SEED) -> dict[Any, tuple[float, float]]:
    """Seeded positions of every node: each connected component laid out alone, then packed.

    Each component is scaled so that its mean tie length is 1. Components (largest first, ties
    broken by their first node name) are packed left to right in rows as wide as the widest
    component or as a square holding them all, whichever is wider. Same graph, same seed: same
    positions.
    """
    components = sorted((sorted(c, key=str) for c in nx.connected_components(G)),
                        key=lambda c: (-len(c), str(c[0])))
    placed = [(nodes, _component_layout(G.subgraph(nodes), nodes, seed)) for nodes in components]
    boxes = [(float(np.ptp(xy[:, 0])) + 1, float(np.ptp(xy[:, 1])) + 1) for _, xy in placed]
    row_width = max([math.sqrt(sum(w * h for w, h in boxes))] + [w for w, _ in boxes]) if boxes else 0.0
    positions: dict[Any, tuple[float, float]] = {}
    x = y = row_height = 0.0
    for (nodes, xy), (width, height) in zip(placed, boxes, strict=True):
        if x > 0 and x + width > row_width:
            x, y, row_height = 0.0, y + row_height, 0.0
        shifted = xy - xy.min(axis=0) + np.array([x, y])
        positions.update((node, (float(px), float(py))) for node, (px, py) in zip(nodes, shifted, strict=True))
        x += width
        row_height = max(row_height, height)
    return positions


def _component_layout(H: nx.Graph, nodes: list[Any], seed: int) -> np.ndarray:
    """Positions of a connected graph's ``nodes`` (in that order), scaled to a mean tie length of 1."""
    if len(nodes) == 1:
        return np.zeros((1, 2))
    if len(nodes) < DENSE_LAYOUT_LIMIT:
        ordered = nx.Graph()  # node order is part of the seeded result: make it independent of H's
        ordered.add_nodes_from(nodes)
        ordered.add_edges_from(sorted(H.edges, key=str))
        pos = nx.spring_layout(ordered, seed=seed, weight=None)
        xy = np.array([pos[v] for v in nodes], dtype=float)
    else:
        xy = force_layout(H, nodes, seed)
    index = {v: i for i, v in enumerate(nodes)}
    lengths = [np.linalg.norm(xy[index[u]] - xy[index[v]]) for u, v in H.edges if u != v]
    mean = float(np.mean(lengths)) if lengths else 0.0
    return xy / mean if mean > 0 else xy


def force_layout(H: nx.Graph, nodes: list[Any], seed: int, iterations: int = 50) -> np.ndarray:
    """Fruchterman–Reingold layout, vectorised over blocks of node pairs.

    Attraction :math:`d^2/k` along every tie, repulsion :math:`k^2/d` between every pair of nodes,
    ideal distance :math:`k = 1`, a temperature that cools linearly from a tenth of the initial
    square's side. The same forces as :func:`networkx.spring_layout`, whose large-graph version
    loops over nodes in Python; here the n² repulsions of an iteration are computed by numpy in
    blocks of :data:`_BLOCK` rows (float32), a few seconds per iteration for 5,000 nodes.

    Fruchterman, T. M. J. & Reingold, E. M. (1991). Graph drawing by force-directed placement.
    *Software: Practice and Experience* 21(11):1129–1164. Returns positions in the order of ``nodes``.
    """
    index = {v: i for i, v in enumerate(nodes)}
    n = len(nodes)
    ties = np.array(sorted((index[u], index[v]) for u, v in H.edges if u != v), dtype=np.int64).reshape(-1, 2)
    side = math.sqrt(n)
    xy = (np.random.default_rng(seed).random((n, 2)) * side).astype(np.float32)
    for step in range(iterations):
        shift = np.zeros((n, 2), dtype=np.float32)
        for start in range(0, n, _BLOCK):
            dx = xy[start:start + _BLOCK, None, 0] - xy[None, :, 0]
            dy = xy[start:start + _BLOCK, None, 1] - xy[None, :, 1]
            inverse = 1 / np.maximum(dx * dx + dy * dy, 1e-4)
            shift[start:start + _BLOCK, 0] = (dx * inverse).sum(axis=1)
            shift[start:start + _BLOCK, 1] = (dy * inverse).sum(axis=1)
        delta = xy[ties[:, 0]] - xy[ties[:, 1]]
        pull = delta * np.linalg.norm(delta, axis=1)[:, None]
        np.add.at(shift, ties[:, 0], -pull)
        np.add.at(shift, ties[:, 1], pull)
        length = np.maximum(np.linalg.norm(shift, axis=1), 1e-6)
        temperature = side / 10 * (1 - step / iterations) + 0.01
        xy += shift * (np.minimum(length, temperature) / length)[:, None]
    return xy.astype(float)


# Page data ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """What every page needs besides its graph, read from the graph once."""

    data: pj.ActorData
    sources: dict[str, Source]
    names: dict[str, str]

    @classmethod
    def read(cls, engine: Engine, data: pj.ActorData | None = None) -> Context:
        """The context of the graph in ``engine``; ``data``: its projection input when already read."""
        return cls(data or pj.load_actor_data(engine), read_sources(engine), read_names(engine))


@dataclass(frozen=True)
class Page:
    """One interactive page: a title, a subtitle and an actor graph (:func:`ftgraph.projection.actor_graph`)."""

    title: str
    subtitle: str
    graph: nx.MultiGraph
    #: betweenness from this many sampled sources (``None``: exact)
    sample: int | None = None


def _span(start: str | None, end: str | None) -> str:
    if start and end:
        return start if start == end else f"{start} – {end}"
    if start:
        return f"since {start}"
    return f"until {end}" if end else ""


def _actor_dates(actor: pj.Actor | None) -> str:
    if actor is None:
        return ""
    parts = [f"founded {actor.founded}"] if actor.founded else []
    if actor.dissolved:
        parts.append(f"dissolved {actor.dissolved}")
    return ", ".join(parts)


def _most_connected(G: nx.MultiGraph, limit: int) -> nx.MultiGraph:
    """``G`` restricted to its ``limit`` actors of highest degree (ties broken by id)."""
    keep = sorted(G, key=lambda v: (-G.degree(v), str(v)))[:limit]
    return G.subgraph(keep).copy()


class _Citations:
    """The sources a page cites, numbered in order of first citation (the page stores each once)."""

    def __init__(self, known: Mapping[str, Source]) -> None:
        self.known = known
        self.numbers: dict[str, int] = {}

    def cite(self, ids: Iterable[str]) -> list[int]:
        return [self.numbers.setdefault(s, len(self.numbers)) for s in sorted(set(ids)) if s in self.known]

    def table(self) -> list[dict[str, str]]:
        return [{"title": self.known[s].title, "url": self.known[s].url, "publisher": self.known[s].publisher,
                 "date": self.known[s].date} for s in sorted(self.numbers, key=self.numbers.__getitem__)]


def page_data(page: Page, context: Context, seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """The JSON document a page draws: nodes with positions, sizes and details; ties; legends."""
    full = page.graph
    G = _most_connected(full, MAX_NODES) if full.number_of_nodes() > MAX_NODES else full
    simple = pj.collapse(G)
    sampled = page.sample is not None and page.sample < simple.number_of_nodes()
    b = metrics.betweenness(simple, sample=page.sample, seed=seed)
    citations = _Citations(context.sources)
    nodes = _nodes(G, simple, b, layout(simple, seed), context, citations)
    edges = _edges(G, simple, context, citations)
    kinds = sorted({node["cls"] for node in nodes}, key=lambda k: (class_style(k).label.lower(), k))
    types = sorted({t for edge in edges for t in edge["types"]})
    return {
        "title": page.title,
        "subtitle": page.subtitle,
        "shown": len(nodes), "total": full.number_of_nodes(),
        "classes": {k: {"label": class_style(k).label, "color": class_style(k).color} for k in kinds},
        "ties": {t: {"label": tie_style(t).label, "color": tie_style(t).color,
                     "dashes": list(tie_style(t).dashes) or False} for t in types},
        "metrics": [{"key": "degree", "label": "actors tied"}, {"key": "ties", "label": "ties"},
                    {"key": "betweenness", "label": "betweenness" + (" (estimate)" if sampled else "")}],
        "measure": (f"betweenness centrality, estimated from {page.sample} of {simple.number_of_nodes()} source "
                    f"actors drawn with seed {seed} (Brandes & Pich 2007)" if sampled
                    else "betweenness centrality (exact)"),
        "nodes": nodes,
        "edges": edges,
        "sources": citations.table(),
    }


def _nodes(G: nx.MultiGraph, simple: nx.Graph, b: Mapping[Any, float], positions: Mapping[Any, tuple[float, float]],
           context: Context, citations: _Citations) -> list[dict[str, Any]]:
    """Each actor: name, class, place, size (square root of its betweenness), dates, measures, sources."""
    top = max(b.values(), default=0.0)
    nodes = []
    for v in sorted(simple, key=str):
        attributes = simple.nodes[v]
        nodes.append({
            "id": v, "label": attributes.get(pj.LABEL, v), "cls": attributes.get(pj.KIND, "unknown"),
            "local": attributes.get(pj.LOCAL), "iri": attributes.get("iri", ""),
            "x": round(positions[v][0] * _PIXELS, 1), "y": round(positions[v][1] * _PIXELS, 1),
            "size": round(8 + 32 * math.sqrt(b.get(v, 0.0) / top), 2) if top > 0 else 8,
            "dates": _actor_dates(context.data.actors.get(v)),
            "metrics": {"degree": simple.degree(v), "ties": G.degree(v), "betweenness": round(b.get(v, 0.0), 6)},
            "sources": citations.cite(attributes.get(pj.SOURCES, ())),
        })
    return nodes


def _edges(G: nx.MultiGraph, simple: nx.Graph, context: Context, citations: _Citations) -> list[dict[str, Any]]:
    """Each tied pair: its ties (type, role or event, dates), summed weight, sources."""
    edges = []
    for u, v in sorted((tuple(sorted((u, v), key=str)) for u, v in simple.edges), key=str):
        ties = sorted(G[u][v].items(), key=lambda item: (item[1]["type"], str(item[0])))
        edges.append({
            "from": u, "to": v, "weight": round(simple[u][v]["weight"], 4),
            "types": sorted({tie["type"] for _, tie in ties}),
            "ties": [{"type": tie["type"], "what": _tie_name(key, tie, context.names),
                      "dates": _span(tie.get("start"), tie.get("end"))} for key, tie in ties],
            "sources": citations.cite(s for _, tie in ties for s in tie.get(pj.SOURCES, ())),
        })
    return edges


#: Pixels per layout unit (one mean tie length).
_PIXELS = 140


def _tie_name(key: Any, tie: Mapping[str, Any], names: Mapping[str, str]) -> str:
    if tie["type"] == pj.CO_PARTICIPATION:
        return names.get(str(tie.get("event", key)), str(key))
    role = tie.get("role")
    return names.get(role, role) if role else str(key)


# Rendering ------------------------------------------------------------------------------------------


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("ftgraph", "templates"), autoescape=True,
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


@cache
def static_text(name: str) -> str:
    """A vendored or page asset from ``ftgraph/static/``."""
    return resources.files("ftgraph").joinpath("static", name).read_text(encoding="utf-8")


def _script_hash(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii") + "'"


def render_page(data: Mapping[str, Any]) -> str:
    """The HTML page for :func:`page_data`'s document: self-contained, no request, every text escaped."""
    scripts = [static_text("vis-network.min.js"), static_text("network.js")]
    counts_by_class = Counter(node["cls"] for node in data["nodes"])
    counts_by_type = Counter(tie_type for edge in data["edges"] for tie_type in edge["types"])
    return _environment().get_template(TEMPLATE).render(
        title=data["title"], subtitle=data["subtitle"], measure=data["measure"], data=data,
        classes=[{"key": key, "count": counts_by_class[key], **style} for key, style in data["classes"].items()],
        ties=[{"key": key, "count": counts_by_type[key], **style} for key, style in data["ties"].items()],
        node_count=len(data["nodes"]), edge_count=len(data["edges"]), vis_version=VIS_NETWORK_VERSION,
        page_css=Markup(static_text("network.css")),  # our own packaged assets, not data
        vis_js=Markup(scripts[0]), page_js=Markup(scripts[1]),
        script_hashes=" ".join(_script_hash(script) for script in scripts))


def write_page(page: Page, context: Context, path: Path, seed: int = DEFAULT_SEED) -> Path:
    """Render ``page`` into ``path`` (written atomically)."""
    write_text_atomic(path, render_page(page_data(page, context, seed)))
    return path


# Pages ----------------------------------------------------------------------------------------------


def _when(as_of: dt.date | None) -> str:
    if as_of is None:
        return "every tie whatever its dates"
    return f"ties valid on {as_of.isoformat()} (events of the {pj.Snapshot().event_window_years} years before)"


def national_page(national: nx.MultiGraph, as_of: dt.date | None = None) -> Page:
    """Every actor of the country and their ties (``national``: :func:`ftgraph.projection.actor_graph`)."""
    n = national.number_of_nodes()
    shown = f"the {MAX_NODES} actors with most ties of {n}" if n > MAX_NODES else f"{n} actors"
    return Page(page_title(None), f"{shown}; {_when(as_of)}", national,
                sample=BETWEENNESS_SAMPLE if n > BETWEENNESS_SAMPLE else None)


def metropole_page(national: nx.MultiGraph, ecosystem: pj.Ecosystem, as_of: dt.date | None = None) -> Page:
    """One metropole's actors (dots) and the outside actors they are tied to (diamonds)."""
    G = pj.metropole_graph(national, ecosystem)
    local = sum(1 for _, is_local in G.nodes(data=pj.LOCAL) if is_local)
    return Page(page_title(ecosystem),
                f"{local} local actors (dots) and {G.number_of_nodes() - local} outside actors tied to them "
                f"(diamonds); {_when(as_of)}", G)


def page_title(ecosystem: pj.Ecosystem | None) -> str:
    """Title of the national page (``None``) or of a metropole's page."""
    return "French Tech actors: the national network" if ecosystem is None else f"{ecosystem.label}: actor network"


def page_file(ecosystem_id: str | None) -> str:
    """File name of the national page (``None``) or of a metropole's page."""
    return NATIONAL_PAGE if ecosystem_id is None else f"{ecosystem_id}.html"


def write_pages(context: Context, files: Mapping[Path, str | None], *, as_of: dt.date | None = None,
                seed: int = DEFAULT_SEED, progress: Progress | None = None) -> dict[Path, str]:
    """Write each file of ``files``: the national page (``None``) or an ecosystem's page (its id).
    Returns the titles of the pages written."""
    national = pj.actor_graph(context.data, pj.Snapshot(as_of=as_of))
    items = list(files.items())
    written = {}
    for path, target in progress.iterate(items, "network pages") if progress else items:
        page = (national_page(national, as_of) if target is None
                else metropole_page(national, context.data.ecosystems[target], as_of))
        written[write_page(page, context, path, seed)] = page.title
    return written


# Index of the run's outputs ------------------------------------------------------------------------

#: What a file is and its format, by extension (for the index page).
FILE_KINDS = {
    ".html": ("web page", "HTML"), ".nt": ("RDF", "N-Triples"), ".ttl": ("RDF", "Turtle"),
    ".jsonld": ("RDF", "JSON-LD"), ".trig": ("RDF", "TriG"), ".nq": ("RDF", "N-Quads"), ".rdf": ("RDF", "RDF/XML"),
    ".csv": ("table", "CSV"), ".tsv": ("table", "TSV"), ".json": ("data", "JSON"), ".png": ("figure", "PNG"),
    ".svg": ("figure", "SVG"), ".pdf": ("document", "PDF"), ".md": ("text", "Markdown"), ".txt": ("text", "text"),
    ".rq": ("SPARQL query", "SPARQL"),
}


def _store_size(folder: Path) -> str:
    """The triple count of a persisted store, from its manifest (its bytes differ from build to build of
    one graph, so they are not shown: the index is byte-identical for the same input)."""
    try:
        triples = json.loads((folder / STORE_MANIFEST).read_text(encoding="utf-8"))["triples"]
    except (OSError, ValueError, KeyError, TypeError):  # missing or damaged: nothing to say
        return ""
    return f"{triples:,} triples" if isinstance(triples, int) else ""


#: Folders listed as one entry (internal files of a program, not outputs to open one by one): what they
#: are, and what the size column says of them.
OPAQUE_DIRS: dict[str, tuple[str, Callable[[Path], str]]] = {
    STORE_DIR: ("embedded SPARQL store (pyoxigraph), used by `ftgraph query`", _store_size),
}
#: Folders shown first in the index, in this order; the others follow alphabetically.
FIRST_FOLDERS = (VIZ_DIR, "figures")
#: The store's manifest (:mod:`ftgraph.engine`: its fingerprint of ``graph.nt`` and triple count).
STORE_MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Entry:
    """One output of the index: the files that share a name in different formats, or an opaque folder."""

    name: str  #: relative to ``out/``, without the extension
    links: tuple[tuple[str, str], ...]  #: (format, relative path with ``/``)
    kind: str
    size: str  #: bytes of the files; what an opaque folder holds


def _entry(name: str, files: list[Path], out_dir: Path) -> Entry:
    kinds = dict.fromkeys(FILE_KINDS.get(path.suffix, ("file", path.suffix.lstrip(".") or "file"))[0]
                          for path in files)
    links = tuple((FILE_KINDS.get(path.suffix, ("", path.suffix.lstrip(".").upper() or "file"))[1],
                   path.relative_to(out_dir).as_posix()) for path in files)
    return Entry(name, links, ", ".join(kinds), f"{sum(path.stat().st_size for path in files):,} bytes")


def list_outputs(out_dir: Path) -> dict[str, list[Entry]]:
    """Every output in ``out_dir`` by top folder (``""``: the top), hidden files and the index left out.
    Files that differ only by extension (``x.png``, ``x.svg``) make one entry."""
    stems: dict[str, dict[str, list[Path]]] = {}
    opaque: list[Entry] = []
    for path in sorted(out_dir.rglob("*")):
        relative = path.relative_to(out_dir)
        if any(part.startswith(".") for part in relative.parts) or relative.as_posix() == INDEX_PAGE:
            continue
        if relative.parts[0] in OPAQUE_DIRS:
            if len(relative.parts) == 1:
                what, size = OPAQUE_DIRS[relative.parts[0]]
                opaque.append(Entry(relative.as_posix() + "/", (("folder", relative.as_posix() + "/"),),
                                    what, size(path)))
        elif path.is_file():
            top = relative.parts[0] if len(relative.parts) > 1 else ""
            stem = relative.with_suffix("").as_posix()
            stems.setdefault(top, {}).setdefault(stem, []).append(path)
    groups = {top: [_entry(stem, files, out_dir) for stem, files in entries.items()] for top, entries in stems.items()}
    groups.setdefault("", []).extend(opaque)
    order = {folder: rank for rank, folder in enumerate(("", *FIRST_FOLDERS))}
    return {top: groups[top] for top in sorted(groups, key=lambda top: (order.get(top, len(order)), top))}


def write_index(out_dir: Path, titles: Mapping[str, str] | None = None) -> Path:
    """``out_dir/index.html``: a link to every output present in ``out_dir``, by folder.

    ``titles`` gives a readable title to some entries (relative path without extension → title),
    e.g. the pages' metropole names.
    """
    html = _environment().get_template(INDEX_TEMPLATE).render(groups=list_outputs(out_dir), titles=titles or {},
                                                              page_css=Markup(static_text("network.css")))
    path = out_dir / INDEX_PAGE
    write_text_atomic(path, html)
    return path


# Pipeline stage and command -------------------------------------------------------------------------


def run_pages(engine: Engine) -> list[str | None]:
    """The pages of a run: the national page (``None``) and one per labelled metropole (its id)."""
    return [None, *labelled_metropoles(engine)]


def pages_stage(built: BuiltGraph, out_dir: Path, progress: Progress) -> list[Path]:
    """Pipeline stage: ``viz/`` holding the pages of :func:`run_pages` (and no page of a metropole gone
    from the data)."""
    engine = built.engine
    context = Context.read(engine, built.actor_data)
    shutil.rmtree(out_dir / VIZ_DIR, ignore_errors=True)
    files = {out_dir / VIZ_DIR / page_file(target): target for target in run_pages(engine)}
    return list(write_pages(context, files, progress=progress))


def index_stage(built: BuiltGraph, out_dir: Path, progress: Progress) -> list[Path]:
    """Pipeline stage: ``index.html``, linking every file in ``out_dir``, the pages by their title: keep
    it the last stage so it sees them all."""
    ecosystems = built.actor_data.ecosystems
    titles = {(Path(VIZ_DIR) / page_file(target)).with_suffix("").as_posix():
              page_title(None if target is None else ecosystems[target]) for target in run_pages(built.engine)}
    return [write_index(out_dir, titles)]


def as_of_option(function: Any) -> Any:
    """``--as-of DATE``: only ties valid on that date (``YYYY-MM-DD``, ``YYYY-MM``, ``YYYY`` or ``today``)."""

    def convert(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
        try:
            return parse_as_of(value)
        except ValueError:
            raise click.BadParameter(f"{value!r}: expected YYYY-MM-DD, YYYY-MM, YYYY or 'today'") from None

    return click.option("--as-of", callback=convert, default=None,
                        help="Only ties valid on this date (YYYY-MM-DD, YYYY-MM, YYYY or 'today').")(function)


@click.command("viz")
@click.option("--metropole", default=None,
              help="Ecosystem id (french-tech-grenoble, or grenoble); default: the national network.")
@as_of_option
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="HTML file to write (default: out/viz/national.html or out/viz/<ecosystem-id>.html).")
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True, help="Seed of the layout.")
@data_option
@base_option
@click.pass_obj
@user_errors
def viz_command(progress: Progress, metropole: str | None, as_of: dt.date | None, out_file: Path | None,
                seed: int, data_dir: Path | None, base_iri: str) -> None:
    """An interactive page of the actor network (national, or one metropole's) that works offline."""
    paths = Paths.default(data=data_dir)
    with progress.step("load, map and validate the curated data"):
        engine = build_graph(paths, base_iri).engine
    with progress.step("project the actor graph"):
        context = Context.read(engine)
        scope = resolve_scope(context.data, metropole)
    target = None if scope in (None, NATIONAL) else scope
    path = out_file or paths.out / VIZ_DIR / page_file(target)
    with progress.step("lay out and write the page"):
        write_pages(context, {path: target}, as_of=as_of, seed=seed)
    stdout.print(str(path))
