"""Federation metrics per metropole and nationally: reports, ranking, timeline, files in ``out/metrics/``.

The graphs come from :mod:`ftgraph.projection`, the measures from :mod:`ftgraph.metrics`; this module
decides which measure runs on which graph and with which settings, and flags graphs too thin to
score ("insufficient data", ``docs/metrics.md``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from ftgraph import metrics, observations
from ftgraph.build import GRAPH_NT, BuiltGraph, to_turtle
from ftgraph.progress import Progress
from ftgraph.projection import (
    AGENT,
    KIND,
    LABEL,
    LOCAL,
    PERSON_AGENT,
    SOURCES,
    ActorData,
    Ecosystem,
    Snapshot,
    actor_graph,
    collapse,
    last_day,
    local_subgraph,
    metropole_network,
    organisation_layer,
)

NATIONAL = "national"
OK, INSUFFICIENT = "ok", "insufficient data"
METRICS_DIR = "metrics"


@dataclass(frozen=True)
class Settings:
    """Randomness and sizes. Per metropole every measure is exact; on the national graph betweenness,
    efficiency, clustering and structural holes are estimated from ``national_sample`` nodes."""

    seed: int = 42
    null_draws: int = 100
    national_null_draws: int = 10
    national_sample: int = 100
    #: below this many local actors, or with fewer ties than actors, a graph is not scored
    min_actors: int = 10
    top_brokers: int = 5


@dataclass(frozen=True)
class Measure:
    """A reported scalar measure: its key in tables, its label and its definition."""

    key: str
    label: str
    definition: str
    integer: bool = False


#: Every scalar in a report, in table order. The Data Cube measure properties are made from them.
MEASURES: tuple[Measure, ...] = (
    Measure("federation_index", "Federation Index", "FI = (S·R·X·Ê)^(1/4), components floored at 0.01"),
    Measure("cohesion", "S, cohesion", "share of the actors in the largest connected component"),
    Measure("robustness", "R, robustness", "share of the largest component still connected without its top broker"),
    Measure("mixing", "X, cross-class mixing",
            "share of ties joining organisations of different classes over its random-mixing expectation, capped at 1"),
    Measure("relative_efficiency", "Ê, relative efficiency",
            "global efficiency over the mean of random graphs with the same numbers of actors and ties, capped at 1"),
    Measure("actors", "actors", "number of actors (nodes)", integer=True),
    Measure("ties", "tied pairs", "number of tied pairs of actors (edges of the simple graph)", integer=True),
    Measure("tie_records", "ties", "number of ties (memberships, roles, co-participations)", integer=True),
    Measure("external_ties", "external ties", "ties from a local actor to an actor outside the metropole",
            integer=True),
    Measure("ties_dated_by_attestation", "ties dated by attestation",
            "role ties without a start date, taken as valid from their first source's publication", integer=True),
    Measure("sources", "sources", "number of distinct sources behind the actors and ties", integer=True),
    Measure("isolates", "isolates", "actors without any tie", integer=True),
    Measure("components", "components", "number of connected components", integer=True),
    Measure("mean_degree", "mean degree", "2m / n"),
    Measure("density", "density", "2m / (n(n−1))"),
    Measure("efficiency", "global efficiency", "mean of 1/d(i,j) over ordered pairs of actors"),
    Measure("average_clustering", "average clustering", "mean local clustering coefficient"),
    Measure("transitivity", "transitivity", "3 × triangles / connected triples"),
    Measure("degree_centralization", "degree centralization", "Freeman: Σ(k_max − k_i) / ((n−1)(n−2))"),
    Measure("betweenness_centralization", "betweenness centralization", "Freeman: Σ(b_max − b_i) / (n−1)"),
    Measure("leader_brokerage_share", "brokerage by startups and founders",
            "share of total betweenness held by startups and the founders of startups"),
    Measure("ei_class", "E-I index, classes", "(EL − IL)/(EL + IL) over organisation classes"),
    Measure("ei_class_expected", "E-I index, classes, random mixing", "(P_ext − P_int)/(P_ext + P_int)"),
    Measure("assortativity_class", "class assortativity", "Newman's attribute assortativity of organisation classes"),
    Measure("ei_local", "E-I index, local vs outside", "(EL − IL)/(EL + IL), groups: local actors and outside actors"),
    Measure("ei_local_expected", "E-I index, local vs outside, random mixing", "(P_ext − P_int)/(P_ext + P_int)"),
    Measure("constraint_median", "median constraint", "median of Burt's constraint over tied actors"),
    Measure("effective_size_median", "median effective size", "median of Burt's effective size over tied actors"),
    Measure("modularity", "modularity", "Newman's Q of the seeded Louvain partition (weighted)"),
    Measure("communities", "communities", "number of Louvain communities", integer=True),
    Measure("modularity_null_mean", "modularity of rewirings", "mean Q over degree-preserving rewirings"),
    Measure("modularity_z", "modularity z-score", "(Q − mean Q_null) / sd Q_null"),
    Measure("two_core_share", "2-core share", "share of the actors in the 2-core"),
    Measure("max_core", "largest k-core", "largest k with a non-empty k-core", integer=True),
    Measure("robustness_top2", "robustness to the top two brokers",
            "share of the largest component still connected without its two top brokers"),
)

Value = float | int | None


@dataclass
class Report:
    """The measures of one graph: a metropole's local actors, or every actor (``scope`` national)."""

    scope: str
    label: str
    as_of: str | None
    status: str
    values: dict[str, Value]
    details: dict[str, Any] = field(default_factory=dict)
    method: dict[str, Any] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        """One flat row: scope, label, date, status, every measure, the method."""
        return {"scope": self.scope, "label": self.label, "as_of": self.as_of or "", "status": self.status,
                **{m.key: self.values.get(m.key) for m in MEASURES}, **self.method}


@dataclass(frozen=True)
class TimelinePoint:
    """The Federation Index of one metropole on the date of a label wave."""

    scope: str
    label: str
    waves: tuple[str, ...]  #: ids of the labelling decisions of that date
    as_of: str  #: the date the ties are valid on
    status: str
    values: dict[str, Value]  #: actors, ties, the index and its components
    method: dict[str, Any]

    def row(self) -> dict[str, Any]:
        return {"scope": self.scope, "label": self.label, "waves": ";".join(self.waves), "as_of": self.as_of,
                "status": self.status, **self.values}


# Reports ------------------------------------------------------------------------------------------


def _status(G: nx.Graph, settings: Settings) -> str:
    n = G.number_of_nodes()
    return OK if n >= settings.min_actors and G.number_of_edges() >= n else INSUFFICIENT


def _leaders(G: nx.Graph) -> set[Any]:
    """Startups and the people tied to a startup by a founding role."""
    startups = {v for v, kind in G.nodes(data=KIND) if kind == "Startup"}
    return startups | {w for v in startups for w in G[v]
                       if G.nodes[w].get(AGENT) == PERSON_AGENT and "founding" in G[v][w]["types"]}


def _structure(G: nx.Graph, settings: Settings, *, draws: int, sample: int | None) -> tuple[dict[str, Value], dict]:
    """Every measure of one collapsed graph."""
    seed = settings.seed
    organisations = organisation_layer(G)
    b = metrics.betweenness(G, sample, seed)
    index = metrics.federation_index(G, KIND, draws=draws, seed=seed, b=b, mixing_graph=organisations, sample=sample)
    modularity = metrics.modularity_test(G, draws, seed)
    constraint = metrics.constraint_summary(G, KIND, sample, seed)
    effective_size = metrics.effective_size_summary(G, KIND, sample, seed)
    values: dict[str, Value] = {
        "federation_index": index.index, "cohesion": index.cohesion, "robustness": index.robustness,
        "mixing": index.mixing, "relative_efficiency": index.efficiency,
        "actors": G.number_of_nodes(), "ties": G.number_of_edges(),
        "tie_records": sum(ties for _, _, ties in G.edges(data="ties")),
        "isolates": metrics.isolate_count(G), "components": nx.number_connected_components(G),
        "mean_degree": metrics.mean_degree(G), "density": metrics.density(G),
        "efficiency": metrics.efficiency(G, sample, seed),
        "average_clustering": metrics.average_clustering(G, sample, seed),
        "transitivity": metrics.transitivity(G, sample, seed),
        "degree_centralization": metrics.degree_centralization(G),
        "betweenness_centralization": metrics.betweenness_centralization(G, b),
        "leader_brokerage_share": metrics.brokerage_share(b, _leaders(G)),
        "ei_class": metrics.ei_index(organisations, KIND),
        "ei_class_expected": metrics.expected_ei_index(organisations, KIND),
        "assortativity_class": metrics.attribute_assortativity(organisations, KIND),
        "constraint_median": constraint["median"], "effective_size_median": effective_size["median"],
        "modularity": modularity.modularity, "communities": modularity.communities,
        "modularity_null_mean": modularity.null_mean, "modularity_z": modularity.z,
        "two_core_share": metrics.two_core_share(G), "max_core": metrics.max_core(G),
        "robustness_top2": metrics.hub_robustness(G, b, hubs=2),
    }
    brokers = [v for v in metrics.ranked_brokers(G, b) if b[v] > 0][:settings.top_brokers]
    details = {
        "actors_by_class": dict(sorted(Counter(kind for _, kind in G.nodes(data=KIND)).items())),
        "top_brokers": [{"id": v, "label": G.nodes[v].get(LABEL, v), "class": G.nodes[v].get(KIND),
                         "betweenness": b[v]} for v in brokers],
        "constraint_median_by_class": constraint["median_by_class"],
        "effective_size_median_by_class": effective_size["median_by_class"],
    }
    return values, details


def _method(settings: Settings, snapshot: Snapshot, *, draws: int, sample: int | None, n: int) -> dict[str, Any]:
    sampled = sample is not None and sample < n
    return {"seed": settings.seed, "null_draws": draws,
            "sampling": (f"sampled: betweenness, efficiency, clustering and structural holes from {sample} "
                         f"of {n} nodes, seed {settings.seed}") if sampled else "exact",
            "event_window_years": snapshot.event_window_years if snapshot.as_of else None,
            "max_event_size": snapshot.max_event_size}


def _sources(G: nx.MultiGraph, nodes: Iterable[Any]) -> int:
    found: set[str] = set()
    for v in nodes:
        found.update(G.nodes[v].get(SOURCES, ()))
    for _, _, sources in G.edges(nodes, data=SOURCES):
        found.update(sources or ())
    return len(found)


def metropole_report(national: nx.MultiGraph, ecosystem: Ecosystem, snapshot: Snapshot,
                     settings: Settings) -> Report:
    """Every measure of one metropole's local actors (exact), and how they tie to outside actors."""
    whole = metropole_network(national, ecosystem)
    local = local_subgraph(whole)
    values, details = _structure(local, settings, draws=settings.null_draws, sample=None)
    local_nodes = list(local)
    touching = list(national.edges(local_nodes, data=True))  # every tie of a local actor, once
    local_ties = [data for u, v, data in touching if u in local and v in local]
    values.update({
        "external_ties": len(touching) - len(local_ties),
        "ties_dated_by_attestation": sum(1 for data in local_ties if data["dated_by"] == "first attestation"),
        "sources": _sources(national, local_nodes),
        "ei_local": metrics.ei_index(whole, LOCAL), "ei_local_expected": metrics.expected_ei_index(whole, LOCAL),
    })
    details["ties_by_type"] = dict(sorted(Counter(data["type"] for data in local_ties).items()))
    return _finish(Report(ecosystem.id, ecosystem.label, national.graph.get("as_of"), _status(local, settings),
                          values, details, _method(settings, snapshot, draws=settings.null_draws, sample=None,
                                                   n=local.number_of_nodes())))


def national_report(national: nx.MultiGraph, snapshot: Snapshot, settings: Settings) -> Report:
    """Every measure of the whole actor graph; betweenness, efficiency, clustering and structural holes
    estimated from a sample of nodes."""
    G = collapse(national)
    draws, sample = settings.national_null_draws, settings.national_sample
    values, details = _structure(G, settings, draws=draws, sample=sample)
    values["sources"] = _sources(national, list(national))
    details["ties_by_type"] = dict(sorted(Counter(t for _, _, t in national.edges(data="type")).items()))
    return _finish(Report(NATIONAL, "France (all actors)", national.graph.get("as_of"), _status(G, settings),
                          values, details, _method(settings, snapshot, draws=draws, sample=sample,
                                                   n=G.number_of_nodes())))


def _finish(report: Report) -> Report:
    """Graphs too thin to judge keep their measures but get no index."""
    if report.status != OK:
        report.values["federation_index"] = None
    return report


def reports(data: ActorData, snapshot: Snapshot, settings: Settings, scope: str | None = None,
            progress: Progress | None = None) -> list[Report]:
    """The reports of every metropole, ranked (see :func:`ranked`), then the national one; only the
    report of ``scope`` (an ecosystem id or ``national``) when given."""
    national = actor_graph(data, snapshot)
    if scope == NATIONAL:
        return [national_report(national, snapshot, settings)]
    ecosystems = [data.ecosystems[scope]] if scope else list(data.ecosystems.values())
    items = progress.iterate(ecosystems, "metropoles", len(ecosystems)) if progress else ecosystems
    found = ranked([metropole_report(national, ecosystem, snapshot, settings) for ecosystem in items])
    return found if scope else [*found, national_report(national, snapshot, settings)]


def ranked(found: Iterable[Report]) -> list[Report]:
    """Scored metropoles by decreasing Federation Index, then the unscored by decreasing size."""
    def key(report: Report) -> tuple[bool, float, float, str]:
        index, actors = report.values.get("federation_index"), report.values.get("actors")
        return (index is None, -(index or 0.0), -(actors or 0), report.scope)
    return sorted(found, key=key)


def timeline(data: ActorData, snapshot: Snapshot, settings: Settings, scope: str | None = None) -> list[TimelinePoint]:
    """The Federation Index of every metropole (or of ``scope``) on each date of a label wave (a
    labelling decision; decisions of the same date share a point); ``snapshot`` gives the event window
    and size cap (its date is replaced by each wave's)."""
    points = []
    ecosystems = [data.ecosystems[scope]] if scope else list(data.ecosystems.values())
    dates: dict[dt.date, list[str]] = {}
    for date, decision in data.waves:
        dates.setdefault(last_day(date), []).append(decision)
    known: dict[tuple[Any, ...], metrics.FederationIndex] = {}  # a metropole's graph often stays as it was
    for day, decisions in sorted(dates.items()):
        wave_snapshot = Snapshot(day, snapshot.event_window_years, snapshot.max_event_size)
        national = actor_graph(data, wave_snapshot)
        for ecosystem in ecosystems:
            local = local_subgraph(metropole_network(national, ecosystem))
            status = _status(local, settings)
            key = _index_input(local)
            if key not in known:
                known[key] = metrics.federation_index(local, KIND, draws=settings.null_draws, seed=settings.seed,
                                                      mixing_graph=organisation_layer(local))
            index = known[key]
            values: dict[str, Value] = {
                "actors": local.number_of_nodes(), "ties": local.number_of_edges(),
                "federation_index": index.index if status == OK else None, "cohesion": index.cohesion,
                "robustness": index.robustness, "mixing": index.mixing, "relative_efficiency": index.efficiency}
            method = _method(settings, wave_snapshot, draws=settings.null_draws, sample=None,
                             n=local.number_of_nodes())
            points.append(TimelinePoint(ecosystem.id, ecosystem.label, tuple(decisions), day.isoformat(), status,
                                        values, method))
    return points


def _index_input(G: nx.Graph) -> tuple[Any, ...]:
    """All that the Federation Index reads of a graph: its actors with their class and kind of agent, and
    its ties (unweighted): equal graphs get the same index."""
    return (tuple(sorted((v, data.get(KIND), data.get(AGENT)) for v, data in G.nodes(data=True))),
            tuple(sorted(tuple(sorted(tie)) for tie in G.edges)))


# Files ----------------------------------------------------------------------------------------------


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    return round(value, 6) if isinstance(value, float) else value


def to_csv(rows: Iterable[dict[str, Any]]) -> str:
    """CSV text of flat rows (undefined values are empty cells, numbers rounded to 6 decimals)."""
    rows = list(rows)
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows({key: _cell(value) for key, value in row.items()} for row in rows)
    return out.getvalue()


def to_json(items: Iterable[Report | TimelinePoint]) -> str:
    """JSON text of reports or timeline points (undefined values are ``null``)."""
    payload = [asdict(item) for item in items]
    return json.dumps(payload, ensure_ascii=False, indent=1, allow_nan=False) + "\n"


def metrics_stage(built: BuiltGraph, out_dir: Path, progress: Progress) -> list[Path]:
    """Pipeline stage: :func:`write_metrics` for the built graph (its projection input, read once per build)."""
    return write_metrics(built.actor_data, out_dir, built.base_iri, progress=progress)


def write_metrics(data: ActorData, out_dir: Path, base_iri: str, settings: Settings = Settings(),
                  snapshot: Snapshot | None = None, progress: Progress | None = None) -> list[Path]:
    """Write ``out_dir/metrics/``: the ranking with every measure (``metropoles.csv``,
    ``metropoles.json``, national row last), the Federation Index at each label wave
    (``timeline.csv``) and all of them as W3C Data Cube observations (``observations.ttl``, and
    ``graph.nt`` for ``ftgraph query --out out/metrics`` and ``ftgraph push --out out/metrics``).
    Default ``snapshot``: every tie."""
    snapshot = snapshot or Snapshot()
    found = reports(data, snapshot, settings, progress=progress)
    points = timeline(data, snapshot, settings)
    folder = out_dir / METRICS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    ntriples = observations.observations_ntriples([*found, *points], MEASURES, base_iri)
    files = {
        "metropoles.csv": to_csv(report.row() for report in found),
        "metropoles.json": to_json(found),
        "timeline.csv": to_csv(point.row() for point in points),
        "observations.ttl": to_turtle(ntriples),
        GRAPH_NT: ntriples,  # so that `ftgraph query/push --out out/metrics` work on it
    }
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8", newline="\n")
    return [folder / name for name in files]


def parse_as_of(text: str | None) -> dt.date | None:
    """``YYYY-MM-DD`` (or ``YYYY``/``YYYY-MM``: its last day), ``today``, or ``None``."""
    if text is None:
        return None
    return dt.date.today() if text == "today" else last_day(text)
