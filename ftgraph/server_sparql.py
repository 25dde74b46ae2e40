"""The SPARQL 1.1 Protocol side of the server: result formats and content negotiation, the
read-only guard, the query job run in a worker, and the service description.

Read-only guard: pyoxigraph (like rdflib) executes ``SERVICE`` by sending an HTTP request, and
neither has a switch to stop it. So a query that mentions ``service`` is parsed (rdflib's SPARQL 1.1
parser) and its parse tree searched at every nesting level (sub-queries, ``OPTIONAL``, ``MINUS``,
``EXISTS`` in filters and binds...) before pyoxigraph sees it: a ``SERVICE`` anywhere refuses the
whole query (403), and a query the checker cannot parse is never run. Text that is SPARQL Update
(``LOAD``, ``INSERT``...) is refused too (403): pyoxigraph's query parser rejects it, and the
server says why.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import islice
from typing import Any

import mimeparse
import pyoxigraph as ox
from pyparsing import ParseBaseException
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

from ftgraph.engine import XSD, QuerySyntaxError, check_nesting, check_syntax
from ftgraph.namespaces import PREFIXES
from ftgraph.server_pool import ClientError

__all__ = [
    "GRAPH_FORMATS",
    "RESULT_FORMATS",
    "SD_PREFIXES",
    "Answer",
    "Format",
    "SparqlJob",
    "check_read_only",
    "negotiate",
    "not_a_query",
    "service_description",
]

_W3_FORMATS = "http://www.w3.org/ns/formats/"


@dataclass(frozen=True)
class Format:
    """A response format: its media types (the first is sent), ``format`` parameter values and the
    pyoxigraph serialiser."""

    name: str
    media_types: tuple[str, ...]
    aliases: tuple[str, ...]
    w3_format: str  #: its IRI in http://www.w3.org/ns/formats/ (service description)
    label: str  #: its name for people
    results: ox.QueryResultsFormat | None = None
    rdf: ox.RdfFormat | None = None

    @property
    def media_type(self) -> str:
        return self.media_types[0]

    @property
    def content_type(self) -> str:
        return self.media_type + ("; charset=utf-8" if self.media_type.startswith("text/") else "")


#: SELECT and ASK results, in order of preference (the first for ``*/*``).
RESULT_FORMATS = (
    Format("json", ("application/sparql-results+json", "application/json"), ("json",),
           _W3_FORMATS + "SPARQL_Results_JSON", "SPARQL JSON", results=ox.QueryResultsFormat.JSON),
    Format("xml", ("application/sparql-results+xml", "application/xml", "text/xml"), ("xml",),
           _W3_FORMATS + "SPARQL_Results_XML", "SPARQL XML", results=ox.QueryResultsFormat.XML),
    Format("csv", ("text/csv",), ("csv",), _W3_FORMATS + "SPARQL_Results_CSV", "CSV",
           results=ox.QueryResultsFormat.CSV),
    Format("tsv", ("text/tab-separated-values",), ("tsv",), _W3_FORMATS + "SPARQL_Results_TSV", "TSV",
           results=ox.QueryResultsFormat.TSV),
)

#: CONSTRUCT and DESCRIBE results (and entity descriptions), in order of preference.
GRAPH_FORMATS = (
    Format("turtle", ("text/turtle", "application/turtle", "application/x-turtle"), ("turtle", "ttl", "n3"),
           _W3_FORMATS + "Turtle", "Turtle", rdf=ox.RdfFormat.TURTLE),
    Format("ntriples", ("application/n-triples",), ("nt", "ntriples", "n-triples"), _W3_FORMATS + "N-Triples",
           "N-Triples", rdf=ox.RdfFormat.N_TRIPLES),
    Format("jsonld", ("application/ld+json", "application/x-json+ld"), ("jsonld", "json-ld", "json"),
           _W3_FORMATS + "JSON-LD", "JSON-LD", rdf=ox.RdfFormat.JSON_LD),
    Format("rdfxml", ("application/rdf+xml",), ("rdfxml", "rdf+xml", "rdf", "xml"), _W3_FORMATS + "RDF_XML", "RDF/XML",
           rdf=ox.RdfFormat.RDF_XML),
)

_BY_NAME = {fmt.name: fmt for fmt in (*RESULT_FORMATS, *GRAPH_FORMATS)}


def negotiate(formats: Sequence[Format], accept: str | None, requested: Iterable[str] = ()) -> Format | None:
    """The format to answer in: the first ``requested`` value (``format`` parameter: a name such as
    ``csv`` or a media type) that one of ``formats`` has, else the best match of the ``Accept`` header
    (q-values, wildcards, several types; ties go to the earlier format). None when nothing fits.

    The result's :attr:`Format.media_type` is the type the client named when it named one of the
    format's types (``application/json`` stays ``application/json``)."""
    requested = [value.strip().lower() for value in requested if value.strip()]
    if requested:
        for value in requested:
            for fmt in formats:
                if value in fmt.aliases:
                    return fmt
                if value in fmt.media_types:
                    return _answering_as(fmt, value)
        return None
    offered = [media_type for fmt in formats for media_type in fmt.media_types]
    try:
        # mimeparse resolves ties in favour of the *last* offered type: offer in reverse preference.
        best = mimeparse.best_match(offered[::-1], accept or "*/*")
    except mimeparse.MimeTypeParseException:
        return None
    chosen = next((fmt for fmt in formats if best in fmt.media_types), None)
    return _answering_as(chosen, best) if chosen is not None else None


def _answering_as(fmt: Format, media_type: str) -> Format:
    """``fmt`` with ``media_type`` (one of its types) first, so that the response is labelled with it."""
    return replace(fmt, media_types=(media_type, *(t for t in fmt.media_types if t != media_type)))


def not_acceptable(form: str, formats: Sequence[Format]) -> ClientError:
    names = ", ".join(f"{fmt.name} ({fmt.media_type})" for fmt in formats)
    return ClientError(406, f"{form} results are available as {names}: ask with the Accept header or the "
                            "format parameter")


# ---------------------------------------------------------------------------------- read-only guard

_CODEPOINT_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def _expand_codepoint_escapes(text: str) -> str:
    """``text`` with SPARQL's ``\\uXXXX`` / ``\\UXXXXXXXX`` escapes replaced by their characters (SPARQL
    applies them anywhere in a query, keywords included)."""
    def character(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        return chr(code) if code <= 0x10FFFF else match.group()

    return _CODEPOINT_ESCAPE.sub(character, text)


def _contains(tree: Any, name: str) -> bool:
    """True when a node called ``name`` occurs anywhere in an rdflib parse tree."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, CompValue):
            if node.name == name:
                return True
            stack.extend(node.values())
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list | tuple) or hasattr(node, "asList"):  # pyparsing ParseResults
            stack.extend(node)
    return False


def check_read_only(query: str) -> None:
    """Refuse a query that would make the server send a request elsewhere.

    A query holding ``SERVICE`` at any nesting level is refused (403); so is text that is not a query
    the checker can parse. A query whose text (escapes expanded, any case) does not contain the word
    ``service`` at all cannot hold a ``SERVICE`` clause and is not parsed: that keeps rdflib's slow
    parser off the common path.
    """
    if "service" in _expand_codepoint_escapes(query).casefold():
        _check_parsed(query)


@lru_cache(maxsize=1024)
def _check_parsed(query: str) -> None:
    try:
        tree = parseQuery(query)
    except ParseBaseException:
        raise not_a_query(query) from None
    except RecursionError:
        raise ClientError(400, "the query is nested too deeply to be checked") from None
    if _contains(tree, "ServiceGraphPattern"):
        raise ClientError(403, "SERVICE (federated query) is refused: this server sends no request elsewhere "
                               "because of a query")


def not_a_query(text: str) -> ClientError:
    """The error for text that is not a SPARQL 1.1 query: 403 for SPARQL Update (``LOAD`` named),
    400 with line and column for a syntax error."""
    try:
        update = parseUpdate(text)
    except (ParseBaseException, RecursionError):
        update = None
    if update is not None and update.request:
        operations = {operation.name for operation in update.request}
        what = "LOAD" if "Load" in operations else "SPARQL Update"
        return ClientError(403, f"{what} is refused: this endpoint is read-only")
    try:
        check_syntax(text)
    except QuerySyntaxError as exc:
        return ClientError(400, str(exc), {"line": exc.line, "column": exc.column})
    return ClientError(400, "the server cannot check this query for SERVICE (its SPARQL 1.1 parser rejects it), "
                            "so it does not run it; write it in plain SPARQL 1.1")


# ------------------------------------------------------------------------------------ query jobs

@dataclass(frozen=True)
class Answer:
    """A serialised result: the body, the name of its format and, when the row cap cut it, the cap."""

    body: bytes
    format_name: str
    truncated_at: int | None = None


def _term_json(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> dict[str, Any]:
    """One term in the SPARQL 1.1 (and 1.2, for triple terms) JSON results format."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD + "string":
            out["datatype"] = term.datatype.value
        return out
    return {"type": "triple", "value": {"subject": _term_json(term.subject),
                                        "predicate": _term_json(term.predicate),
                                        "object": _term_json(term.object)}}


def serialize_solutions(variables: Sequence[str], rows: Sequence[ox.QuerySolution], fmt: Format) -> bytes:
    """Rows of a SELECT in ``fmt`` (written as SPARQL JSON, re-read by pyoxigraph for the others)."""
    bindings = [{name: _term_json(term) for name, term in zip(variables, row, strict=True) if term is not None}
                for row in rows]
    body = json.dumps({"head": {"vars": list(variables)}, "results": {"bindings": bindings}},
                      ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if fmt.results == ox.QueryResultsFormat.JSON:
        return body
    return _results_bytes(ox.parse_query_results(body, ox.QueryResultsFormat.JSON), fmt)


def _results_bytes(result: ox.QuerySolutions | ox.QueryBoolean, fmt: Format) -> bytes:
    assert fmt.results is not None
    body = result.serialize(format=fmt.results)
    assert body is not None  # without an output file, pyoxigraph returns the bytes
    return body


def serialize_triples(triples: Sequence[ox.Triple], fmt: Format, prefixes: dict[str, str] | None = None) -> bytes:
    """Triples in ``fmt`` (Turtle: with those of ``prefixes`` that the triples use)."""
    assert fmt.rdf is not None
    used = None
    if prefixes and fmt.rdf == ox.RdfFormat.TURTLE:
        text = "\n".join(map(str, triples))
        used = {prefix: namespace for prefix, namespace in prefixes.items() if f"<{namespace}" in text}
    body = ox.serialize(triples, format=fmt.rdf, prefixes=used)
    assert body is not None
    return body


def project_prefixes() -> dict[str, str]:
    """The project's prefixes for Turtle output (data IRIs stay whole: their paths contain '/')."""
    return {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}


def _named_nodes(iris: Sequence[str], parameter: str) -> list[ox.NamedNode]:
    try:
        return [ox.NamedNode(iri) for iri in iris]
    except ValueError:
        raise ClientError(400, f"{parameter}: not a valid IRI") from None


@dataclass(frozen=True)
class SparqlJob:
    """One SPARQL query, checked, run on the store and serialised in a worker.

    ``results_format`` / ``graph_format``: the negotiated format names for SELECT/ASK and for
    CONSTRUCT/DESCRIBE (None: the client accepts none, answered 406 once the form is known).
    """

    query: str
    results_format: str | None
    graph_format: str | None
    max_rows: int
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()

    def __call__(self, store: ox.Store) -> Answer:
        try:
            check_nesting(self.query)  # deeper, pyoxigraph's parser would crash the worker
        except QuerySyntaxError as exc:
            raise ClientError(400, str(exc)) from None
        check_read_only(self.query)
        options: dict[str, Any] = {}
        if self.default_graphs:
            options["default_graph"] = _named_nodes(self.default_graphs, "default-graph-uri")
        if self.named_graphs:
            options["named_graphs"] = _named_nodes(self.named_graphs, "named-graph-uri")
        try:
            result = store.query(self.query, **options)
        except SyntaxError:
            raise not_a_query(self.query) from None
        graph = isinstance(result, ox.QueryTriples)
        name = self.graph_format if graph else self.results_format
        if name is None:
            form = "CONSTRUCT/DESCRIBE" if graph else "SELECT/ASK"
            raise not_acceptable(form, GRAPH_FORMATS if graph else RESULT_FORMATS)
        return self._serialize(result, _BY_NAME[name])

    def _serialize(self, result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples, fmt: Format) -> Answer:
        if isinstance(result, ox.QueryBoolean):
            return Answer(_results_bytes(result, fmt), fmt.name)
        if isinstance(result, ox.QuerySolutions):
            variables = [variable.value for variable in result.variables]
            rows = list(islice(result, self.max_rows + 1))
            body = serialize_solutions(variables, rows[:self.max_rows], fmt)
            return Answer(body, fmt.name, self.max_rows if len(rows) > self.max_rows else None)
        triples = list(islice(result, self.max_rows + 1))
        body = serialize_triples(triples[:self.max_rows], fmt, project_prefixes())
        return Answer(body, fmt.name, self.max_rows if len(triples) > self.max_rows else None)


# ----------------------------------------------------------------------------- service description

_SD = "http://www.w3.org/ns/sparql-service-description#"
SD_PREFIXES = {"sd": _SD, "void": "http://rdfs.org/ns/void#", "formats": _W3_FORMATS}
_RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


def service_description(endpoint: str, triples: int) -> list[ox.Triple]:
    """The SPARQL 1.1 Service Description of this endpoint: query language, result formats, the
    default graph's size; no ``sd:BasicFederatedQuery`` and no update language, on purpose."""
    service, dataset, graph = ox.BlankNode("service"), ox.BlankNode("dataset"), ox.BlankNode("default-graph")

    def sd(name: str) -> ox.NamedNode:
        return ox.NamedNode(_SD + name)

    out = [
        ox.Triple(service, _RDF_TYPE, sd("Service")),
        ox.Triple(service, sd("endpoint"), ox.NamedNode(endpoint)),
        ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Query")),
        ox.Triple(service, sd("defaultDataset"), dataset),
        ox.Triple(dataset, _RDF_TYPE, sd("Dataset")),
        ox.Triple(dataset, sd("defaultGraph"), graph),
        ox.Triple(graph, _RDF_TYPE, sd("Graph")),
        ox.Triple(graph, ox.NamedNode("http://rdfs.org/ns/void#triples"),
                  ox.Literal(str(triples), datatype=ox.NamedNode(XSD + "integer"))),
    ]
    out += [ox.Triple(service, sd("resultFormat"), ox.NamedNode(fmt.w3_format))
            for fmt in (*RESULT_FORMATS, *GRAPH_FORMATS)]
    return out
