"""``ftgraph docs``: regenerate the generated pages of ``docs/`` from ``ontology/`` and ``queries/``, offline.

- ``docs/ontology.html`` and ``docs/ontology.fr.html``: the ontology reference (pyLODE) in English and
  in French, with the class diagram and the SKOS concept schemes inline;
- ``docs/ontology-classes.svg``: the class diagram (Graphviz ``dot``, Debian package ``graphviz``):
  the ``ft:`` classes, the standard classes they specialise (grey), the ``ft:`` object properties
  between them and the ``ft:`` attributes of each class;
- ``docs/queries.md``: the query catalogue, from the header of each ``queries/*.rq``;
- ``docs/index.md``: the home page of the documentation, linking these and the hand-written pages
  (data format, metrics methodology, data coverage).

Every page is deterministic (same input, same bytes), so a diff of ``docs/`` shows real changes only.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from ftgraph.atomic import write_text_atomic
from ftgraph.build import ONTOLOGY_FILE, Paths, project_root, read_turtle
from ftgraph.clikit import user_errors
from ftgraph.errors import FtgraphError
from ftgraph.namespaces import FT, PREFIXES, bind_prefixes
from ftgraph.progress import Progress
from ftgraph.query import LibraryQuery, library

#: The ontology reference, one page per language of the ontology's labels and definitions.
ONTOLOGY_PAGES = {"en": "ontology.html", "fr": "ontology.fr.html"}
DIAGRAM_FILE = "ontology-classes.svg"
QUERIES_PAGE = "queries.md"
INDEX_PAGE = "index.md"
#: Hand-written pages the index links to, with what each one is.
LINKED_PAGES = (
    ("data-format.md", "Data format", "the curated YAML records and their exact RDF mapping"),
    ("metrics.md", "Metrics methodology",
     "how actor graphs are projected from RDF and how each federation measure is computed"),
    ("data.md", "Data coverage", "what the curated data covers, per metropole, class and source"),
    ("ingest.md", "Ingesting new sources",
     "turning a researcher's table, a SPARQL endpoint or press articles into sourced records"),
    ("benchmarks.md", "Benchmarks",
     "the project against rdflib and raw pyoxigraph on synthetic graphs up to 1M triples"),
)
_SCHEMA_ORG_BLOCK = re.compile(r'(<script id="schema.org" type="application/ld\+json">)(.*?)(</script>)', re.S)
_CLASSES_SECTION = '<div class="section" id="classes">'


class DocsError(FtgraphError):
    exit_code = 1


def _curie(term: URIRef) -> str:
    for prefix, namespace in PREFIXES.items():
        if str(term).startswith(str(namespace)):
            return f"{prefix}:{str(term)[len(str(namespace)):]}"
    return str(term)


def _iris(terms: Iterable[object], namespace: str = "") -> list[URIRef]:
    """The IRIs among ``terms`` (in ``namespace`` when given), sorted."""
    return sorted(t for t in terms if isinstance(t, URIRef) and str(t).startswith(namespace))


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def class_diagram_dot(ontology: Graph) -> str:
    """Graphviz source of the class diagram: generalisations (hollow arrows, parents on the left), object
    properties between classes (labelled), and each class's ``ft:`` attributes."""
    classes = _iris(ontology.subjects(RDF.type, OWL.Class), str(FT))
    parents = {c: _iris(ontology.objects(c, RDFS.subClassOf)) for c in classes}
    links: list[tuple[URIRef, URIRef, URIRef]] = []
    attributes: dict[URIRef, list[str]] = {}
    for prop in _iris(set(ontology.subjects(RDF.type, None)) - set(classes), str(FT)):
        ranges = _iris(ontology.objects(prop, RDFS.range))
        for domain in _iris(ontology.objects(prop, RDFS.domain)):
            is_link = (prop, RDF.type, OWL.ObjectProperty) in ontology and ranges
            if is_link:
                links += [(domain, prop, target) for target in ranges]
            else:
                kind = f": {_curie(ranges[0])}" if ranges else ""
                attributes.setdefault(domain, []).append(f"{_curie(prop)}{kind}")
    external = sorted({p for ps in parents.values() for p in ps if p not in classes}
                      | {t for _, _, t in links if t not in classes} | {d for d in attributes if d not in classes}
                      | {d for d, _, _ in links if d not in classes})
    lines = ["digraph ftgraph_classes {", "  rankdir=RL; nodesep=0.2; ranksep=0.5;",
             '  node [shape=plain, fontname="DejaVu Sans", fontsize=10];',
             '  edge [fontname="DejaVu Sans", fontsize=9];']
    for cls in (*classes, *external):
        lines.append(f"  {_quoted(str(cls))} [label=<{_node_label(cls, attributes.get(cls, []), cls in classes)}>];")
    for cls, supers in parents.items():
        lines += [f"  {_quoted(str(cls))} -> {_quoted(str(sup))} [arrowhead=onormal];" for sup in supers]
    for domain, prop, target in links:
        lines.append(f"  {_quoted(str(domain))} -> {_quoted(str(target))} [label={_quoted(_curie(prop))}, "
                     "style=dashed, color=\"#1f5f9f\", fontcolor=\"#1f5f9f\", arrowhead=vee, constraint=false];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _node_label(cls: URIRef, attributes: Iterable[str], own: bool) -> str:
    colour = "#fff7e0" if own else "#eeeeee"
    rows = [f'<tr><td bgcolor="{colour}"><b>{_html(_curie(cls))}</b></td></tr>']
    rows += [f'<tr><td align="left">{_html(attribute)}</td></tr>' for attribute in attributes]
    return f'<table border="1" cellborder="0" cellspacing="0" cellpadding="3">{"".join(rows)}</table>'


def render_svg(dot_source: str) -> str:
    """SVG from Graphviz source (``dot``, Debian package ``graphviz``)."""
    dot = shutil.which("dot")
    if dot is None:
        raise DocsError("the class diagram needs Graphviz's 'dot': install the Debian package 'graphviz'")
    result = subprocess.run([dot, "-Tsvg"], input=dot_source, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise DocsError(f"dot failed: {result.stderr.strip()}")
    return result.stdout


def _canonical(value: Any) -> Any:
    """JSON with unordered arrays sorted, so pyLODE's embedded schema.org JSON-LD is deterministic."""
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in value.items()}
    if isinstance(value, list):
        return sorted((_canonical(item) for item in value), key=lambda item: json.dumps(item, sort_keys=True))
    return value


def pylode_input(ontology: Graph, language: str) -> Graph:
    """The ontology as pyLODE should see it: literals in ``language`` (or without one) only, since pyLODE
    runs the languages together, and the SKOS concept schemes left out, since pyLODE merges their
    titles into the ontology's (they get a section of their own, :func:`concept_schemes_section`)."""
    graph = bind_prefixes(Graph())
    schemes = set(ontology.subjects(RDF.type, SKOS.ConceptScheme))
    for s, p, o in ontology:
        if s in schemes or (isinstance(o, Literal) and o.language not in (None, language)):
            continue
        graph.add((s, p, o))
    return graph


def _in_language(graph: Graph, subject: URIRef, predicate: URIRef, language: str) -> str:
    values = sorted(str(o) for o in graph.objects(subject, predicate)
                    if isinstance(o, Literal) and o.language in (None, language))
    return " ".join(values)


def concept_schemes_section(ontology: Graph, language: str) -> str:
    """HTML list of the SKOS concept schemes of the ontology (the concepts themselves are data)."""
    items = []
    for scheme in _iris(ontology.subjects(RDF.type, SKOS.ConceptScheme)):
        title = _in_language(ontology, scheme, RDFS.label, language)
        description = _in_language(ontology, scheme, SKOS.definition, language)
        items.append(f"<dt><code>{_html(_curie(scheme))}</code>: {_html(title)}</dt><dd>{_html(description)}</dd>")
    return (f'<div class="section" id="schemes"><h2>Concept schemes</h2>\n<p>The SKOS vocabularies of the data '
            f'(labels, criteria, roles...); their concepts are in <code>data/vocabulary/</code>.</p>\n'
            f'<dl>{"".join(items)}</dl></div>\n')


def _pylode_html(ontology: Graph) -> str:
    """pyLODE's page. Importing pyLODE calls ``logging.basicConfig(level=DEBUG)``: it is imported here,
    not with this module, and the root logger is put back as it was."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        from pylode import OntPub
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    return str(OntPub(ontology=ontology, sort_subjects=True).make_html())


def ontology_page(ontology: Graph, svg: str, language: str) -> str:
    """pyLODE's HTML reference of the ontology in ``language``, made deterministic, with the class
    diagram and the concept schemes before the classes."""
    html = _pylode_html(pylode_input(ontology, language))
    block = _SCHEMA_ORG_BLOCK.search(html)
    if block:
        canonical = json.dumps(_canonical(json.loads(block.group(2))), indent=2, sort_keys=True, ensure_ascii=False)
        html = html[:block.start(2)] + "\n" + canonical + "\n" + html[block.end(2):]
    inline_svg = svg[svg.index("<svg"):]
    diagram = (f'<div class="section" id="diagram"><h2>Class diagram</h2>\n<p>Hollow arrows: subclass of. Dashed '
               f'arrows: object properties. Grey: classes of the reused vocabularies (also as '
               f'<a href="{DIAGRAM_FILE}">SVG</a>).</p>\n{inline_svg}</div>\n')
    if _CLASSES_SECTION not in html:
        raise DocsError("pyLODE's page has no classes section: cannot place the class diagram")
    return html.replace(_CLASSES_SECTION, diagram + concept_schemes_section(ontology, language) + _CLASSES_SECTION, 1)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def query_catalogue(queries: dict[str, LibraryQuery]) -> str:
    """Markdown catalogue of the library queries: question, parameters, columns, how to run it."""
    lines = ["# Query catalogue", "",
             "Generated by `ftgraph docs` from the headers of `queries/*.rq`; do not edit by hand.",
             "Run a query with `ftgraph query NAME [--param NAME=VALUE ...]` (on the embedded store built by "
             "`make run`, or `--endpoint URL`), list them with `ftgraph queries`.", "",
             "| query | title |", "|---|---|"]
    lines += [f"| [`{name}`](#{name}) | {_cell(query.title)} |" for name, query in queries.items()]
    for name, query in queries.items():
        lines += ["", f"## {name}", "", f"**{query.title}**", "", query.question, ""]
        if query.params:
            lines += ["| parameter | kind | default | meaning |", "|---|---|---|---|"]
            lines += [f"| `{p.name}` | {p.kind} | {f'`{p.default}`' if p.default is not None else '(required)'} "
                      f"| {_cell(p.description)} |" for p in query.params]
            lines.append("")
        if query.columns:
            lines += [f"Columns: {', '.join(f'`{column}`' for column in query.columns)}", ""]
        example = " ".join(f"--param {p.name}={p.default}" for p in query.params if p.default is not None)
        lines += ["```sh", f"ftgraph query {name}{' ' + example if example else ''}", "```",
                  f"Source: [`queries/{name}.rq`](../queries/{name}.rq)"]
    return "\n".join(lines) + "\n"


def index_page(docs_dir: Path) -> str:
    """The documentation's home page; a linked page that does not exist yet is marked as such."""
    lines = ["# ftgraph documentation", "",
             "Generated by `ftgraph docs`; do not edit by hand (edit `ftgraph/docs.py`).", "",
             f"- Ontology reference, in [English]({ONTOLOGY_PAGES['en']}) and [French]({ONTOLOGY_PAGES['fr']}): "
             f"every class and property of `ontology/ftgraph.ttl`, with the [class diagram]({DIAGRAM_FILE}).",
             f"- [Query catalogue]({QUERIES_PAGE}): the SPARQL queries of `queries/`, their parameters and "
             "columns."]
    for file_name, title, what in LINKED_PAGES:
        status = "" if (docs_dir / file_name).is_file() else " (not written yet)"
        lines.append(f"- [{title}]({file_name}): {what}{status}.")
    lines += ["", "The JSON-LD context of the exports is `ontology/context.jsonld`; the dataset description "
              "(VoID + DCAT) is `void.ttl` in each release folder (`ftgraph release`, `out/release/`)."]
    return "\n".join(lines) + "\n"


def write_docs(docs_dir: Path, ontology_dir: Path, queries_dir: Path, progress: Progress) -> list[Path]:
    """Regenerate the generated pages of ``docs_dir``; leave the hand-written ones alone."""
    ontology = read_turtle(ontology_dir / ONTOLOGY_FILE)
    with progress.step("class diagram (Graphviz)"):
        svg = render_svg(class_diagram_dot(ontology))
    pages = {DIAGRAM_FILE: svg}
    with progress.step("ontology reference (pyLODE)"):
        pages |= {name: ontology_page(ontology, svg, language) for language, name in ONTOLOGY_PAGES.items()}
    with progress.step("query catalogue"):
        pages[QUERIES_PAGE] = query_catalogue(library(queries_dir))
    pages[INDEX_PAGE] = index_page(docs_dir)
    for name, text in pages.items():
        write_text_atomic(docs_dir / name, text)
    return [docs_dir / name for name in pages]


@click.command("docs")
@click.option("--out", "docs_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Documentation folder (default: ./docs).")
@click.pass_obj
@user_errors
def docs_command(progress: Progress, docs_dir: Path | None) -> None:
    """Regenerate docs/: ontology reference with class diagram, query catalogue, index."""
    root = project_root()
    for path in write_docs(docs_dir or root / "docs", Paths.default().ontology, root / "queries", progress):
        click.echo(str(path))
