"""Linked-data exports of the built graph: Turtle, N-Triples, N-Quads, TriG, JSON-LD and RDF/XML; and
of its actor graph for network tools: GEXF, GraphML and CSV (see :mod:`ftgraph.actor_exports`).

Every RDF export holds exactly the triples of the built graph (data + ontology) and is deterministic:
triples are sorted (subject, then ``rdf:type`` first, then predicate and object) before a streaming
pyoxigraph serialiser writes them, so two builds of the same input give byte-identical files and
releases diff cleanly.

Named graphs (N-Quads, TriG): **one named graph per curated file**. The triples of a record go to the
graph of the file that declares it, ``data/metropoles/grenoble.yaml`` →
``<BASE graph/metropoles/grenoble>``; the ontology goes to the graph named by the ontology's IRI. A
shortcut triple (``org:memberOf``, ``schema:founder``) belongs to the file of the role it is derived
from, so a triple asserted by records of two files is in both graphs: the union of the named graphs
is the graph. Per file rather than per source, because a record cites several sources and a fact can
rest on several: per-source graphs would copy most triples many times, while the source of each fact
is already in the graph (``prov:wasDerivedFrom`` and the statement nodes, see docs/data-format.md).
A per-file graph lets a user load, count or drop one ecosystem at a time.

JSON-LD is in compact form with the published context ``ontology/context.jsonld`` (short readable
keys), embedded in the document so that no reader ever fetches a remote context. One node object per
subject, in the order of the sorted triples, written directly from them (:class:`SimpleContext`) when
the context is made only of prefixes, terms (``"@type": "@id"``, ``"@container": "@language"``) and
aliases of ``@id`` and ``@type``, as the published one is: the JSON-LD API's generic compaction (pyld)
took most of the release's time. Any other context goes through pyld. The tests check that both give
the same RDF dataset.
"""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import quote

import click
import networkx as nx
import pyoxigraph as ox
from rdflib import Graph
from rdflib.namespace import OWL, RDF

from ftgraph.actor_exports import annotated_actor_graph, csv_tables, gexf, graphml
from ftgraph.atomic import write_text_atomic
from ftgraph.build import BuiltGraph, Paths, build_graph
from ftgraph.clikit import base_option, data_option, user_errors
from ftgraph.errors import FtgraphError
from ftgraph.mapping import KIND_PATHS
from ftgraph.namespaces import PREFIXES
from ftgraph.progress import Progress

CONTEXT_FILE = "context.jsonld"
#: Path segment of the named graphs of the curated files, under the base IRI.
GRAPH_SEGMENT = "graph"
_RDF_TYPE = str(RDF.type)
_SHORTCUT = "/shortcut/"
_RECORD_SEGMENTS = frozenset(KIND_PATHS.values())


class ExportError(FtgraphError):
    """An export cannot be written (missing context file, unknown format...)."""

    exit_code = 1


def load_context(ontology_dir: Path | None = None) -> dict[str, Any]:
    """The published JSON-LD context (``ontology/context.jsonld``): its ``@context`` object."""
    path = (ontology_dir or Paths.default().ontology) / CONTEXT_FILE
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ExportError(f"{path}: JSON-LD context not found") from None
    except UnicodeDecodeError as exc:
        raise ExportError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise ExportError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from None
    except RecursionError:
        raise ExportError(f"{path}: JSON nested too deeply") from None
    context = document.get("@context") if isinstance(document, dict) else None
    if not isinstance(context, dict):
        raise ExportError(f"{path}: expected an object with an '@context' object")
    return context


def to_oxigraph(graph: Graph) -> list[ox.Triple]:
    """The triples of an rdflib graph as pyoxigraph terms."""
    data = graph.serialize(format="nt", encoding="utf-8")
    return [quad.triple for quad in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)]


def _sort_key(statement: ox.Triple | ox.Quad) -> tuple[str, str, bool, str, str]:
    """Graph, subject, ``rdf:type`` first, predicate, object: readable grouping and a total order."""
    graph = str(statement.graph_name) if isinstance(statement, ox.Quad) else ""
    predicate = statement.predicate.value
    return graph, str(statement.subject), predicate != _RDF_TYPE, predicate, str(statement.object)


def _ontology_iri(built: BuiltGraph) -> str:
    iris = sorted(str(s) for s in built.ontology.subjects(RDF.type, OWL.Ontology))
    if not iris:
        raise ExportError("the ontology has no owl:Ontology header: its named graph has no name")
    return iris[0]


def curated_files(built: BuiltGraph) -> dict[str, str]:
    """Record id → path of the curated file that declares it, relative to the folder of all curated files."""
    files = {record_id: Path(located.path) for record_id, located in built.dataset.records.items()}
    if not files:
        return {}
    root = Path(os.path.commonpath([str(path.parent) for path in files.values()]))
    return {record_id: path.relative_to(root).as_posix() for record_id, path in files.items()}


def file_graph_name(base_iri: str, relative_path: str) -> str:
    """IRI of the named graph of a curated file: ``metropoles/grenoble.yaml`` → ``BASE graph/metropoles/grenoble``."""
    return f"{base_iri}{GRAPH_SEGMENT}/{quote(relative_path.rsplit('.', 1)[0])}"


def _record_of(node: ox.NamedNode | ox.BlankNode | ox.Triple, base_iri: str) -> str | None:
    """The id of the record whose node (or sub-node: interval, claim, participant...) ``node`` is."""
    if not isinstance(node, ox.NamedNode) or not node.value.startswith(base_iri):
        return None
    parts = node.value[len(base_iri):].split("/")
    return parts[1] if len(parts) > 1 and parts[0] in _RECORD_SEGMENTS else None


def _shortcut_owners(triples: Iterable[ox.Triple], base_iri: str) -> dict[ox.Triple, set[str]]:
    """Each shortcut triple → the records (roles) it is derived from, read from its statement nodes."""
    parts: dict[ox.NamedNode, dict[str, Any]] = {}
    for triple in triples:
        node = triple.subject
        if isinstance(node, ox.NamedNode) and _SHORTCUT in node.value and triple.predicate.value.startswith(str(RDF)):
            parts.setdefault(node, {})[triple.predicate.value] = triple.object
    owners: dict[ox.Triple, set[str]] = {}
    for node, terms in parts.items():
        owner = _record_of(node, base_iri)
        subject, predicate, obj = (terms.get(str(term)) for term in (RDF.subject, RDF.predicate, RDF.object))
        if owner and subject and predicate and obj is not None:
            owners.setdefault(ox.Triple(subject, predicate, obj), set()).add(owner)
    return owners


def _in_graph(triple: ox.Triple, graph: ox.NamedNode) -> ox.Quad:
    return ox.Quad(triple.subject, triple.predicate, triple.object, graph)


def named_graph_quads(built: BuiltGraph) -> list[ox.Quad]:
    """Every triple of the graph in the named graph of its curated file (ontology: its own graph), sorted."""
    graph_of_record = {record_id: file_graph_name(built.base_iri, path)
                       for record_id, path in curated_files(built).items()}
    data = to_oxigraph(built.data)
    shortcuts = _shortcut_owners(data, built.base_iri)
    ontology = ox.NamedNode(_ontology_iri(built))
    quads = {_in_graph(triple, ontology) for triple in to_oxigraph(built.ontology)}
    for triple in data:
        record = _record_of(triple.subject, built.base_iri)
        owners = shortcuts.get(triple) or ({record} if record in graph_of_record else set())
        if not owners:
            raise ExportError(f"{triple.subject}: subject is not a node of any curated record")
        quads.update(_in_graph(triple, ox.NamedNode(graph_of_record[owner])) for owner in owners)
    return sorted(quads, key=_sort_key)


def prefixes(base_iri: str) -> dict[str, str]:
    """The project's prefixes, with ``ftr:`` for the data IRIs under ``base_iri``."""
    return {**{prefix: str(namespace) for prefix, namespace in PREFIXES.items()}, "ftr": base_iri}


def _iris(statement: ox.Triple | ox.Quad) -> Iterator[str]:
    for term in statement:
        if isinstance(term, ox.NamedNode):
            yield term.value
        elif isinstance(term, ox.Literal):
            yield term.datatype.value


def _used_prefixes(statements: list[Any], candidates: dict[str, str]) -> dict[str, str]:
    """The prefixes that shorten at least one IRI of ``statements``."""
    used = {iri.rpartition("#")[0] + "#" if "#" in iri else iri.rpartition("/")[0] + "/"
            for statement in statements for iri in _iris(statement)}
    return {prefix: namespace for prefix, namespace in candidates.items() if namespace in used}


def serialize(statements: Iterable[ox.Triple] | Iterable[ox.Quad], rdf_format: ox.RdfFormat,
              extra_prefixes: dict[str, str] | None = None) -> str:
    """Sorted statements in ``rdf_format``, with the project's prefixes that it uses (where the format has
    prefixes). Data IRIs stay whole: their paths (``org/atos``) would need escapes in prefixed names."""
    ordered: list[Any] = sorted(statements, key=_sort_key)
    candidates = {**{prefix: str(namespace) for prefix, namespace in PREFIXES.items()}, **(extra_prefixes or {})}
    named = None if rdf_format in (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS) else _used_prefixes(
        ordered, candidates)
    output = io.BytesIO()
    ox.serialize(ordered, output, rdf_format, prefixes=named)
    return output.getvalue().decode("utf-8")


def _jsonld_term(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> dict[str, str]:
    """A term in the RDF dataset form of the JSON-LD API (pyld's input)."""
    if isinstance(term, ox.Triple):
        raise ExportError(f"JSON-LD cannot hold the RDF-star triple term {term}")
    if isinstance(term, ox.NamedNode):
        return {"type": "IRI", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "blank node", "value": f"_:{term.value}"}
    value = {"type": "literal", "value": term.value, "datatype": term.datatype.value}
    if term.language:
        value["language"] = term.language
    return value


def _jsonld_reason(exc: BaseException) -> str:
    """The first cause of a pyld error, in one line (its term when it names one)."""
    while exc.__cause__ is not None:
        exc = exc.__cause__
    details = getattr(exc, "details", None)
    term = f" (term {details['term']!r})" if isinstance(details, dict) and "term" in details else ""
    return f"{exc.args[0] if exc.args else exc}{term}"


def _refuse_remote_documents(url: str, options: Any = None) -> Any:
    raise ExportError(f"JSON-LD: refusing to load the remote document {url}: the context is embedded")


def pyld_compact(triples: Iterable[ox.Triple], context: dict[str, Any]) -> dict[str, Any]:
    """The triples in compact JSON-LD with ``context`` by the JSON-LD API (pyld): from RDF, then compact."""
    from pyld import jsonld  # ~1 s to import, and only needed for contexts SimpleContext cannot handle

    dataset = {"@default": [
        {"subject": _jsonld_term(t.subject), "predicate": _jsonld_term(t.predicate), "object": _jsonld_term(t.object)}
        for t in triples
    ]}
    try:
        compacted: dict[str, Any] = jsonld.compact(jsonld.from_rdf(dataset), {"@context": context},
                                                   {"documentLoader": _refuse_remote_documents})
    except jsonld.JsonLdError as exc:
        raise ExportError(f"{CONTEXT_FILE}: the JSON-LD context cannot be used: {_jsonld_reason(exc)}") from None
    return compacted


#: JSON-LD 1.1 term names this module compacts with itself (no ':', '/' or '@': never taken for an IRI).
_TERM_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]*\Z")
_ABSOLUTE_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_GEN_DELIMS = tuple(":/?#[]@")
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


class _NotSimple(Exception):
    """The context or the graph needs the generic JSON-LD compaction."""


@dataclass(frozen=True)
class _Term:
    name: str
    iri: str
    iri_values: bool  #: ``"@type": "@id"``: its string values are IRIs
    language_map: bool  #: ``"@container": "@language"``


class SimpleContext:
    """A JSON-LD 1.1 context made only of prefixes, terms and aliases of ``@id`` and ``@type``, and the
    compaction of a flat graph with it, written directly (one node object per subject).

    Each value goes under the shortest term of its property that fits it (an IRI under a
    ``"@type": "@id"`` term as a string, language strings in a ``"@container": "@language"`` map,
    anything under a plain term), else under the property's compact IRI. IRIs are compacted with the
    prefixes (terms whose IRI ends with a gen-delim, JSON-LD 1.1's prefix flag), shortest then least;
    ``@type`` holds the IRI classes of ``rdf:type``. :meth:`of` returns None for any other context.
    """

    def __init__(self, aliases: dict[str, str], terms: list[_Term], prefixes: dict[str, str]) -> None:
        self.id_key = aliases.get("@id", "@id")
        self.type_key = aliases.get("@type", "@type")
        self.names = {term.name for term in terms} | set(aliases.values())
        self.prefixes = sorted(prefixes.items())
        self.terms: dict[str, list[_Term]] = {}
        for term in sorted(terms, key=lambda t: (len(t.name), t.name)):
            self.terms.setdefault(term.iri, []).append(term)
        self._compacted: dict[str, str] = {}

    @classmethod
    def of(cls, context: dict[str, Any]) -> SimpleContext | None:
        """The context when it has only the features above, else None."""
        aliases: dict[str, str] = {}
        definitions: dict[str, tuple[str, dict[str, Any]]] = {}
        for name, definition in sorted(context.items()):
            if not isinstance(name, str) or not _TERM_NAME.match(name):
                return None
            if definition in ("@id", "@type"):
                if definition in aliases:
                    return None
                aliases[definition] = name
            elif isinstance(definition, str):
                definitions[name] = (definition, {})
            elif (isinstance(definition, dict) and isinstance(definition.get("@id"), str)
                  and set(definition) <= {"@id", "@type", "@container"}
                  and definition.get("@type", "@id") == "@id"
                  and definition.get("@container", "@language") == "@language"):
                definitions[name] = (definition["@id"], definition)
            else:
                return None
        iris: dict[str, str] = {}
        for name in definitions:
            if _expand(name, definitions, iris, set()) is None:
                return None
        prefixes = {name: iris[name] for name, (value, expanded) in definitions.items()
                    if not expanded and iris[name].endswith(_GEN_DELIMS)}
        terms = [_Term(name, iris[name], expanded.get("@type") == "@id", "@container" in expanded)
                 for name, (value, expanded) in definitions.items()]
        if any(term.iri_values and term.language_map for term in terms):
            return None
        return cls(aliases, terms, prefixes)

    def compact_iri(self, iri: str) -> str:
        """``iri`` as the shortest (then least) compact IRI of a prefix, else whole."""
        if iri not in self._compacted:
            candidates = [f"{name}:{iri[len(namespace):]}" for name, namespace in self.prefixes
                          if iri.startswith(namespace) and len(iri) > len(namespace)
                          and not iri[len(namespace):].startswith("//")]
            if candidates:
                self._compacted[iri] = min(candidates, key=lambda c: (len(c), c))
            elif iri.partition(":")[0] in self.names and not iri.partition(":")[2].startswith("//"):
                raise _NotSimple(iri)  # a reader would take its scheme for a term
            else:
                self._compacted[iri] = iri
        return self._compacted[iri]

    def _node_reference(self, node: ox.NamedNode | ox.BlankNode) -> str:
        return self.compact_iri(node.value) if isinstance(node, ox.NamedNode) else f"_:{node.value}"

    def _value(self, term: _Term | None, obj: ox.NamedNode | ox.BlankNode | ox.Literal) -> Any:
        """The compacted value of ``obj`` under ``term`` (None: under the property's compact IRI)."""
        if not isinstance(obj, ox.Literal):
            reference = self._node_reference(obj)
            return reference if term is not None and term.iri_values else {self.id_key: reference}
        if obj.direction:
            raise _NotSimple("a literal with a base direction")
        if obj.language:
            return obj.value if term is not None and term.language_map else {"@value": obj.value,
                                                                              "@language": obj.language}
        if obj.datatype.value == _XSD_STRING:
            return obj.value
        return {self.type_key: self.compact_iri(obj.datatype.value), "@value": obj.value}

    def _fits(self, term: _Term, obj: ox.NamedNode | ox.BlankNode | ox.Literal) -> bool:
        if term.language_map:
            return isinstance(obj, ox.Literal) and bool(obj.language)
        return not term.iri_values or not isinstance(obj, ox.Literal)

    def _node(self, subject: ox.NamedNode | ox.BlankNode, triples: list[ox.Triple]) -> dict[str, Any]:
        node: dict[str, Any] = {self.id_key: self._node_reference(subject)}
        properties: dict[str, list[Any]] = {}
        maps: dict[str, dict[str, list[str]]] = {}
        for triple in triples:
            predicate, obj = triple.predicate.value, triple.object
            if isinstance(obj, ox.Triple):
                raise ExportError(f"JSON-LD cannot hold the RDF-star triple term {obj}")
            if predicate == _RDF_TYPE and not isinstance(obj, ox.Literal):
                properties.setdefault(self.type_key, []).append(self._node_reference(obj))
                continue
            term = next((t for t in self.terms.get(predicate, ()) if self._fits(t, obj)), None)
            key = term.name if term is not None else self.compact_iri(predicate)
            if term is not None and term.language_map:
                assert isinstance(obj, ox.Literal) and obj.language
                maps.setdefault(key, {}).setdefault(obj.language, []).append(obj.value)
            else:
                properties.setdefault(key, []).append(self._value(term, obj))
        for key, values in properties.items():
            node[key] = values[0] if len(values) == 1 else values
        for key, languages in maps.items():
            node[key] = {language: texts[0] if len(texts) == 1 else texts for language, texts in languages.items()}
        return node

    def compact(self, triples: list[ox.Triple], context: dict[str, Any]) -> dict[str, Any]:
        """The document: ``context`` embedded, one node object per subject of the (sorted) ``triples``."""
        nodes = []
        start = 0
        for end in range(1, len(triples) + 1):
            if end == len(triples) or triples[end].subject != triples[start].subject:
                subject = triples[start].subject
                if isinstance(subject, ox.Triple):
                    raise ExportError(f"JSON-LD cannot hold the RDF-star triple term {subject}")
                nodes.append(self._node(subject, triples[start:end]))
                start = end
        return {"@context": context, "@graph": nodes}


def _expand(name: str, definitions: dict[str, tuple[str, dict[str, Any]]], iris: dict[str, str],
            seen: set[str]) -> str | None:
    """The absolute IRI of term ``name`` (its value: an absolute IRI or a compact IRI of a prefix),
    memoised in ``iris``; None when it is anything else (relative, a keyword, a cycle...)."""
    if name in iris:
        return iris[name]
    if name in seen:
        return None
    value = definitions[name][0]
    prefix, colon, suffix = value.partition(":")
    if not colon or not _ABSOLUTE_IRI.match(value):
        return None
    if prefix in definitions and not suffix.startswith("//"):
        namespace = _expand(prefix, definitions, iris, seen | {name})
        if namespace is None or definitions[prefix][1] or not namespace.endswith(_GEN_DELIMS):
            return None  # a term that JSON-LD 1.1 would not use as a prefix: leave it to pyld
        value = namespace + suffix
    iris[name] = value
    return value


class Exporter:
    """The exports of one built graph; the sorted statements are computed once and shared."""

    def __init__(self, built: BuiltGraph, context: dict[str, Any] | None = None) -> None:
        self.built = built
        self._context = context

    @cached_property
    def quads(self) -> list[ox.Quad]:
        return named_graph_quads(self.built)

    @cached_property
    def triples(self) -> list[ox.Triple]:
        """The distinct triples of the graph, sorted."""
        return sorted({quad.triple for quad in self.quads}, key=_sort_key)

    @cached_property
    def context(self) -> dict[str, Any]:
        """The published context, its ``ftr:`` prefix set to this build's base IRI."""
        context = dict(self._context if self._context is not None else load_context())
        context["ftr"] = self.built.base_iri
        return context

    def turtle(self) -> str:
        return serialize(self.triples, ox.RdfFormat.TURTLE)

    def ntriples(self) -> str:
        return serialize(self.triples, ox.RdfFormat.N_TRIPLES)

    def nquads(self) -> str:
        return serialize(self.quads, ox.RdfFormat.N_QUADS)

    def trig(self) -> str:
        return serialize(self.quads, ox.RdfFormat.TRIG)

    def rdfxml(self) -> str:
        return serialize(self.triples, ox.RdfFormat.RDF_XML)

    def jsonld(self) -> str:
        """Compact JSON-LD with the context embedded, one node object per subject in the order of the
        sorted triples (:class:`SimpleContext`; other contexts: the JSON-LD API, pyld)."""
        simple = SimpleContext.of(self.context)
        try:
            if simple is None:
                raise _NotSimple("context")
            document = simple.compact(self.triples, self.context)
        except _NotSimple:
            document = pyld_compact(self.triples, self.context)
        return json.dumps(document, ensure_ascii=False, indent=1) + "\n"

    @cached_property
    def actors(self) -> nx.MultiGraph:
        """The national actor graph with metropoles and measures (:mod:`ftgraph.actor_exports`)."""
        return annotated_actor_graph(self.built)


@dataclass(frozen=True)
class ExportFormat:
    """One export format: its CLI name, media type, and how to render it: file suffix → text (one file,
    or several such as ``nodes.csv`` and ``edges.csv``)."""

    name: str
    media_type: str
    title: str
    render: Callable[[Exporter], dict[str, str]]
    #: Whether the files are RDF holding the whole graph (False: the actor graph for network tools).
    rdf: bool = True


def _one(suffix: str, method: Callable[[Exporter], str]) -> Callable[[Exporter], dict[str, str]]:
    """A one-file format's renderer."""
    return lambda exporter: {suffix: method(exporter)}


FORMATS: dict[str, ExportFormat] = {fmt.name: fmt for fmt in (
    ExportFormat("ttl", "text/turtle", "Turtle", _one("ttl", Exporter.turtle)),
    ExportFormat("nt", "application/n-triples", "N-Triples (sorted)", _one("nt", Exporter.ntriples)),
    ExportFormat("nq", "application/n-quads", "N-Quads, one named graph per curated file",
                 _one("nq", Exporter.nquads)),
    ExportFormat("trig", "application/trig", "TriG, one named graph per curated file", _one("trig", Exporter.trig)),
    ExportFormat("jsonld", "application/ld+json", "JSON-LD (compact, context embedded)",
                 _one("jsonld", Exporter.jsonld)),
    ExportFormat("rdfxml", "application/rdf+xml", "RDF/XML", _one("rdf", Exporter.rdfxml)),
    ExportFormat("gexf", "application/gexf+xml", "actor graph, GEXF (Gephi)",
                 lambda exporter: {"gexf": gexf(exporter.actors)}, rdf=False),
    ExportFormat("graphml", "application/graphml+xml", "actor graph, GraphML (Cytoscape, igraph)",
                 lambda exporter: {"graphml": graphml(exporter.actors)}, rdf=False),
    ExportFormat("csv", "text/csv", "actor graph, CSV node and edge lists with measures",
                 lambda exporter: csv_tables(exporter.actors), rdf=False),
)}


def export(built: BuiltGraph, format_name: str, out: Path, exporter: Exporter | None = None) -> list[Path]:
    """Write the graph in ``format_name`` (each file atomically) and return the paths written: ``out``
    itself for a one-file format, ``out/nodes.csv`` and ``out/edges.csv`` for ``csv``."""
    if format_name not in FORMATS:
        raise ExportError(f"unknown export format {format_name!r} (expected one of: {', '.join(FORMATS)})")
    if format_name == "csv" and out.is_file():
        raise ExportError(f"{out}: the csv export is two files (nodes.csv, edges.csv): give a folder, not a file")
    files = FORMATS[format_name].render(exporter or Exporter(built))
    paths = {suffix: out if len(files) == 1 else out / suffix for suffix in files}
    for suffix, text in files.items():
        write_text_atomic(paths[suffix], text)
    return list(paths.values())


@click.command("export")
@click.option("--format", "format_name", type=click.Choice(list(FORMATS)), required=True,
              help="Output format.")
@click.option("--out", "out", type=click.Path(path_type=Path), required=True,
              help="File to write (csv: folder that receives nodes.csv and edges.csv).")
@data_option
@base_option
@click.pass_obj
@user_errors
def export_command(progress: Progress, format_name: str, out: Path, data_dir: Path | None, base_iri: str) -> None:
    """Export the graph as Turtle, N-Triples, N-Quads, TriG, JSON-LD or RDF/XML, or its actor graph as
    GEXF, GraphML or CSV node and edge lists with network measures."""
    with progress.step("load, map and validate the curated data"):
        built = build_graph(Paths.default(data=data_dir), base_iri)
    with progress.step(f"write {FORMATS[format_name].title}"):
        written = export(built, format_name, out)
    for path in written:
        click.echo(str(path))
