"""Static figures for papers: PNG (300 dpi) and SVG, drawn with matplotlib's Agg renderer.

``ftgraph figures [--out DIR]`` writes, each as ``NAME.png`` and ``NAME.svg``:

- ``federation-index``: the Federation Index per metropole, ranked, with its four components
  (:mod:`ftgraph.federation`);
- ``label-timeline``: which ecosystem received which territorial label when, 2014–2023 (SPARQL on
  ``ft:LabelAward``: ``ft:label``, ``ft:awardee``, ``dcterms:date``);
- ``index-over-time``: the Federation Index of each metropole on the date of each label wave;
- ``network-<ecosystem-id>``: a small drawing of each labelled metropole's local actors.

Sizes fit a two-column paper (one column: 3.5 in; full width: 7.16 in) with 7–8 pt DejaVu Sans,
whose glyphs cover French accents; SVG text is drawn as paths, so it looks the same without the
font. Output is byte-identical from run to run: seeded layouts, a fixed ``svg.hashsalt``, and no
date or software version in the files' metadata.
"""

from __future__ import annotations

import csv
import datetime as dt
import multiprocessing
import os
import re
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import matplotlib
import matplotlib.dates as mdates
import networkx as nx
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.typing import RcKeyType

from ftgraph import projection as pj
from ftgraph.build import BuiltGraph, Paths, build_graph
from ftgraph.clikit import base_option, data_option, stdout, user_errors
from ftgraph.engine import Engine
from ftgraph.federation import METRICS_DIR, NATIONAL, Report, Settings, TimelinePoint, reports, timeline
from ftgraph.progress import Progress
from ftgraph.viz import (
    DEFAULT_SEED,
    Award,
    class_style,
    label_awards,
    labelled_metropoles,
    layout,
)

FIGURES_DIR = "figures"
#: Tables of the metrics stage (``out/metrics/``) that the run's figures are drawn from.
RANKING_TABLE, TIMELINE_TABLE = "metropoles.csv", "timeline.csv"
SINGLE_COLUMN = 3.5  #: inches
FULL_WIDTH = 7.16  #: inches
DPI = 300
FIRST_YEAR, LAST_YEAR = 2014, 2023

#: matplotlib settings of every figure.
STYLE: dict[RcKeyType, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 7.5,
    "axes.titlesize": 8,
    "axes.labelsize": 7.5,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.linewidth": 0.6,
    "lines.linewidth": 1.0,
    "svg.fonttype": "path",
    "svg.hashsalt": "ftgraph",
    "savefig.dpi": DPI,
    "figure.dpi": 100,
}
#: Component markers of the ranking figure: key in the reports, legend, marker, colour.
COMPONENTS = (
    ("cohesion", "S cohesion", "o", "#1b9e77"),
    ("robustness", "R robustness", "s", "#d95f02"),
    ("mixing", "X cross-class mixing", "^", "#7570b3"),
    ("relative_efficiency", "Ê relative efficiency", "D", "#e7298a"),
)
#: Marker and colour of each territorial label in the timeline.
LABEL_MARKERS = {
    "label-metropole-french-tech": ("o", "#d62728"),
    "label-thematic-pilot": ("^", "#ff7f0e"),
    "label-capitale-french-tech": ("s", "#1f77b4"),
    "label-communaute-french-tech": ("D", "#2ca02c"),
}


@contextmanager
def _style() -> Iterator[None]:
    with matplotlib.rc_context(STYLE):
        yield


def save(figure: Figure, directory: Path, name: str) -> list[Path]:
    """``directory/name.png`` and ``.svg``, without dates or software versions in their metadata."""
    directory.mkdir(parents=True, exist_ok=True)
    png, svg = directory / f"{name}.png", directory / f"{name}.svg"
    figure.savefig(png, format="png", metadata={"Software": None})
    # The SVG keeps the layout the PNG computed: without a layout engine, matplotlib draws it once (with
    # one, each save lays out and draws twice: a dry run, then the real drawing).
    figure.set_layout_engine(None)
    figure.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    return [png, svg]


_FRENCH_TECH = re.compile(r"^(La )?French Tech |\s*French Tech$")


def short_name(label: str) -> str:
    """``French Tech Grenoble``, ``La French Tech Grenoble`` or ``Grenoble French Tech`` → ``Grenoble``
    (the figures' row and panel names)."""
    return _FRENCH_TECH.sub("", label).strip() or label


# Figures --------------------------------------------------------------------------------------------


def ranked_scores(scores: Sequence[Score]) -> tuple[list[Score], int]:
    """The scored metropoles by decreasing index (ties: by id), and how many were not scored."""
    metropoles = [score for score in scores if score.scope != NATIONAL]
    scored = sorted((r for r in metropoles if r.values.get("federation_index") is not None),
                    key=lambda r: (-(r.values["federation_index"] or 0.0), r.scope))
    return scored, len(metropoles) - len(scored)


def federation_ranking(scores: Sequence[Score], directory: Path) -> list[Path]:
    """Ranked horizontal bars of the Federation Index, one marker per component on each bar."""
    scored, unscored = ranked_scores(scores)
    with _style():
        figure = Figure(figsize=(FULL_WIDTH, 1.2 + 0.17 * max(len(scored), 1)), layout="constrained")
        axes = figure.add_subplot()
        rows = range(len(scored))
        axes.barh(rows, [r.values["federation_index"] or 0.0 for r in scored], color="#cfcfcf",
                  edgecolor="#808080", linewidth=0.4, height=0.7, label="Federation Index")
        for key, legend, marker, colour in COMPONENTS:
            points = [(x, y) for y, r in zip(rows, scored, strict=True) if (x := r.values.get(key)) is not None]
            axes.scatter([x for x, _ in points], [y for _, y in points], marker=marker, s=12, color=colour,
                         label=legend, zorder=3, linewidths=0)
        axes.set_yticks(list(rows), [f"{short_name(r.label)} ({r.values.get('actors') or 0:.0f})" for r in scored])
        axes.invert_yaxis()
        axes.set_xlim(0, 1.02)
        axes.set_xlabel("Federation Index FI = (S·R·X·Ê)^¼ and its components")
        figure.legend(loc="outside upper center", ncol=5, frameon=False, handletextpad=0.2, columnspacing=1.0)
        if unscored:
            figure.text(0.01, 0.005, f"Metropole (local actors). Not scored for lack of data: {unscored}.",
                        fontsize=6, color="#555555")
        return save(figure, directory, "federation-index")


def timeline_rows(awards: Sequence[Award]) -> tuple[list[Award], list[str]]:
    """The territorial label awards of 2014–2023, and the ecosystems that got one, by first award."""
    shown = [a for a in awards if a.label in LABEL_MARKERS and FIRST_YEAR <= a.day.year <= LAST_YEAR]
    first: dict[str, dt.date] = {}
    for award in shown:
        first[award.ecosystem] = min(first.get(award.ecosystem, award.day), award.day)
    return shown, sorted(first, key=lambda e: (first[e], e))


def label_timeline(awards: Sequence[Award], directory: Path) -> list[Path]:
    """One row per labelled ecosystem, one marker per territorial label award, 2014–2023."""
    shown, order = timeline_rows(awards)
    row = {ecosystem: y for y, ecosystem in enumerate(order)}
    names = {a.ecosystem: a.ecosystem_name for a in shown}
    with _style():
        figure = Figure(figsize=(FULL_WIDTH, 1.0 + 0.12 * max(len(order), 1)), layout="constrained")
        axes = figure.add_subplot()
        for label, (marker, colour) in LABEL_MARKERS.items():
            mine = [a for a in shown if a.label == label]
            if mine:
                axes.scatter([mdates.date2num(a.day) for a in mine], [row[a.ecosystem] for a in mine],
                             marker=marker, s=14, color=colour, label=mine[0].label_name, zorder=3, linewidths=0)
        axes.set_yticks(range(len(order)), [short_name(names[e]) for e in order], fontsize=6)
        axes.invert_yaxis()
        years = [dt.date(year, 1, 1) for year in range(FIRST_YEAR, LAST_YEAR + 2)]
        axes.set_xticks([mdates.date2num(d) for d in years[:-1]], [str(d.year) for d in years[:-1]])
        axes.set_xlim(mdates.date2num(years[0]), mdates.date2num(years[-1]))
        axes.grid(axis="x", linewidth=0.3, color="#dddddd")
        figure.legend(loc="outside upper center", ncol=len(LABEL_MARKERS), frameon=False, handletextpad=0.2)
        return save(figure, directory, "label-timeline")


def index_over_time(scores: Sequence[Score], directory: Path, columns: int = 5) -> list[Path]:
    """Small multiples: the Federation Index of each metropole scored at least once, at each wave date."""
    series: dict[str, dict[dt.date, float | None]] = {}
    labels: dict[str, str] = {}
    for score in scores:
        series.setdefault(score.scope, {})[dt.date.fromisoformat(score.as_of)] = score.values.get("federation_index")
        labels[score.scope] = score.label
    scopes = sorted((s for s, values in series.items() if any(v is not None for v in values.values())),
                    key=lambda s: (short_name(labels[s]), s))
    rows = max(1, -(-len(scopes) // columns))
    with _style():
        figure = Figure(figsize=(FULL_WIDTH, 0.3 + 1.05 * rows), layout="constrained")
        grid = figure.subplots(rows, columns, sharey=True, squeeze=False)
        start, end = dt.date(FIRST_YEAR, 1, 1), dt.date(LAST_YEAR, 12, 31)
        for axes, scope in zip(grid.flat, scopes, strict=False):
            days = sorted(series[scope])
            values = [series[scope][d] for d in days]
            x = [mdates.date2num(d) for d in days]
            axes.plot(x, [v if v is not None else float("nan") for v in values], color="#1f77b4", marker="o",
                      markersize=2.5)
            axes.set_title(short_name(labels[scope]), fontsize=7, pad=2)
            axes.set_ylim(0, 1.05)
            axes.set_xlim(mdates.date2num(start), mdates.date2num(end))
            axes.set_xticks([mdates.date2num(dt.date(y, 1, 1)) for y in (2015, 2019, 2023)],
                            ["2015", "2019", "2023"])
            axes.grid(linewidth=0.3, color="#dddddd")
        for axes in list(grid.flat)[len(scopes):]:
            axes.set_visible(False)
        figure.supylabel("Federation Index", fontsize=7.5)
        return save(figure, directory, "index-over-time")


def network_drawing(G: nx.Graph, title: str, directory: Path, name: str, seed: int = DEFAULT_SEED,
                    labelled: int = 3) -> list[Path]:
    """One metropole's local actors: colour by class, size by degree, the ``labelled`` actors with
    most ties named."""
    positions = layout(G, seed)
    nodes = sorted(G, key=str)
    kinds = sorted({G.nodes[v].get(pj.KIND, "") for v in nodes}, key=lambda k: class_style(k).label)
    named = sorted(nodes, key=lambda v: (-G.degree(v), str(v)))[:labelled]
    with _style():
        figure = Figure(figsize=(SINGLE_COLUMN, SINGLE_COLUMN * 0.95), layout="constrained")
        axes = figure.add_subplot()
        axes.set_axis_off()
        axes.set_title(title, fontsize=8)
        nx.draw_networkx_edges(G, positions, ax=axes, edgelist=sorted(G.edges, key=str), width=0.4,
                               edge_color="#9a9a9a")
        nx.draw_networkx_nodes(G, positions, ax=axes, nodelist=nodes, linewidths=0.3, edgecolors="#333333",
                               node_color=[class_style(G.nodes[v].get(pj.KIND, "")).color for v in nodes],
                               node_size=[12 + 6 * G.degree(v) for v in nodes])
        nx.draw_networkx_labels(G, positions, ax=axes, labels={v: G.nodes[v].get(pj.LABEL, v) for v in named},
                                font_size=6, font_family="DejaVu Sans")
        handles = [Line2D([], [], marker="o", linestyle="", markersize=4, markeredgewidth=0.3,
                          markeredgecolor="#333333", color=class_style(k).color, label=class_style(k).label)
                   for k in kinds]
        figure.legend(handles=handles, loc="outside lower center", ncol=3, frameon=False, fontsize=6,
                      handletextpad=0.2, columnspacing=0.8)
        return save(figure, directory, name)


# Inputs ---------------------------------------------------------------------------------------------

#: The values of a report or timeline point that the figures draw.
SCORE_VALUES = ("federation_index", "cohesion", "robustness", "mixing", "relative_efficiency", "actors")


@dataclass(frozen=True)
class Score:
    """A metropole's (or the national graph's) Federation Index, components and size on a date
    (``as_of``; empty: every tie whatever its dates); ``None`` where undefined."""

    scope: str
    label: str
    as_of: str
    values: dict[str, float | None]


def scores_of(items: Iterable[Report | TimelinePoint]) -> list[Score]:
    """The figures' values of metrics reports or timeline points (:mod:`ftgraph.federation`)."""
    return [Score(item.scope, item.label, item.as_of or "",
                  {key: None if (value := item.values.get(key)) is None else float(value) for key in SCORE_VALUES})
            for item in items]


def read_scores(table: Path) -> list[Score]:
    """The figures' values from a metrics CSV table (``out/metrics/metropoles.csv`` or ``timeline.csv``),
    read by column name; empty cells are undefined values."""
    with table.open(encoding="utf-8", newline="") as handle:
        return [Score(row["scope"], row["label"], row["as_of"],
                      {key: float(row[key]) if row[key] else None for key in SCORE_VALUES})
                for row in csv.DictReader(handle)]


def compute_scores(data: pj.ActorData, progress: Progress | None = None) -> tuple[list[Score], list[Score]]:
    """The ranking (every tie) and the timeline, computed as the metrics stage computes them."""
    settings, snapshot = Settings(), pj.Snapshot()
    found = reports(data, snapshot, settings, progress=progress)
    return scores_of(found), scores_of(timeline(data, snapshot, settings))


def run_scores(metrics_dir: Path) -> tuple[list[Score], list[Score]] | None:
    """The ranking and the timeline written by the metrics stage in ``metrics_dir``, if it ran."""
    ranking, waves = metrics_dir / RANKING_TABLE, metrics_dir / TIMELINE_TABLE
    return (read_scores(ranking), read_scores(waves)) if ranking.is_file() and waves.is_file() else None


#: A figure to draw: its function (which writes the files and returns their paths) and its arguments.
FigureJob = tuple[Callable[..., list[Path]], tuple[Any, ...]]


def _draw(job: FigureJob) -> list[Path]:
    function, arguments = job
    return function(*arguments)


def draw_all(jobs: Sequence[FigureJob], progress: Progress | None = None) -> list[Path]:
    """Draw ``jobs`` in parallel on the cores this process may use (forked workers; one after the other
    where it cannot fork), the paths in the order of ``jobs``. Each figure has its own Figure, style and
    seed: the files are byte-identical to those of drawing the figures one after the other."""
    workers = min(len(jobs), len(os.sched_getaffinity(0)))
    forkable = "fork" in multiprocessing.get_all_start_methods() and not multiprocessing.current_process().daemon
    if workers < 2 or not forkable:  # a daemon process (a pool's worker) may not have children
        return _paths(map(_draw, jobs), len(jobs), progress)
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        return _paths(pool.map(_draw, jobs), len(jobs), progress)


def _paths(drawn: Iterable[list[Path]], total: int, progress: Progress | None) -> list[Path]:
    return [path for paths in (progress.iterate(drawn, "figures", total) if progress else drawn) for path in paths]


def write_figures(engine: Engine, data: pj.ActorData, directory: Path, *, ranking: Sequence[Score],
                  over_time: Sequence[Score], seed: int = DEFAULT_SEED, progress: Progress | None = None) -> list[Path]:
    """Every figure into ``directory``: ranking, label timeline, index over time, one network per
    labelled metropole with at least two local actors."""
    jobs: list[FigureJob] = [(index_over_time, (over_time, directory)),  # the longest first: it ends no later
                             (federation_ranking, (ranking, directory)),
                             (label_timeline, (label_awards(engine), directory))]
    national = pj.actor_graph(data)
    for ecosystem_id in labelled_metropoles(engine):
        ecosystem = data.ecosystems[ecosystem_id]
        local = pj.local_subgraph(pj.metropole_network(national, ecosystem))
        if local.number_of_nodes() >= 2:
            title = f"{ecosystem.label} ({local.number_of_nodes()} actors, {local.number_of_edges()} tied pairs)"
            jobs.append((network_drawing, (local, title, directory, f"network-{ecosystem_id}", seed)))
    directory.mkdir(parents=True, exist_ok=True)
    return draw_all(jobs, progress)


def figures_stage(built: BuiltGraph, out_dir: Path, progress: Progress) -> list[Path]:
    """Pipeline stage: the figures into ``out_dir/figures`` (only those of this run), from the metrics
    stage's tables when present."""
    data = built.actor_data
    ranking, over_time = run_scores(out_dir / METRICS_DIR) or compute_scores(data, progress)
    directory = out_dir / FIGURES_DIR
    shutil.rmtree(directory, ignore_errors=True)
    return write_figures(built.engine, data, directory, ranking=ranking, over_time=over_time,
                         progress=progress)


@click.command("figures")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder of the figures (default: out/figures).")
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True, help="Seed of the network layouts.")
@data_option
@base_option
@click.pass_obj
@user_errors
def figures_command(progress: Progress, out_dir: Path | None, seed: int, data_dir: Path | None,
                    base_iri: str) -> None:
    """Figures for papers (PNG and SVG): Federation Index ranking, label timeline, index over time,
    one network per labelled metropole."""
    paths = Paths.default(data=data_dir)
    with progress.step("load, map and validate the curated data"):
        built = build_graph(paths, base_iri)
    with progress.step("federation metrics"):
        ranking, over_time = compute_scores(built.actor_data, progress)
    with progress.step("draw the figures"):
        written = write_figures(built.engine, built.actor_data, out_dir or paths.out / FIGURES_DIR,
                                ranking=ranking, over_time=over_time, seed=seed, progress=progress)
    for path in written:
        stdout.print(str(path))

