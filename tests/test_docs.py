"""``ftgraph docs``: the ontology reference with its class diagram, the query catalogue and the index,
generated offline and deterministically."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph
from rdflib.namespace import OWL, RDF

from ftgraph.build import read_turtle
from ftgraph.cli import cli
from ftgraph.docs import (
    DIAGRAM_FILE,
    INDEX_PAGE,
    ONTOLOGY_PAGES,
    QUERIES_PAGE,
    class_diagram_dot,
    index_page,
    ontology_page,
    query_catalogue,
    render_svg,
)
from ftgraph.namespaces import FT
from ftgraph.query import library

from .conftest import ROOT, require_program

ONTOLOGY = ROOT / "ontology" / "ftgraph.ttl"
QUERY = """\
# title: Startups of a metropole
# question: Which startups are local actors of a metropole,
#   and when were they founded?
# param ecosystem: org = french-tech-grenoble | the ecosystem
# param year: integer | founding year
# columns: startup, name, founded
SELECT ?startup ?name ?founded WHERE { ?startup a <https://w3id.org/ftgraph/ontology#Startup> }
"""


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return read_turtle(ONTOLOGY)


@pytest.fixture(scope="module")
def svg(ontology: Graph) -> str:
    require_program("dot", "graphviz")
    return render_svg(class_diagram_dot(ontology))


def test_class_diagram_has_every_class_generalisations_and_links(ontology: Graph) -> None:
    dot = class_diagram_dot(ontology)
    for cls in ontology.subjects(RDF.type, OWL.Class):
        if str(cls).startswith(str(FT)):
            assert f'"{cls}" [label=<' in dot
    assert f'"{FT.Startup}" -> "{FT.Company}" [arrowhead=onormal];' in dot
    assert f'"{FT.City}" -> "http://rdf.insee.fr/def/geo#Commune" [arrowhead=onormal];' in dot
    assert re.search(rf'"{FT.LabelAward}" -> "http://www.w3.org/ns/org#Organization" \[label="ft:awardee"', dot)
    assert "ft:dateBasis" in dot  # an attribute of ft:Source


def test_svg_is_rendered_offline_and_deterministic(ontology: Graph, svg: str) -> None:
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert ">ft:Startup<" in svg and ">org:Organization<" in svg
    assert render_svg(class_diagram_dot(ontology)) == svg


def test_ontology_page_is_offline_deterministic_and_has_the_diagram(ontology: Graph, svg: str) -> None:
    logging.getLogger().setLevel(logging.WARNING)
    handlers = list(logging.getLogger().handlers)
    html = ontology_page(ontology, svg, "en")
    assert logging.getLogger().handlers == handlers  # pyLODE's logging.basicConfig was undone
    assert logging.getLogger().level == logging.WARNING
    assert ontology_page(ontology, svg, "en") == html
    assert html.index('id="diagram"') < html.index('id="schemes"') < html.index('id="classes"')
    assert "<title>ftgraph: French Tech ecosystem ontology</title>" in html
    assert "<code>ft:CriterionScheme</code>: labelling criteria" in html
    assert "French Tech ecosystem" in html and "écosystème" not in html
    assert not re.search(r'<(script|link|img)[^>]+(src|href)="https?:', html), "the page must not load remote files"


def test_french_ontology_page(ontology: Graph, svg: str) -> None:
    html = ontology_page(ontology, svg, "fr")
    assert "<title>ftgraph: ontologie de l'écosystème French Tech</title>" in html
    assert "<code>ft:CriterionScheme</code>: critères de labellisation" in html
    assert "A building or campus" not in html


def test_query_catalogue_from_headers(tmp_path: Path) -> None:
    (tmp_path / "startups.rq").write_text(QUERY, encoding="utf-8")
    text = query_catalogue(library(tmp_path))
    assert "| [`startups`](#startups) | Startups of a metropole |" in text
    assert "Which startups are local actors of a metropole, and when were they founded?" in text
    assert "| `ecosystem` | org | `french-tech-grenoble` | the ecosystem |" in text
    assert "| `year` | integer | (required) | founding year |" in text
    assert "Columns: `startup`, `name`, `founded`" in text
    assert "ftgraph query startups --param ecosystem=french-tech-grenoble\n" in text


def test_query_catalogue_lists_every_library_query() -> None:
    queries = library(ROOT / "queries")
    text = query_catalogue(queries)
    assert queries and all(f"## {name}\n" in text for name in queries)


def test_index_links_the_pages_and_marks_the_missing_ones(tmp_path: Path) -> None:
    (tmp_path / "data-format.md").write_text("# Data format\n", encoding="utf-8")
    text = index_page(tmp_path)
    assert "- [Data format](data-format.md): the curated YAML records and their exact RDF mapping.\n" in text
    assert "(metrics.md)" in text and "(data.md)" in text and "(not written yet)" in text
    assert all(f"({page})" in text for page in (*ONTOLOGY_PAGES.values(), QUERIES_PAGE, DIAGRAM_FILE))


def test_docs_command_writes_the_generated_pages_byte_identically(tmp_path: Path) -> None:
    require_program("dot", "graphviz")
    first = CliRunner().invoke(cli, ["--quiet", "docs", "--out", str(tmp_path / "one")])
    second = CliRunner().invoke(cli, ["--quiet", "docs", "--out", str(tmp_path / "two")])
    assert first.exit_code == second.exit_code == 0, first.output
    for name in (DIAGRAM_FILE, *ONTOLOGY_PAGES.values(), QUERIES_PAGE, INDEX_PAGE):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name
