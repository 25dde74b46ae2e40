"""The SPARQL endpoint and linked-data server (``ftgraph serve``), started by the tests on free
loopback ports: SPARQLWrapper and plain HTTP as clients, a local TCP listener to prove that no
request leaves the server because of a query.

Two servers: ``real`` serves the curated graph (default options); ``tiny`` serves a small graph the
test writes, under another base IRI, with a 2 s timeout, 2 workers, a 50-row cap and a 4 KiB request
cap (timeouts, caps, escaping).
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import PROV, RDFS
from SPARQLWrapper import CSV, JSON, JSONLD, N3, POST, POSTDIRECTLY, RDFXML, TSV, TURTLE, XML, SPARQLWrapper

from ftgraph import query
from ftgraph.build import GRAPH_NT, BuiltGraph, to_sorted_ntriples
from ftgraph.cli import cli
from ftgraph.engine import (
    EmbeddedEngine,
    QuerySyntaxError,
    RemoteEngine,
    ResultsTruncated,
    check_syntax,
    store_from_graph,
)
from ftgraph.namespaces import DEFAULT_BASE_IRI
from ftgraph.server import library_entries
from ftgraph.server_bench import BenchReport, ServerProcess, bench_queries, load, report_markdown

BASE = Namespace(DEFAULT_BASE_IRI)
ATOS = BASE["org/atos"]
TINY = Namespace("https://data.example.org/")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
#: A label written to run script if it ever became markup.
HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
ATOS_LABEL = f"SELECT ?label WHERE {{ <{ATOS}> <{RDFS.label}> ?label }}"
ATOS_CONSTRUCT = f"CONSTRUCT {{ <{ATOS}> ?p ?o }} WHERE {{ <{ATOS}> ?p ?o }}"


# ----------------------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def real_out(built: BuiltGraph, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("real-out")
    (out / GRAPH_NT).write_text(to_sorted_ntriples(built.combined), encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def real(real_out: Path) -> Iterator[str]:
    """Base URL of a server on the curated graph."""
    with ServerProcess.ftgraph(real_out, "--workers", "2") as server:
        yield server.url


def claim(node: URIRef, value: str, source: URIRef, preferred: str, note: str) -> list[str]:
    """N-Triples of a statement node about thing/xss's founding date."""
    rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    lines = [f"<{node}> <{rdf}type> <{rdf}Statement> .", f"<{node}> <{rdf}subject> <{TINY['thing/xss']}> .",
             f"<{node}> <{rdf}predicate> <http://schema.org/foundingDate> .", f"<{node}> <{rdf}object> {value} .",
             f"<{node}> <{PROV.wasDerivedFrom}> <{source}> .",
             f'<{node}> <https://w3id.org/ftgraph/ontology#preferred> "{preferred}"'
             f"^^<http://www.w3.org/2001/XMLSchema#boolean> ."]
    return lines + ([f'<{node}> <{RDFS.comment}> "{note}" .'] if note else [])


def write_tiny_graph(out: Path) -> Path:
    """A small graph under https://data.example.org/: a hostile label, a source, 300 filler triples."""
    lines = [
        f'<{TINY["thing/xss"]}> <{RDFS.label}> {json.dumps(HOSTILE)} .',
        f"<{TINY['thing/xss']}> <{PROV.wasDerivedFrom}> <{TINY['source/s1']}> .",
        f'<{TINY["source/s1"]}> <http://purl.org/dc/terms/title> "<b>not bold</b>" .',
        f"<{TINY['source/s1']}> <http://schema.org/url> <javascript:alert(1)> .",
        f"<{TINY['thing/other']}> <http://www.w3.org/ns/org#memberOf> <{TINY['thing/xss']}> .",
        f'<{TINY["thing/other"]}> <{RDFS.label}> "Other thing" .',
        # A field with per-field sources and a conflict (see docs/data-format.md): 2008 preferred, by s2;
        # 2009 given by s3 only.
        f'<{TINY["thing/xss"]}> <http://schema.org/foundingDate> "2008" .',
        *claim(TINY["thing/xss/claim/founded/1"], '"2008"', TINY["source/s2"], "true", ""),
        *claim(TINY["thing/xss/claim/founded/2"], '"2009"', TINY["source/s3"], "false", "the registry says 2009"),
        f'<{TINY["source/s2"]}> <http://purl.org/dc/terms/title> "Second source" .',
        f'<{TINY["source/s3"]}> <http://purl.org/dc/terms/title> "Third source" .',
    ]
    lines += [f"<{TINY[f'filler/{i}']}> <{TINY['p']}> \"{i}\" ." for i in range(300)]
    out.mkdir(parents=True, exist_ok=True)
    (out / GRAPH_NT).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    out = write_tiny_graph(tmp_path_factory.mktemp("tiny-out"))
    with ServerProcess.ftgraph(out, "--base-iri", str(TINY), "--timeout", "2", "--workers", "2",
                               "--max-rows", "50", "--max-request-bytes", "4096") as server:
        yield server.url


class Listener:
    """A TCP listener on loopback that records every connection made to it."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}/sparql"
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.connections += 1
            connection.close()


@pytest.fixture()
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.socket.close()


def http(url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None,
         method: str | None = None) -> tuple[int, dict[str, str], bytes]:
    """Status, headers (lower-case names) and body of one request; HTTP errors are answers too."""
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def post_query(base: str, text: str, accept: str = "*/*", **params: str) -> tuple[int, dict[str, str], bytes]:
    body = urlencode({"query": text, **params}).encode()
    return http(base + "sparql", data=body, headers={"Accept": accept,
                                                     "Content-Type": "application/x-www-form-urlencoded"})


def wrapper(base: str, text: str, return_format: str, method: str = POST) -> SPARQLWrapper:
    client = SPARQLWrapper(base + "sparql")
    client.setQuery(text)
    client.setReturnFormat(return_format)
    client.setMethod(method)
    client.setTimeout(30)
    return client


def parsed(body: bytes, fmt: str) -> Graph:
    return Graph().parse(data=body, format=fmt)


# ------------------------------------------------------------------------- protocol and formats

def test_service_description_without_a_query(real: str, built: BuiltGraph) -> None:
    status, headers, body = http(real + "sparql", headers={"Accept": "text/turtle"})
    assert status == 200 and headers["content-type"].startswith("text/turtle")
    graph = parsed(body, "turtle")
    service = next(graph.subjects(predicate=SD.endpoint))
    assert graph.value(service, SD.endpoint) == URIRef(real + "sparql")
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert (None, SD.feature, SD.BasicFederatedQuery) not in graph  # no federation, on purpose
    assert (None, SD.supportedLanguage, SD.SPARQL11Update) not in graph
    count = next(graph.objects(predicate=URIRef("http://rdfs.org/ns/void#triples")))
    assert int(count) == len(built.combined)
    status, headers, _ = http(real + "sparql", headers={"Accept": "text/html"})
    assert status == 200 and headers["content-type"].startswith("text/html")  # redirected to the query page


@pytest.mark.parametrize("return_format", [JSON, XML, CSV, TSV])
@pytest.mark.parametrize("method", ["GET", POST, POSTDIRECTLY])
def test_select_in_every_result_format_and_method(real: str, return_format: str, method: str) -> None:
    client = wrapper(real, ATOS_LABEL, return_format)
    if method == POSTDIRECTLY:
        client.setRequestMethod(POSTDIRECTLY)
    else:
        client.setMethod(method)
    result = client.query()
    converted = result.convert()
    if return_format == JSON:
        assert [b["label"]["value"] for b in converted["results"]["bindings"]] == ["Atos"]
    elif return_format == XML:
        assert [node.firstChild.data for node in converted.getElementsByTagName("literal")] == ["Atos"]
    else:
        separator = "," if return_format == CSV else "\t"
        lines = converted.decode("utf-8").strip().splitlines()
        assert lines[0].lstrip("?") == "label" and lines[1].strip('"') == "Atos"
        assert separator not in lines[1]


@pytest.mark.parametrize("return_format", [JSON, XML])
def test_ask_in_json_and_xml(real: str, return_format: str) -> None:
    converted = wrapper(real, f"ASK {{ <{ATOS}> ?p ?o }}", return_format).query().convert()
    if return_format == JSON:
        assert converted["boolean"] is True
    else:
        assert converted.getElementsByTagName("boolean")[0].firstChild.data == "true"


@pytest.mark.parametrize("return_format", [TURTLE, N3, RDFXML, JSONLD])
@pytest.mark.parametrize("form", ["CONSTRUCT", "DESCRIBE"])
def test_construct_and_describe_in_every_rdf_format(real: str, return_format: str, form: str) -> None:
    text = ATOS_CONSTRUCT if form == "CONSTRUCT" else f"DESCRIBE <{ATOS}>"
    converted = wrapper(real, text, return_format).query().convert()
    graph = converted if isinstance(converted, Graph) else parsed(converted, "turtle")
    assert (ATOS, RDFS.label, Literal("Atos")) in graph
    assert any(graph.objects(ATOS, PROV.wasDerivedFrom))


def test_accept_headers_with_q_values_and_several_types(real: str) -> None:
    cases = [
        (ATOS_LABEL, "text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
        (ATOS_LABEL, "application/sparql-results+json,text/turtle", "application/sparql-results+json"),
        (ATOS_CONSTRUCT, "application/sparql-results+json,text/turtle", "text/turtle"),
        (ATOS_CONSTRUCT, "application/ld+json;q=0.4, application/n-triples;q=0.8", "application/n-triples"),
        (ATOS_LABEL, "*/*", "application/sparql-results+json"),
        (ATOS_CONSTRUCT, "*/*", "text/turtle"),
        (ATOS_LABEL, "text/*", "text/xml"),  # the first format with a text/ type: XML results
        (ATOS_LABEL, "application/json", "application/json"),  # JSON results, labelled as asked
    ]
    for text, accept, expected in cases:
        status, headers, _ = post_query(real, text, accept)
        assert status == 200 and headers["content-type"].split(";")[0] == expected, accept
        assert "Accept" in headers["vary"]


def test_the_format_parameter_wins_over_accept(real: str) -> None:
    status, headers, body = post_query(real, ATOS_LABEL, "application/sparql-results+json", format="tsv")
    assert status == 200 and headers["content-type"].startswith("text/tab-separated-values")
    assert body.decode().splitlines()[1] == '"Atos"'
    status, headers, _ = post_query(real, ATOS_CONSTRUCT, format="application/ld+json")
    assert status == 200 and headers["content-type"] == "application/ld+json"


def test_unacceptable_formats_get_406_naming_the_available_ones(real: str) -> None:
    status, _, body = post_query(real, ATOS_LABEL, "text/turtle")
    assert status == 406 and b"csv (text/csv)" in body
    status, _, body = post_query(real, ATOS_CONSTRUCT, format="csv")
    assert status == 406 and b"turtle (text/turtle)" in body


# ------------------------------------------------------------------------------ the query library

def library_cases() -> list[str]:
    return [entry.name for entry in library_entries(DEFAULT_BASE_IRI) if not entry.required]


def comparable(solutions: Any) -> list[tuple[str, ...]]:
    """Rows as sorted tuples of term strings (blank nodes made anonymous)."""
    names = [variable.value for variable in solutions.variables]
    rows = [tuple("_:b" if isinstance(row[name], ox.BlankNode) else str(row[name]) for name in names)
            for row in solutions]
    return sorted(rows)


@pytest.fixture(scope="module")
def engine(built: BuiltGraph) -> EmbeddedEngine:
    return EmbeddedEngine(store_from_graph(built.combined))


@pytest.mark.parametrize("name", library_cases())
def test_every_library_query_gives_the_embedded_engine_s_answer(real: str, engine: EmbeddedEngine,
                                                                 name: str) -> None:
    entry = next(entry for entry in library_entries(DEFAULT_BASE_IRI) if entry.name == name)
    expected = query.run(name, engine=engine)
    if isinstance(expected, ox.QueryTriples):
        body = wrapper(real, entry.text, TURTLE).query().response.read()
        assert set(map(str, ox.parse(body, format=ox.RdfFormat.TURTLE))) == {
            str(ox.Quad(t.subject, t.predicate, t.object)) for t in expected}
    elif isinstance(expected, ox.QueryBoolean):
        assert wrapper(real, entry.text, JSON).query().convert()["boolean"] is bool(expected)
    else:
        body = wrapper(real, entry.text, JSON).query().response.read()
        assert comparable(ox.parse_query_results(body, ox.QueryResultsFormat.JSON)) == comparable(expected)


def test_the_query_page_offers_every_library_query_with_its_defaults_bound(real: str) -> None:
    status, headers, body = http(real, headers={"Accept": "text/html"})
    assert status == 200 and "script-src 'self'" in headers["content-security-policy"]
    page = body.decode()
    data = json.loads(re.search(r'<script type="application/json" id="page-data">(.*?)</script>', page, re.S)[1])
    assert {entry["name"] for entry in data["library"]} == set(query.library())
    decision = next(entry for entry in data["library"] if entry["name"] == "decision-awards")
    assert f"<{BASE['event/labelling-decision-2014-11-12']}>" in decision["text"]  # default bound as a term
    assert not re.search(r'<(script|link)[^>]+(src|href)="(https?:)?//', page)  # nothing from elsewhere


# ------------------------------------------------------------------------------------- read-only

def test_updates_are_refused_with_403(real: str) -> None:
    insert = f'INSERT DATA {{ <{ATOS}> <{RDFS.label}> "pwned" }}'
    client = SPARQLWrapper(real + "sparql")
    client.setQuery(insert)
    client.setMethod(POST)
    with pytest.raises(urllib.error.HTTPError) as refused:
        client.query()
    assert refused.value.code == 403
    for data, content_type in [(insert.encode(), "application/sparql-update"),
                               (urlencode({"update": insert}).encode(), "application/x-www-form-urlencoded"),
                               (urlencode({"query": insert}).encode(), "application/x-www-form-urlencoded")]:
        status, _, body = http(real + "sparql", data=data, headers={"Content-Type": content_type})
        assert status == 403 and b"read-only" in body
    status, _, body = post_query(real, f'ASK {{ <{ATOS}> <{RDFS.label}> "pwned" }}', "application/json")
    assert status == 200 and json.loads(body)["boolean"] is False


@pytest.mark.parametrize("text", [
    "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ ?s ?p ?o OPTIONAL {{ SERVICE SILENT <{url}> {{ ?s ?q ?r }} }} }} LIMIT 1",
    "SELECT * WHERE {{ {{ SELECT ?s WHERE {{ {{ SELECT ?s WHERE {{ service <{url}> {{ ?s ?p ?o }} }} }} }} }} }}",
    "SELECT * WHERE {{ ?s ?p ?o FILTER EXISTS {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }} LIMIT 1",
    "SELECT * WHERE {{ ?s ?p ?o MINUS {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }} LIMIT 1",
    "SELECT * WHERE {{ {{ ?s ?p ?o }} UNION {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }} LIMIT 1",
    "SELECT ?x WHERE {{ BIND(EXISTS {{ SERVICE <{url}> {{ ?a ?b ?c }} }} AS ?x) }}",
    "SELECT * WHERE {{ VALUES ?endpoint {{ <{url}> }} SERVICE ?endpoint {{ ?s ?p ?o }} }}",
    "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SeRvIcE <{url}> {{ ?s ?p ?o }} }}",
    "ASK {{ GRAPH ?g {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }}",
    "SELECT * WHERE {{ \\u0053ERVICE <{url}> {{ ?s ?p ?o }} }}",
])
def test_service_is_refused_at_every_nesting_level_and_nothing_is_sent(real: str, listener: Listener,
                                                                       text: str) -> None:
    status, _, body = post_query(real, text.format(url=listener.url), "application/json")
    assert status == 403 and "SERVICE" in json.loads(body)["error"]
    time.sleep(0.2)
    assert listener.connections == 0


def test_the_listener_would_see_what_pyoxigraph_sends(listener: Listener) -> None:
    """The control: run directly, pyoxigraph does call the SERVICE endpoint (hence the guard)."""
    with pytest.raises(OSError):
        list(ox.Store().query(f"SELECT * WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}"))
    deadline = time.monotonic() + 5
    while listener.connections == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert listener.connections >= 1


def test_load_is_refused_and_reads_nothing(real: str, listener: Listener) -> None:
    for text in ("LOAD <file:///etc/passwd>", f"LOAD SILENT <{listener.url}> INTO GRAPH <urn:x:g>"):
        status, _, body = http(real + "sparql", data=urlencode({"update": text}).encode(),
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 403 and b"read-only" in body
        status, _, body = post_query(real, text)
        assert status == 403 and body.startswith(b"LOAD is refused")
    time.sleep(0.2)
    assert listener.connections == 0


# ---------------------------------------------------------------------------------- errors, caps

def test_a_syntax_error_is_a_short_answer_with_line_and_column(real: str) -> None:
    text = "SELECT ?s\nWHERE { ?s ?p }"
    with pytest.raises(QuerySyntaxError) as expected:
        check_syntax(text)
    status, headers, body = post_query(real, text, "application/sparql-results+json")
    assert status == 400 and headers["content-type"] == "application/json"
    error = json.loads(body)
    assert (error["line"], error["column"]) == (2, expected.value.column)
    assert error["error"].startswith("syntax error at line 2")
    status, headers, body = post_query(real, "SELECT ?s WHERE { ?s ?p }", "text/csv")
    assert status == 400 and headers["content-type"].startswith("text/plain")
    assert len(body) < 400 and b"Traceback" not in body


def test_bad_requests_are_refused_without_traceback(tiny: str) -> None:
    cases = [
        http(tiny + "sparql", data=b"", headers={"Content-Type": "application/x-www-form-urlencoded"}),  # no query
        http(tiny + "sparql", data=b"ASK {}", headers={"Content-Type": "text/plain"}),  # unknown body type
        http(tiny + "sparql", data=urlencode({"query": "ASK {}" + " " * 5000}).encode(),
             headers={"Content-Type": "application/x-www-form-urlencoded"}),  # body over the 4 KiB cap
        http(tiny + "sparql?" + urlencode({"query": "ASK {}" + " " * 5000})),  # URL over the cap
        http(tiny + "sparql?" + urlencode([("query", "ASK {}"), ("query", "ASK {}")])),  # two queries
        http(tiny + "sparql", data=b"\xff\xfe", headers={"Content-Type": "application/sparql-query"}),  # not UTF-8
        http(tiny + "sparql", method="DELETE"),
    ]
    assert [status for status, _, _ in cases] == [400, 415, 413, 414, 400, 400, 405]
    assert all(b"Traceback" not in body and len(body) < 500 for _, _, body in cases)


def test_results_are_cut_at_the_row_cap_and_say_so(tiny: str) -> None:
    status, headers, body = post_query(tiny, "SELECT * WHERE { ?s ?p ?o }", "application/sparql-results+json")
    assert status == 200 and headers["x-sparql-maxrows"] == "50"
    assert len(json.loads(body)["results"]["bindings"]) == 50
    status, headers, body = post_query(tiny, "CONSTRUCT WHERE { ?s ?p ?o }", "application/n-triples")
    assert headers["x-sparql-maxrows"] == "50" and len(body.splitlines()) == 50
    status, headers, _ = post_query(tiny, "SELECT * WHERE { ?s ?p ?o } LIMIT 10")
    assert "x-sparql-maxrows" not in headers
    with pytest.raises(ResultsTruncated):  # the query engine's remote client notices the cut
        RemoteEngine(tiny + "sparql").select("SELECT * WHERE { ?s ?p ?o }")


def test_a_slow_query_is_stopped_while_other_clients_get_answers(tiny: str) -> None:
    def timed(text: str) -> tuple[int, float]:
        started = time.monotonic()
        status, _, _ = post_query(tiny, text, "application/json")
        return status, time.monotonic() - started

    with ThreadPoolExecutor(4) as pool:
        slow = pool.submit(timed, SLOW)
        time.sleep(0.3)
        quick = [timed("ASK { ?s ?p ?o }") for _ in range(5)]
        status, seconds = slow.result()
    assert status == 503 and 2 <= seconds < 5
    assert all(answer == 200 and latency < 1.5 for answer, latency in quick)
    # Both workers busy with slow queries, both stopped at the limit: if the work went on, a next
    # query would find no free worker and fail after 2 s too.
    with ThreadPoolExecutor(2) as pool:
        statuses = [future.result()[0] for future in [pool.submit(timed, SLOW) for _ in range(2)]]
    assert statuses == [503, 503]
    status, seconds = timed("ASK { ?s ?p ?o }")
    assert status == 200 and seconds < 2


def test_a_client_that_goes_away_gets_its_query_stopped(tiny: str) -> None:
    host, port = tiny.split("//")[1].rstrip("/").split(":")
    body = urlencode({"query": SLOW}).encode()
    request = (f"POST /sparql HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
               f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    clients = [socket.create_connection((host, int(port))) for _ in range(2)]  # both workers busy
    for client in clients:
        client.sendall(request)
    time.sleep(0.4)
    for client in clients:
        client.close()
    started = time.monotonic()
    status, _, _ = post_query(tiny, "ASK { ?s ?p ?o }")
    # Had the two slow queries gone on, this one would wait for the 2 s limit to stop them.
    assert status == 200 and time.monotonic() - started < 1.2


# ---------------------------------------------------------------------------------- linked data

@pytest.mark.parametrize(("accept", "fmt"), [("text/turtle", "turtle"), ("application/n-triples", "nt"),
                                             ("application/ld+json", "json-ld"), ("application/rdf+xml", "xml")])
def test_an_entity_iri_gives_its_description_to_rdf_clients(real: str, accept: str, fmt: str) -> None:
    status, headers, body = http(real + "org/atos", headers={"Accept": accept})
    assert status == 200 and headers["content-type"].split(";")[0] == accept
    assert "Accept" in headers["vary"] and headers["content-location"].startswith("/org/atos.")
    graph = parsed(body, fmt)
    assert (ATOS, RDFS.label, Literal("Atos")) in graph
    assert any(graph.objects(ATOS, PROV.wasDerivedFrom))
    assert (BASE["event/visit-axelle-lemaire-grenoble-2014-09-12"], PROV.wasAssociatedWith, ATOS) in graph


def test_format_suffixes_and_unknown_entities(real: str) -> None:
    status, headers, body = http(real + "person/axelle-lemaire.nt")
    assert status == 200 and headers["content-type"] == "application/n-triples"
    assert (BASE["person/axelle-lemaire"], RDFS.label, Literal("Axelle Lemaire")) in parsed(body, "nt")
    status, _, body = http(real + "org/no-such-org", headers={"Accept": "text/turtle"})
    assert status == 404 and b"no entity" in body
    status, headers, body = http(real + "org/no-such-org", headers={"Accept": "text/html"})
    assert status == 404 and headers["content-type"].startswith("text/html")
    status, _, body = http(real + "org/not{an}iri", headers={"Accept": "text/turtle"})
    assert status == 404 and b"no entity" in body


def test_entity_iris_of_every_class_resolve(real: str, engine: EmbeddedEngine) -> None:
    """One IRI of each class of the data (organisations, memberships, statements, intervals,
    participations, sources...) answers by its path."""
    iris = [row["entity"] for row in engine.select(f"""
        SELECT ?class (SAMPLE(?s) AS ?entity) WHERE {{ ?s a ?class FILTER(STRSTARTS(STR(?s), "{BASE}")) }}
        GROUP BY ?class""")]
    assert len(iris) >= 20
    for iri in iris:
        status, _, body = http(real + str(iri)[len(BASE):], headers={"Accept": "application/n-triples"})
        assert status == 200 and f"<{iri}>".encode() in body, iri


def test_hash_iris_of_the_ontology_resolve_to_anchors(real: str) -> None:
    status, _, body = http(real + "ontology", headers={"Accept": "text/html"})
    page = body.decode()
    assert status == 200 and 'id="Startup"' in page and 'id="Ecosystem"' in page
    status, _, body = http(real + "ontology.ttl")
    assert (URIRef("https://w3id.org/ftgraph/ontology#Startup"), RDFS.label, None) in parsed(body, "turtle")


def test_the_html_page_shows_facts_with_their_sources(real: str) -> None:
    status, headers, body = http(real + "org/atos", headers={"Accept": "text/html,*/*;q=0.8"})
    page = body.decode()
    assert status == 200 and '<h1 id="label">Atos</h1>' in page
    assert "default-src 'none'" in headers["content-security-policy"]
    assert re.search(r'<td class="value"><span class="literal">ATOS</span></td><td class="sources">'
                     r'(<a class="ref" href="#source-\d+">\[\d+\]</a>)+</td>', page)
    assert 'id="source-1"' in page and 'rel="noopener noreferrer"' in page
    assert 'href="/event/visit-axelle-lemaire-grenoble-2014-09-12"' in page  # incoming link, on this server


def test_each_fact_cites_its_own_sources_and_conflicting_values_are_shown(tiny: str) -> None:
    status, _, body = http(tiny + "thing/xss", headers={"Accept": "text/html"})
    page = body.decode()
    assert status == 200
    numbers = {title: number for number, title in
               re.findall(r'<li id="source-(\d+)"[^>]*><a href="[^"]*" title="[^"]*">([^<]+)</a>', page)}
    assert set(numbers) == {"&lt;b&gt;not bold&lt;/b&gt;", "Second source", "Third source"}

    def cited(row_pattern: str) -> set[str]:
        row = re.search(row_pattern + r'.*?<td class="sources">(.*?)</td>', page, re.S)
        assert row is not None, row_pattern
        return set(re.findall(r"\[(\d+)\]", row[1]))

    # The founding date's own statement cites s2; the label has no statement: the record's source s1.
    assert cited(r"schema:foundingDate</a></td><td class=\"value\"><span class=\"literal\">2008") == {
        numbers["Second source"]}
    assert cited(r"rdfs:label</a></td>") == {numbers["&lt;b&gt;not bold&lt;/b&gt;"]}
    claims = page[page.index('id="claims"'):]
    assert "2009" in claims and "the registry says 2009" in claims
    assert cited(r'id="claims".*?2009') == {numbers["Third source"]}


def test_another_base_iri_is_served_by_its_paths(tiny: str) -> None:
    status, _, body = http(tiny + "thing/other", headers={"Accept": "text/turtle"})
    assert status == 200
    assert (TINY["thing/other"], URIRef("http://www.w3.org/ns/org#memberOf"), TINY["thing/xss"]) in parsed(
        body, "turtle")


def test_data_never_becomes_markup(tiny: str) -> None:
    status, _, body = http(tiny + "thing/xss", headers={"Accept": "text/html"})
    page = body.decode()
    assert status == 200 and "<script>window" not in page and "<img src=x" not in page
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in page
    assert "&lt;b&gt;not bold&lt;/b&gt;" in page
    assert 'href="javascript:' not in page


# --------------------------------------------------------------------------------- CLI and bench

def test_serve_reports_bad_options_clearly(tmp_path: Path) -> None:
    def serve(*args: str) -> Any:
        return CliRunner().invoke(cli, ["serve", "--out", str(tmp_path), *args])

    result = serve("--port", "0")
    assert result.exit_code != 0 and "no built graph" in result.output and result.exception is not None
    assert isinstance(result.exception, SystemExit)  # a message, not a traceback
    result = serve("--base-iri", "https://example.org/data#")
    assert result.exit_code != 0 and "must end with '/'" in result.output
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = str(busy.getsockname()[1])
        result = serve("--port", port)
    assert result.exit_code != 0 and f"cannot listen on 127.0.0.1:{port}" in result.output


def test_a_short_load_run_counts_requests_and_latencies(real: str) -> None:
    queries = bench_queries(DEFAULT_BASE_IRI)[:4]
    result = load(real, "/sparql", queries, clients=3, duration=1.5, timeout=30, server="ftgraph serve")
    assert result.requests > 3 and not result.errors
    assert 0 < result.percentile(0.5) <= result.percentile(0.95)
    assert result.throughput > 0
    table = report_markdown(BenchReport({"ftgraph serve": {q.name: 1 for q in queries}}, [result]))
    assert table.splitlines()[2].startswith("| 4 queries | ftgraph serve | 3 |")
