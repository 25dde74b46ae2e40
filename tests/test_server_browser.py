"""The server's pages in a real headless browser (Debian's ``chromium``, driven by playwright):
the query page runs a library query and shows its rows, an entity page renders its facts and sources,
data cannot inject script, and no request leaves the server.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from ftgraph import query
from ftgraph.engine import EmbeddedEngine
from tests.conftest import require_program
from tests.test_server import HOSTILE, engine, real, real_out, tiny  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


class Page:
    """A browser page that records every request, console error and dialog."""

    def __init__(self, page: Any, origin: str) -> None:
        self.page = page
        self.origin = origin.rstrip("/")
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("console", lambda message: self.errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        # Anything not for this server is recorded above and aborted here: the test fails, nothing leaves.
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(self.origin + "/")
                   else route.abort())

    def outside(self) -> list[str]:
        return [url for url in self.requests if not url.startswith(self.origin + "/")]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = require_program("chromium", "chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def open_page(browser: Any, base: str) -> Iterator[Page]:
    context = browser.new_context(accept_downloads=True)
    page = Page(context.new_page(), base)
    yield page
    context.close()
    assert page.outside() == [], "requests left the server"
    assert page.errors == []


@pytest.fixture()
def page(browser: Any, real: str) -> Iterator[Page]:  # noqa: F811
    yield from open_page(browser, real)


@pytest.fixture()
def tiny_page(browser: Any, tiny: str) -> Iterator[Page]:  # noqa: F811
    yield from open_page(browser, tiny)


def test_the_query_page_runs_a_library_query_and_shows_its_rows(page: Page, real: str,  # noqa: F811
                                                                 engine: EmbeddedEngine) -> None:  # noqa: F811
    expected = query.rows("decision-awards", engine=engine)
    assert len(expected) == 9  # the 2014-11-12 decision: nine Métropoles French Tech
    p = page.page
    p.goto(real)
    p.select_option("#library", "decision-awards")
    assert "labelling-decision-2014-11-12" in p.input_value("#query")
    p.click("#run")
    p.wait_for_selector("table.results tbody tr")
    headers = p.locator("table.results thead th").all_inner_texts()
    assert headers == list(expected[0])
    rows = p.locator("table.results tbody tr")
    assert rows.count() == 9
    names = sorted(p.locator("table.results tbody tr td:nth-child(4)").all_inner_texts())
    assert names == sorted(str(row["name"]) for row in expected)
    assert "9 rows" in p.inner_text("#status")
    # An entity IRI of the results opens on this server.
    link = rows.first.locator("td:nth-child(3) a")
    assert link.get_attribute("href").startswith("/org/french-tech-")
    with p.expect_download() as download_info:
        p.click("#download-csv")
    text = Path(download_info.value.path()).read_text(encoding="utf-8")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == list(expected[0]) and len(table) == 10
    link.click()
    p.wait_for_selector("h1#label")
    assert p.inner_text("h1#label").startswith("French Tech")


def test_a_syntax_error_is_shown_and_the_cursor_placed(page: Page, real: str) -> None:  # noqa: F811
    p = page.page
    p.goto(real)
    p.fill("#query", "SELECT ?s\nWHERE { ?s ?p }")
    p.keyboard.press("Control+Enter")
    p.wait_for_selector("#results .error")
    assert "Error 400: syntax error at line 2" in p.inner_text("#results .error")
    assert p.evaluate("document.getElementById('query').selectionStart") > len("SELECT ?s\n")
    # The browser logs the 400 answer itself; that one console error is expected.
    assert [error for error in page.errors if "status of 400" not in error] == []
    page.errors.clear()


def test_an_entity_page_renders_its_facts_and_sources(page: Page, real: str) -> None:  # noqa: F811
    p = page.page
    p.goto(real + "person/axelle-lemaire")
    assert p.inner_text("h1#label") == "Axelle Lemaire"
    assert "foaf:Person" in p.inner_text(".classes")
    facts = p.locator("#facts tbody tr")
    assert facts.count() >= 2
    label_row = p.locator("#facts tbody tr", has_text="rdfs:label")
    assert label_row.locator("td.value").inner_text() == "Axelle Lemaire"
    assert label_row.locator("a.ref").count() >= 1
    for index in range(facts.count()):
        assert facts.nth(index).locator("a.ref").count() >= 1, "every fact cites a source"
    sources = p.locator("ol.sources li")
    assert sources.count() >= 1
    first = sources.first
    assert first.locator("a.external").get_attribute("href").startswith(("http://", "https://"))
    assert p.locator("#incoming tbody tr", has_text="visit-axelle-lemaire-grenoble-2014-09-12").count() + \
        p.locator("#incoming tbody tr", has_text="Grenoble").count() >= 1
    if p.locator("#network").count():  # the visualisation's vis-network bundle is served: a drawn network
        p.wait_for_selector("#network[data-drawn] canvas")
        assert int(p.get_attribute("#network", "data-drawn")) >= 2
    label_row.locator("a.ref").first.click()
    assert p.evaluate("window.location.hash").startswith("#source-")


def test_data_cannot_run_script_in_a_page(tiny_page: Page, tiny: str) -> None:  # noqa: F811
    p = tiny_page.page
    p.goto(tiny + "thing/xss")
    assert p.inner_text("h1#label") == HOSTILE
    assert p.evaluate("window.__pwned") is None
    assert p.locator("h1#label img, h1#label script").count() == 0
    assert p.locator("ol.sources li a.external").count() == 0  # a javascript: URL is no link
    p.goto(tiny + "?" + urlencode({"query": "SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> "
                                            "?label }"}))
    p.click("#run")
    p.wait_for_selector("table.results tbody tr")
    assert p.locator("table.results", has_text=HOSTILE).count() == 1
    assert p.evaluate("window.__pwned") is None
    assert tiny_page.dialogs == []
