"""Interactive network pages in a real headless Chromium: they open from file://, draw every actor of
their data, log no error, request nothing from the network, show hostile names as text, and stay
usable on large graphs. Also: the layout, the page data, the index of out/ and the command."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

import networkx as nx
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from ftgraph import pipeline, viz
from ftgraph import projection as pj
from ftgraph.build import BuiltGraph, build_graph
from ftgraph.cli import cli
from ftgraph.engine import STORE_DIR
from ftgraph.figures import figures_stage
from ftgraph.progress import Progress

from .conftest import require_program
from .test_build import minimal_paths

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
DATA_BLOCK = re.compile(r'<script type="application/json" id="ftgraph-data">(.*?)</script>', re.DOTALL)

# Hostile names: each would run code (set window.__pwned) if it reached the page as HTML.
ECOSYSTEM_NAME = '<img src=x onerror="window.__pwned=1">'
STARTUP_NAME = "Acmé <script>window.__pwned=2</script>"
CLUB_NAME = '<a href="javascript:window.__pwned=3">Club</a>'
PERSON_NAME = 'Jane "><svg onload=window.__pwned=4>'
EVENT_NAME = '<iframe src="javascript:window.__pwned=5">'
SOURCE_TITLE = '<a href="javascript:window.__pwned=6">clic</a> & <b>gras</b>'
HOSTILE_SOURCES = f"""\
sources:
  - id: src-xss
    url: https://www.example-press.fr/article?a=1&b=2
    title: '{SOURCE_TITLE}'
    publisher: Presse <i>Exemple</i>
    date: 2014-09-12
    type: article
"""
HOSTILE_RECORDS = f"""\
places:
  - {{id: testville, name: Testville, type: commune, sources: [src-xss]}}
organisations:
  - {{id: french-tech-testville, name: '{ECOSYSTEM_NAME}', type: ecosystem, territory: testville, sources: [src-xss]}}
  - {{id: acme, name: "{STARTUP_NAME}", type: startup, city: testville, founded: 2012, sources: [src-xss]}}
  - {{id: href-club, name: '{CLUB_NAME}', type: association, city: testville, sources: [src-xss]}}
  - {{id: beta, name: Bêta Incubateur, type: incubator, city: testville, sources: [src-xss]}}
people:
  - {{id: jane-doe, name: '{PERSON_NAME}', sources: [src-xss]}}
roles:
  - {{id: acme-member, member: acme, organisation: french-tech-testville, role: role-member, start: 2014,
     sources: [src-xss]}}
  - {{id: club-member, member: href-club, organisation: french-tech-testville, role: role-member, sources: [src-xss]}}
  - {{id: jane-founder, member: jane-doe, organisation: acme, role: role-founder, start: 2012, sources: [src-xss]}}
  - {{id: acme-hosted, member: acme, organisation: beta, role: role-incubatee, sources: [src-xss]}}
concepts:
  - {{id: label-metropole-french-tech, scheme: labels, label_fr: Métropole French Tech,
     label_en: French Tech Metropolis, sources: [src-xss]}}
awards:
  - {{id: award-testville, label: label-metropole-french-tech, awardee: french-tech-testville, date: 2014-11-12,
     sources: [src-xss]}}
events:
  - id: meetup
    name: '{EVENT_NAME}'
    type: conference
    date: 2015-03-10
    place: testville
    participants: [{{agent: jane-doe, role: event-role-speaker}}, {{agent: beta, role: event-role-attendee}},
                   {{agent: href-club, role: event-role-attendee}}]
    sources: [src-xss]
"""
HOSTILE_NAMES = {"french-tech-testville": ECOSYSTEM_NAME, "acme": STARTUP_NAME, "href-club": CLUB_NAME,
                 "jane-doe": PERSON_NAME}


# -- browser ------------------------------------------------------------------------------------------


@dataclass
class Visit:
    """A page opened in the browser, with everything it asked for and said."""

    page: object
    requests: list[str] = field(default_factory=list)
    loaded: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    seconds: float = 0.0


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    require_program("chromium", "chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@contextmanager
def visit(browser: object, path: Path) -> Iterator[Visit]:
    """Open ``path`` from file:// and wait until vis-network has drawn it."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})  # type: ignore[attr-defined]
    seen = Visit(page)
    page.on("request", lambda request: seen.requests.append(request.url))
    page.on("requestfinished", lambda request: seen.loaded.append(request.url))
    page.on("console", lambda message: seen.errors.append(message.text) if message.type in ("error", "warning")
            else None)
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    page.on("dialog", lambda dialog: (seen.dialogs.append(dialog.message), dialog.dismiss()))
    started = time.perf_counter()
    page.goto(path.resolve().as_uri())
    page.wait_for_selector("body[data-drawn=true]", timeout=60_000)
    seen.seconds = time.perf_counter() - started
    try:
        yield seen
    finally:
        page.close()


def page_document(path: Path) -> dict:
    """The JSON data block of a page, as the page itself reads it."""
    match = DATA_BLOCK.search(path.read_text(encoding="utf-8"))
    assert match, f"{path}: no data block"
    return json.loads(match.group(1))


def assert_offline_and_clean(seen: Visit) -> None:
    remote = [url for url in seen.requests if not url.startswith(("file://", "data:"))]
    assert remote == [], f"network requests: {remote}"
    assert seen.errors == [], f"console errors: {seen.errors}"
    assert seen.dialogs == []


def assert_not_blank(seen: Visit, screenshot: Path) -> None:
    """A screenshot of the drawing area where at least 0.3 % of the pixels are not background."""
    seen.page.locator("#network").screenshot(path=str(screenshot))  # type: ignore[attr-defined]
    pixels = np.asarray(Image.open(screenshot).convert("RGB")).reshape(-1, 3)
    drawn = int(np.any(pixels != pixels[0], axis=1).sum())
    assert drawn / len(pixels) > 0.003, f"{screenshot}: looks blank ({drawn} drawn pixels)"


def drawn_node_ids(seen: Visit) -> list[str]:
    return sorted(seen.page.evaluate("Object.keys(window.ftgraph.network.body.nodes)"))  # type: ignore[attr-defined]


# -- the real curated graph ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_pages(built: BuiltGraph, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("pages")
    context = viz.Context.read(built.engine)
    files = {directory / "national.html": None, directory / "grenoble.html": "french-tech-grenoble"}
    viz.write_pages(context, files)
    return {"national": directory / "national.html", "grenoble": directory / "grenoble.html", "context": context}


@pytest.mark.browser
@pytest.mark.parametrize("name", ["national", "grenoble"])
def test_real_page_opens_offline_and_draws_every_actor(browser: object, real_pages: dict, name: str,
                                                       tmp_path: Path) -> None:
    path = real_pages[name]
    document = page_document(path)
    with visit(browser, path) as seen:
        assert drawn_node_ids(seen) == sorted(node["id"] for node in document["nodes"])
        assert seen.page.evaluate("window.ftgraph.edges.length") == len(document["edges"])  # type: ignore[attr-defined]
        assert_offline_and_clean(seen)
        assert_not_blank(seen, tmp_path / f"{name}.png")
        assert seen.seconds < 30


def test_real_pages_hold_the_projected_graph(real_pages: dict) -> None:
    context = real_pages["context"]
    national = pj.actor_graph(context.data)
    document = page_document(real_pages["national"])
    assert len(document["nodes"]) == min(national.number_of_nodes(), viz.MAX_NODES)
    assert {"atos", "axelle-lemaire", "spartoo"} <= {node["id"] for node in document["nodes"]}
    grenoble = page_document(real_pages["grenoble"])
    expected = pj.metropole_graph(national, context.data.ecosystems["french-tech-grenoble"])
    assert {node["id"] for node in grenoble["nodes"]} == set(expected)
    local = {node["id"] for node in grenoble["nodes"] if node["local"]}
    assert {"spartoo", "french-tech-grenoble"} <= local
    assert all(node["local"] is None for node in document["nodes"])  # the national page has no boundary
    assert "Grenoble" in grenoble["title"]


def test_tooltips_carry_sources_and_dates(real_pages: dict) -> None:
    document = page_document(real_pages["grenoble"])
    spartoo = next(node for node in document["nodes"] if node["id"] == "spartoo")
    assert spartoo["cls"] == "Startup" and spartoo["label"] == "Spartoo"
    assert spartoo["sources"], "every actor has sources"
    assert all(document["sources"][i]["url"].startswith("http") for i in spartoo["sources"])
    assert set(spartoo["metrics"]) == {"degree", "ties", "betweenness"}
    assert all(edge["sources"] and edge["ties"] for edge in document["edges"])
    assert document["measure"] == "betweenness centrality (exact)"


@pytest.mark.browser
def test_search_focuses_and_class_filter_hides(browser: object, real_pages: dict) -> None:
    document = page_document(real_pages["grenoble"])
    startups = sum(1 for node in document["nodes"] if node["cls"] == "Startup")
    with visit(browser, real_pages["grenoble"]) as seen:
        page = seen.page
        page.fill("#search-text", "SPARTOO")  # type: ignore[attr-defined]
        page.click("#search button")  # type: ignore[attr-defined]
        assert page.evaluate("window.ftgraph.network.getSelectedNodes()") == ["spartoo"]  # type: ignore[attr-defined]
        assert page.inner_text("#details .name") == "Spartoo"  # type: ignore[attr-defined]
        assert page.locator("#details a[href^='http']").count() >= 1  # type: ignore[attr-defined]
        page.uncheck("#legend input[data-class=Startup]")  # type: ignore[attr-defined]
        hidden = page.evaluate("window.ftgraph.nodes.get({filter: n => n.hidden}).map(n => n.cls)")  # type: ignore[attr-defined]
        assert hidden == ["Startup"] * startups
        page.click("#search button")  # type: ignore[attr-defined]
        assert "hidden by the class filter" in page.inner_text("#search-status")  # type: ignore[attr-defined]
        assert_offline_and_clean(seen)


# -- hostile data -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("hostile")
    built = build_graph(minimal_paths(root, HOSTILE_RECORDS, HOSTILE_SOURCES))
    engine = built.engine
    assert viz.labelled_metropoles(engine) == ["french-tech-testville"]
    context = viz.Context.read(engine)
    files = {root / "national.html": None, root / "testville.html": "french-tech-testville"}
    viz.write_pages(context, files)
    # The same metropole page with a source URL that is not a web link (the loader refuses such URLs;
    # the page must not turn one into a link either).
    source = context.sources["src-xss"]
    bad = viz.Context(context.data, {"src-xss": viz.Source(source.id, source.title, "javascript:window.__pwned=7",
                                                           source.publisher, source.date)}, context.names)
    viz.write_pages(bad, {root / "bad-url.html": "french-tech-testville"})
    return {"national": root / "national.html", "metropole": root / "testville.html", "bad-url": root / "bad-url.html"}


def test_hostile_text_never_reaches_the_html_raw(hostile: dict[str, Path]) -> None:
    for name, path in hostile.items():
        html = path.read_text(encoding="utf-8")
        for raw in ("<img src=x", "<script>window", "<svg onload", "<iframe", '<a href="javascript', "<b>gras"):
            assert raw not in html, f"{path.name}: {raw!r} in the page"
        assert html.count("<script") == 3  # the JSON block, vis-network, the page script
        if name != "national":
            assert "<title>&lt;img src=x onerror=&#34;window.__pwned=1&#34;&gt;: actor network" in html


@pytest.mark.browser
@pytest.mark.parametrize("name", ["national", "metropole", "bad-url"])
def test_hostile_names_show_as_text_and_run_nothing(browser: object, hostile: dict[str, Path], name: str,
                                                    tmp_path: Path) -> None:
    document = page_document(hostile[name])
    assert {node["id"]: node["label"] for node in document["nodes"] if node["id"] in HOSTILE_NAMES} == HOSTILE_NAMES
    with visit(browser, hostile[name]) as seen:
        page = seen.page
        if name != "national":  # heading: pyvis wrote it raw
            assert page.inner_text("#title") == f"{ECOSYSTEM_NAME}: actor network"  # type: ignore[attr-defined]
        # search menu: pyvis wrote its node ids raw
        options = page.evaluate("[...document.querySelectorAll('#ftgraph-names option')].map(o => o.value)")  # type: ignore[attr-defined]
        assert set(HOSTILE_NAMES.values()) <= set(options)
        # tooltips: pyvis renders every title as HTML once one contains "href"
        page.fill("#search-text", CLUB_NAME)  # type: ignore[attr-defined]
        page.click("#search button")  # type: ignore[attr-defined]
        page.wait_for_timeout(600)  # the focus animation
        position = page.evaluate("(() => { const n = window.ftgraph.network;"  # type: ignore[attr-defined]
                                 " return n.canvasToDOM(n.getPosition('href-club')); })()")
        box = page.locator("#network").bounding_box()  # type: ignore[attr-defined]
        page.mouse.move(box["x"] + position["x"], box["y"] + position["y"])  # type: ignore[attr-defined]
        tooltip = page.locator("div.vis-tooltip")  # type: ignore[attr-defined]
        tooltip.wait_for(state="visible", timeout=5_000)
        assert CLUB_NAME in tooltip.inner_text()
        assert SOURCE_TITLE in tooltip.inner_text()
        assert page.inner_text("#details .name") == CLUB_NAME  # type: ignore[attr-defined]
        links = page.evaluate("[...document.querySelectorAll('a')].map(a => a.href)")  # type: ignore[attr-defined]
        assert all(link.startswith("https://www.example-press.fr/") for link in links)
        if name == "bad-url":
            assert links == [] and "javascript:window.__pwned=7" in page.inner_text("#details")  # type: ignore[attr-defined]
        assert page.locator("#network img, #details img, header img, iframe, svg[onload]").count() == 0  # type: ignore[attr-defined]
        assert page.evaluate("window.__pwned") is None  # type: ignore[attr-defined]
        assert_offline_and_clean(seen)
        assert_not_blank(seen, tmp_path / f"{name}.png")


@pytest.mark.browser
def test_policy_blocks_markup_injected_later(browser: object, hostile: dict[str, Path]) -> None:
    """Defence in depth: even HTML inserted at run time cannot run a handler or load anything."""
    with visit(browser, hostile["metropole"]) as seen:
        seen.page.evaluate("document.body.insertAdjacentHTML('beforeend',"  # type: ignore[attr-defined]
                           " '<img src=\"https://example.org/x.png\" onerror=\"window.__pwned=8\">')")
        seen.page.wait_for_timeout(300)  # type: ignore[attr-defined]
        assert seen.page.evaluate("window.__pwned") is None  # type: ignore[attr-defined]
        assert [url for url in seen.requests if url.startswith("http")] == ["https://example.org/x.png"]
        assert not [url for url in seen.loaded if url.startswith("http")]  # refused by the page's policy
        assert any("Content Security Policy" in error for error in seen.errors)


# -- large graphs -------------------------------------------------------------------------------------


def synthetic(n: int, seed: int = 3) -> nx.MultiGraph:
    """A scale-free actor graph of ``n`` organisations and people (the national graph's shape)."""
    skeleton = nx.barabasi_albert_graph(n, 2, seed=seed)
    kinds = ["Startup", "Company", "Person", "Incubator", "PublicBody", "Investor"]
    G = nx.MultiGraph()
    for v in skeleton:
        G.add_node(f"a{v}", **{pj.KIND: kinds[v % len(kinds)], pj.LABEL: f"Acteur {v}", pj.SOURCES: ()})
    for u, v in skeleton.edges:
        G.add_edge(f"a{u}", f"a{v}", key=f"t{u}-{v}", type="membership", role="role-member", weight=1.0, sources=())
    return G


EMPTY_CONTEXT = viz.Context(pj.ActorData({}, [], [], {}), {}, {})


@pytest.mark.browser
def test_large_graph_opens_in_seconds_with_physics_off(browser: object, tmp_path: Path) -> None:
    G = synthetic(3000)
    page = viz.Page("Synthetic", "3000 actors", G, sample=viz.BETWEENNESS_SAMPLE)
    path = viz.write_page(page, EMPTY_CONTEXT, tmp_path / "large.html")
    with visit(browser, path) as seen:
        assert seen.seconds < 15, f"drawn in {seen.seconds:.1f} s"
        assert len(drawn_node_ids(seen)) == 3000
        assert seen.page.evaluate("window.ftgraph.network.physics.physicsEnabled") is False  # type: ignore[attr-defined]
        assert_offline_and_clean(seen)
        assert_not_blank(seen, tmp_path / "large.png")


def test_graph_above_the_cap_keeps_the_most_connected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(viz, "MAX_NODES", 100)
    G = synthetic(400)
    document = viz.page_data(viz.Page("Synthetic", "", G), EMPTY_CONTEXT)
    kept = {node["id"] for node in document["nodes"]}
    assert len(kept) == 100 and document["total"] == 400
    assert min(G.degree(v) for v in kept) >= max(G.degree(v) for v in set(G) - kept)


# -- layout and page data -----------------------------------------------------------------------------


@pytest.mark.parametrize("n", [40, 700])  # networkx's spring layout; the block layout (over 500 nodes)
def test_layout_is_seeded_and_spreads_nodes(n: int) -> None:
    G = nx.Graph(nx.barabasi_albert_graph(n, 1, seed=1))
    G.add_nodes_from(["isolate-a", "isolate-b"])
    first, again, other = viz.layout(G, seed=1), viz.layout(G, seed=1), viz.layout(G, seed=2)
    assert first == again and first != other
    assert set(first) == set(G)
    lengths = [((first[u][0] - first[v][0]) ** 2 + (first[u][1] - first[v][1]) ** 2) ** 0.5 for u, v in G.edges]
    assert sum(lengths) / len(lengths) == pytest.approx(1.0)  # scaled to a mean tie length of 1
    spots = {(round(x, 3), round(y, 3)) for x, y in first.values()}
    assert len(spots) == len(G)  # no two actors on the same spot
    xs = [first[v][0] for v in G if not str(v).startswith("isolate")]
    assert all(first[v][0] > max(xs) or first[v][1] > 0 for v in ("isolate-a", "isolate-b"))


def test_layout_packs_components_without_overlap() -> None:
    G = nx.disjoint_union_all([nx.cycle_graph(12), nx.star_graph(8), nx.path_graph(3), nx.empty_graph(4)])
    positions = viz.layout(G)
    boxes = []
    for component in nx.connected_components(G):
        xs, ys = [positions[v][0] for v in component], [positions[v][1] for v in component]
        boxes.append((min(xs), min(ys), max(xs), max(ys)))
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert a[2] < b[0] or b[2] < a[0] or a[3] < b[1] or b[3] < a[1], f"{a} overlaps {b}"


def test_same_input_same_page(hostile: dict[str, Path], tmp_path: Path) -> None:
    built = build_graph(minimal_paths(tmp_path, HOSTILE_RECORDS, HOSTILE_SOURCES))
    context = viz.Context.read(built.engine)
    viz.write_pages(context, {tmp_path / "again.html": "french-tech-testville"})
    assert (tmp_path / "again.html").read_bytes() == hostile["metropole"].read_bytes()


def test_vendored_vis_network_is_inlinable_and_licensed() -> None:
    script = viz.static_text("vis-network.min.js")
    assert f"@version {viz.VIS_NETWORK_VERSION}" in script
    assert "</script" not in script.lower() and "sourceMappingURL" not in script
    for licence in ("vis-network.LICENSE-MIT", "vis-network.LICENSE-APACHE-2.0"):
        assert len(viz.static_text(licence)) > 500


# -- index of out/ and the pipeline -------------------------------------------------------------------


def test_index_links_every_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    files = ["graph.nt", "viz/national.html", "viz/french-tech-grenoble.html", "figures/federation-index.svg",
             "metrics/métropoles & co.csv", f"{STORE_DIR}/db/000001.sst", f"{STORE_DIR}/manifest.json",
             ".hidden", "viz/.staging-tmp"]
    for name in files:
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text("x", encoding="utf-8")
    index = viz.write_index(out, {"viz/national": "National <network>"})
    html = index.read_text(encoding="utf-8")
    targets = sorted(unquote(href) for href in re.findall(r'href="([^"]+)"', html))
    assert targets == sorted(["graph.nt", "viz/national.html", "viz/french-tech-grenoble.html",
                              "figures/federation-index.svg", "metrics/métropoles & co.csv", f"{STORE_DIR}/"])
    assert all((out / target).exists() for target in targets)
    assert "National &lt;network&gt;" in html and "métropoles &amp; co" in html
    groups = viz.list_outputs(out)
    assert list(groups) == ["", "viz", "figures", "metrics"]
    assert [entry.name for entry in groups[""]] == ["graph", f"{STORE_DIR}/"]


def test_two_runs_of_one_input_write_the_same_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression (reliability checks): the index listed the store's bytes, which differ between builds."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1785110400")  # both runs release on the same day
    indexes = []
    for run in ("one", "two"):
        paths = minimal_paths(tmp_path / run, HOSTILE_RECORDS, HOSTILE_SOURCES)
        result = pipeline.run(paths, progress=Progress(quiet=True))
        indexes.append((paths.out / viz.INDEX_PAGE).read_bytes())
    assert indexes[0] == indexes[1]
    assert f"{len(result.built.combined):,} triples".encode() in indexes[0]


def test_index_stage_is_last() -> None:
    """The index lists the files present when it runs: every other stage must have run before."""
    assert pipeline.STAGES[-1][1] is viz.index_stage


def test_output_stages_write_pages_figures_and_index(tmp_path: Path) -> None:
    built = build_graph(minimal_paths(tmp_path, HOSTILE_RECORDS, HOSTILE_SOURCES))
    out = tmp_path / "staging"
    (out / viz.VIZ_DIR).mkdir(parents=True)
    (out / viz.VIZ_DIR / "french-tech-gone.html").write_text("stale", encoding="utf-8")
    (out / "graph.nt").write_text("", encoding="utf-8")
    written = [path for stage in (viz.pages_stage, figures_stage, viz.index_stage)
               for path in stage(built, out, Progress(quiet=True))]
    names = {path.relative_to(out).as_posix() for path in written}
    assert {"viz/national.html", "viz/french-tech-testville.html", "index.html",
            "figures/label-timeline.svg", "figures/network-french-tech-testville.png"} <= names
    assert not (out / viz.VIZ_DIR / "french-tech-gone.html").exists()
    html = (out / "index.html").read_text(encoding="utf-8")
    for name in [*names - {"index.html"}, "graph.nt"]:
        assert f'href="{name}"' in html


# -- command ------------------------------------------------------------------------------------------


def test_viz_command_writes_one_page(tmp_path: Path) -> None:
    paths = minimal_paths(tmp_path, HOSTILE_RECORDS, HOSTILE_SOURCES)
    target = tmp_path / "page.html"
    result = CliRunner().invoke(cli, ["-q", "viz", "--data", str(paths.data), "--metropole", "testville",
                                      "--as-of", "2014-12-31", "--out", str(target)])
    assert result.exit_code == 0, result.output
    document = page_document(target)
    # on 2014-12-31: acme's membership (from 2014) and Jane's founding (2012) are valid; the 2015 event is not
    assert {edge["from"] + "|" + edge["to"] for edge in document["edges"]} == {
        "acme|french-tech-testville", "acme|jane-doe", "acme|beta", "french-tech-testville|href-club"}
    assert "ties valid on 2014-12-31" in document["subtitle"]


def test_viz_command_refuses_unknown_metropole_and_bad_date(tmp_path: Path) -> None:
    paths = minimal_paths(tmp_path, HOSTILE_RECORDS, HOSTILE_SOURCES)
    unknown = CliRunner().invoke(cli, ["-q", "viz", "--data", str(paths.data), "--metropole", "atlantis",
                                       "--out", str(tmp_path / "x.html")])
    assert unknown.exit_code == 2 and "atlantis" in unknown.output
    bad_date = CliRunner().invoke(cli, ["-q", "viz", "--data", str(paths.data), "--as-of", "2014-13-45"])
    assert bad_date.exit_code == 2 and "2014-13-45" in bad_date.output
    assert not (tmp_path / "x.html").exists()
