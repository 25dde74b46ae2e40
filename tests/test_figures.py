"""Figures for papers: every file is written as PNG and SVG at paper sizes, accents render, nothing
dates the files, and two runs give the same bytes. The run's figures read the metrics stage's tables."""

from __future__ import annotations

import multiprocessing
import warnings
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner
from matplotlib import font_manager, ft2font
from PIL import Image

from ftgraph import figures, viz
from ftgraph import projection as pj
from ftgraph.build import build_graph
from ftgraph.cli import cli
from ftgraph.federation import METRICS_DIR, write_metrics

from .test_build import minimal_paths
from .test_viz import HOSTILE_RECORDS, HOSTILE_SOURCES


def score(scope: str, label: str, index: float | None, as_of: str = "", actors: float = 20.0) -> figures.Score:
    parts = None if index is None else index
    return figures.Score(scope, label, as_of, {"federation_index": index, "cohesion": parts, "robustness": parts,
                                               "mixing": parts, "relative_efficiency": 1.0, "actors": actors})


RANKING = [score("french-tech-saint-etienne", "French Tech Saint-Étienne", 0.82),
           score("french-tech-grenoble", "French Tech Grenoble", 0.9, actors=40),
           score("french-tech-cote-d-azur", "French Tech Côte d'Azur", 0.95),
           score("french-tech-troyes", "French Tech Troyes", None, actors=8),
           score("national", "France (all actors)", 0.84, actors=996)]
OVER_TIME = [score(s, label, value, day) for s, label in (("french-tech-grenoble", "French Tech Grenoble"),
                                                          ("french-tech-reunion", "French Tech La Réunion"))
             for day, value in (("2014-11-12", 0.8), ("2015-06-24", None), ("2019-04-03", 0.85), ("2023-02-02", 0.9))]
AWARDS = [viz.Award("french-tech-grenoble", "French Tech Grenoble", "label-metropole-french-tech",
                    "French Tech Metropolis", "2014-11-12"),
          viz.Award("french-tech-saint-etienne", "French Tech Saint-Étienne", "label-thematic-pilot",
                    "French Tech thematic label (pilot)", "2015-06-24"),
          viz.Award("french-tech-grenoble", "French Tech Grenoble", "label-capitale-french-tech",
                    "French Tech Capital", "2019-04-03"),
          viz.Award("french-tech-perigord", "French Tech Périgord", "label-communaute-french-tech",
                    "French Tech Community", "2023-02"),
          viz.Award("french-tech-new-york", "French Tech New York", "label-french-tech-hub", "French Tech Hub",
                    "2016-01-29")]


def small_network() -> nx.Graph:
    G = nx.Graph()
    kinds = {"eco": "Ecosystem", "assoc": "FrenchTechAssociation", "s1": "Startup", "s2": "Startup",
             "inc": "Incubator", "p1": "Person", "p2": "Person"}
    for v, kind in kinds.items():
        G.add_node(v, **{pj.KIND: kind, pj.LABEL: {"assoc": "Numérique Écosystème", "p1": "Hélène Dupré"}.get(v, v)})
    G.add_edges_from([("eco", "assoc"), ("assoc", "s1"), ("assoc", "s2"), ("s1", "inc"), ("s1", "p1"),
                      ("assoc", "p1"), ("p2", "s2"), ("assoc", "inc")])
    return G


def draw_all(directory: Path) -> list[Path]:
    return [*figures.federation_ranking(RANKING, directory), *figures.label_timeline(AWARDS, directory),
            *figures.index_over_time(OVER_TIME, directory),
            *figures.network_drawing(small_network(), "French Tech Saint-Étienne (7 actors)", directory,
                                     "network-french-tech-saint-etienne")]


#: Expected (width, height) range in inches and byte-size range of each figure's PNG.
EXPECTED = {
    "federation-index": ((figures.FULL_WIDTH, figures.FULL_WIDTH), (1.5, 2.5), (20_000, 600_000)),
    "label-timeline": ((figures.FULL_WIDTH, figures.FULL_WIDTH), (1.2, 2.0), (20_000, 600_000)),
    "index-over-time": ((figures.FULL_WIDTH, figures.FULL_WIDTH), (1.2, 1.5), (20_000, 600_000)),
    "network-french-tech-saint-etienne": ((figures.SINGLE_COLUMN, figures.SINGLE_COLUMN), (3.0, 3.5),
                                          (30_000, 600_000)),
}


def test_every_figure_as_png_and_svg_at_paper_size(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph (e.g. an accent) warns: fail on it
        written = draw_all(tmp_path)
    expected = sorted(f"{name}.{ext}" for name in EXPECTED for ext in ("png", "svg"))
    assert sorted(path.name for path in written) == expected
    for name, (width, height, size) in EXPECTED.items():
        png = tmp_path / f"{name}.png"
        with Image.open(png) as image:
            inches = (image.width / figures.DPI, image.height / figures.DPI)
            assert width[0] <= inches[0] <= width[1] + 0.01 and height[0] <= inches[1] <= height[1], (name, inches)
            assert image.info.get("dpi", (0, 0))[0] == pytest.approx(figures.DPI, abs=1)
            assert not {"Software", "Creation Time", "date:create"} & set(image.text)  # type: ignore[attr-defined]
        assert size[0] <= png.stat().st_size <= size[1], (name, png.stat().st_size)
        svg = (tmp_path / f"{name}.svg").read_text(encoding="utf-8")
        assert 10_000 <= len(svg) <= 3_000_000
        assert "<dc:date>" not in svg and "Matplotlib v" not in svg


def glyph(char: str) -> str:
    """The id of ``char``'s glyph in matplotlib's SVG output: the font's name and its glyph index."""
    font = ft2font.FT2Font(font_manager.findfont("DejaVu Sans", fallback_to_default=False))
    return f'id="DejaVuSans-{font.get_char_index(ord(char)):x}"'


def test_accents_are_drawn_with_dejavu_glyphs(tmp_path: Path) -> None:
    """SVG text is drawn as DejaVu Sans glyph paths: each accented letter has its own glyph."""
    draw_all(tmp_path)
    ranking = (tmp_path / "federation-index.svg").read_text(encoding="utf-8")
    assert glyph("É") in ranking and glyph("ô") in ranking  # Saint-Étienne, Côte d'Azur
    assert glyph("é") in (tmp_path / "index-over-time.svg").read_text(encoding="utf-8")  # La Réunion
    assert glyph("é") in (tmp_path / "label-timeline.svg").read_text(encoding="utf-8")  # Périgord
    network = (tmp_path / "network-french-tech-saint-etienne.svg").read_text(encoding="utf-8")
    assert glyph("É") in network and glyph("è") in network  # Étienne, Hélène


def test_two_runs_give_identical_files(tmp_path: Path) -> None:
    first, second = draw_all(tmp_path / "a"), draw_all(tmp_path / "b")
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_figures_drawn_in_parallel_are_those_drawn_in_order(tmp_path: Path) -> None:
    def jobs(directory: Path) -> list[figures.FigureJob]:
        return [(figures.federation_ranking, (RANKING, directory)), (figures.label_timeline, (AWARDS, directory)),
                (figures.network_drawing, (small_network(), "Saint-Étienne", directory, "network-a")),
                (figures.network_drawing, (small_network(), "Saint-Étienne", directory, "network-b", 7))]

    for directory in (tmp_path / "in-order", tmp_path / "parallel"):
        directory.mkdir()
    in_order = [path for job in jobs(tmp_path / "in-order") for path in job[0](*job[1])]
    parallel = figures.draw_all(jobs(tmp_path / "parallel"))
    assert [path.name for path in parallel] == [path.name for path in in_order] and len(parallel) == 8
    for a, b in zip(in_order, parallel, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    parallel_dir = tmp_path / "parallel"
    assert (parallel_dir / "network-a.png").read_bytes() != (parallel_dir / "network-b.png").read_bytes()  # seeds


def _ranking_in(directory: Path) -> list[str]:
    return [path.name for path in figures.draw_all([(figures.federation_ranking, (RANKING, directory)),
                                                    (figures.label_timeline, (AWARDS, directory))])]


def test_figures_are_drawn_in_a_pool_worker_which_may_not_fork(tmp_path: Path) -> None:
    with multiprocessing.get_context("fork").Pool(1) as pool:  # its worker is a daemon: no children
        names = pool.apply(_ranking_in, (tmp_path,))
    assert names == ["federation-index.png", "federation-index.svg", "label-timeline.png", "label-timeline.svg"]


def test_what_the_figures_show() -> None:
    scored, unscored = figures.ranked_scores(RANKING)
    assert [s.scope for s in scored] == ["french-tech-cote-d-azur", "french-tech-grenoble", "french-tech-saint-etienne"]
    assert unscored == 1  # Troyes; the national row is not a metropole
    shown, rows = figures.timeline_rows(AWARDS)
    assert rows == ["french-tech-grenoble", "french-tech-saint-etienne", "french-tech-perigord"]
    assert len(shown) == 4  # the hub abroad is not a territorial label
    assert figures.short_name("La French Tech Rennes Saint-Malo") == "Rennes Saint-Malo"
    assert figures.short_name("Angers French Tech") == "Angers"
    assert figures.short_name("LORnTECH") == "LORnTECH"


def test_run_figures_read_the_metrics_stage_tables(tmp_path: Path) -> None:
    """The run draws from out/metrics/ (no second computation): its tables give the same values."""
    built = build_graph(minimal_paths(tmp_path, HOSTILE_RECORDS, HOSTILE_SOURCES))
    engine = built.engine
    context = viz.Context.read(engine)
    write_metrics(context.data, tmp_path / "out", built.base_iri)
    from_tables = figures.run_scores(tmp_path / "out" / METRICS_DIR)
    assert from_tables is not None
    computed = figures.compute_scores(context.data)
    for read, made in zip(from_tables, computed, strict=True):
        assert [(s.scope, s.label, s.as_of) for s in read] == [(s.scope, s.label, s.as_of) for s in made]
        for a, b in zip(read, made, strict=True):
            assert a.values == pytest.approx(b.values)
    assert figures.run_scores(tmp_path / "nowhere") is None


def test_figures_command(tmp_path: Path) -> None:
    paths = minimal_paths(tmp_path, HOSTILE_RECORDS, HOSTILE_SOURCES)
    out = tmp_path / "figs"
    result = CliRunner().invoke(cli, ["-q", "figures", "--data", str(paths.data), "--out", str(out)])
    assert result.exit_code == 0, result.output
    names = sorted(path.name for path in out.iterdir())
    assert names == sorted(f"{name}.{ext}" for name in ("federation-index", "label-timeline", "index-over-time",
                                                        "network-french-tech-testville") for ext in ("png", "svg"))
