"""The embedded store (persisted, rebuilt, repaired), parameter binding and the remote engine's errors."""

from __future__ import annotations

import contextlib
import datetime as dt
import http.server
import json
import os
import socket
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import ClassVar

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import Literal, URIRef

import ftgraph
from ftgraph import query
from ftgraph.build import BuiltGraph
from ftgraph.cli import cli
from ftgraph.engine import (
    STORE_DIR,
    Credentials,
    EmbeddedEngine,
    EndpointError,
    QuerySyntaxError,
    RemoteEngine,
    ResultsTruncated,
    UnknownParameter,
    bind_parameters,
    check_syntax,
    engine_for,
    load_store,
    open_store,
    rdflib_graph,
    redact,
    store_from_graph,
    to_python,
    to_term,
)
from ftgraph.errors import FtgraphError

EX = "http://example.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"
SMALL = f"""<{EX}a> <{EX}p> "1"^^<{XSD}integer> .
<{EX}a> <{EX}name> "Alpha" .
<{EX}b> <{EX}p> "2"^^<{XSD}integer> .
<{EX}b> <{EX}name> "Beta"@fr .
"""


def write_graph(out: Path, text: str = SMALL) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / "graph.nt"
    path.write_text(text, encoding="utf-8")
    return path


def names(store: ox.Store) -> list[str]:
    return sorted(str(row["n"]) for row in EmbeddedEngine(store).select(f"SELECT ?n WHERE {{ ?s <{EX}name> ?n }}"))


# ------------------------------------------------------------------------------------------ stores

def test_store_from_graph_holds_the_graph_in_its_default_graph(built: BuiltGraph) -> None:
    store = store_from_graph(built.combined)
    assert len(store) == len(built.combined)
    assert not list(store.named_graphs())
    spartoo = ox.NamedNode("https://w3id.org/ftgraph/org/spartoo")
    assert ox.Quad(spartoo, ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"), ox.Literal("Spartoo"),
                   ox.DefaultGraph()) in store


def test_store_from_an_oxigraph_backed_graph_is_a_copy() -> None:
    inner = ox.Store()
    inner.load(SMALL.encode(), ox.RdfFormat.N_TRIPLES)
    graph = rdflib_graph(inner)
    assert len(graph) == 4
    copy = store_from_graph(graph)
    copy.add(ox.Quad(ox.NamedNode(EX + "c"), ox.NamedNode(EX + "p"), ox.Literal("3")))
    assert (len(copy), len(inner)) == (5, 4)


def test_open_store_builds_once_and_reuses_the_store(tmp_path: Path) -> None:
    write_graph(tmp_path)
    store = open_store(tmp_path)
    assert names(store) == ["Alpha", "Beta"]
    manifest = json.loads((tmp_path / STORE_DIR / "manifest.json").read_text())
    assert manifest["triples"] == 4
    del store
    db_inode = (tmp_path / STORE_DIR / "db").stat().st_ino
    assert names(open_store(tmp_path)) == ["Alpha", "Beta"]
    assert (tmp_path / STORE_DIR / "db").stat().st_ino == db_inode  # not rebuilt


def test_open_store_keeps_the_store_when_graph_nt_is_rewritten_identically(tmp_path: Path) -> None:
    graph_nt = write_graph(tmp_path)
    open_store(tmp_path)
    db_inode = (tmp_path / STORE_DIR / "db").stat().st_ino
    os.utime(graph_nt, ns=(1, 1))  # a copy with another mtime, same content
    assert names(open_store(tmp_path)) == ["Alpha", "Beta"]
    assert (tmp_path / STORE_DIR / "db").stat().st_ino == db_inode


def test_open_store_rebuilds_when_graph_nt_changes(tmp_path: Path) -> None:
    write_graph(tmp_path)
    assert names(open_store(tmp_path)) == ["Alpha", "Beta"]
    write_graph(tmp_path, SMALL + f'<{EX}c> <{EX}name> "Gamma" .\n')
    assert names(open_store(tmp_path)) == ["Alpha", "Beta", "Gamma"]


def test_load_store_keeps_one_store_per_unchanged_graph_nt(tmp_path: Path) -> None:
    write_graph(tmp_path)
    store = load_store(tmp_path)
    assert names(store) == ["Alpha", "Beta"]
    assert load_store(tmp_path) is store  # a notebook's second query does not reload
    assert not (tmp_path / STORE_DIR).exists()  # in memory only
    write_graph(tmp_path, SMALL + f'<{EX}c> <{EX}name> "Gamma" .\n')
    assert names(load_store(tmp_path)) == ["Alpha", "Beta", "Gamma"]


def test_load_store_names_a_damaged_graph_nt(tmp_path: Path) -> None:
    write_graph(tmp_path, SMALL + "<broken\n")
    with pytest.raises(FtgraphError, match=r"graph\.nt: not valid N-Triples"):
        load_store(tmp_path)
    with pytest.raises(FtgraphError, match="no built graph"):
        load_store(tmp_path / "nothing")


def test_engine_for_picks_the_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def store_of(engine: object) -> ox.Store:
        assert isinstance(engine, EmbeddedEngine)
        return engine.store

    write_graph(tmp_path)
    monkeypatch.delenv("FTGRAPH_STORE", raising=False)
    assert store_of(engine_for(tmp_path)) is not load_store(tmp_path)
    assert (tmp_path / STORE_DIR / "manifest.json").is_file()  # the default: the persisted store
    assert store_of(engine_for(tmp_path, prefer="memory")) is load_store(tmp_path)
    monkeypatch.setenv("FTGRAPH_STORE", "memory")
    assert store_of(engine_for(tmp_path)) is load_store(tmp_path)
    assert store_of(engine_for(tmp_path, store="disk")) is not load_store(tmp_path)
    monkeypatch.setenv("FTGRAPH_STORE", "tape")
    with pytest.raises(FtgraphError, match=r"store 'tape'.*expected memory or disk"):
        engine_for(tmp_path)


def test_cli_query_answers_the_same_from_either_store(paths: object, built: BuiltGraph, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "graph.nt").write_text(built.combined.serialize(format="nt"), encoding="utf-8")
    answers = {}
    for store in ("disk", "memory"):
        result = CliRunner().invoke(cli, ["--quiet", "query", "label-waves", "--format", "csv", "--store", store,
                                          "--out", str(out)])
        assert result.exit_code == 0, result.output
        answers[store] = result.stdout
    assert answers["disk"] == answers["memory"] and answers["disk"].count("\n") > 5


def test_the_python_api_loads_out_graph_nt_in_memory_by_default(built: BuiltGraph, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    root = Path(__file__).resolve().parent.parent
    for folder in ("ontology", "queries"):
        (tmp_path / folder).symlink_to(root / folder)
    write_graph(tmp_path / "out", built.combined.serialize(format="nt"))
    monkeypatch.chdir(tmp_path)  # a project folder: ./out is the default output
    monkeypatch.delenv("FTGRAPH_STORE", raising=False)
    monkeypatch.delenv("FTGRAPH_ENDPOINT", raising=False)
    waves = query.rows("label-waves")
    first_wave = [row for row in waves if row["decision"] == "https://w3id.org/ftgraph/event/labelling-decision-2014-11-12"]
    assert len(first_wave) == 9 and {row["date"] for row in first_wave} == {dt.date(2014, 11, 12)}
    assert not (tmp_path / "out" / STORE_DIR).exists()  # nothing written: the graph is held in memory
    monkeypatch.setenv("FTGRAPH_STORE", "disk")
    assert query.rows("label-waves") == waves
    assert (tmp_path / "out" / STORE_DIR / "manifest.json").is_file()


def test_open_store_rebuilds_a_half_written_store(tmp_path: Path) -> None:
    write_graph(tmp_path)
    open_store(tmp_path)
    (tmp_path / STORE_DIR / "manifest.json").unlink()  # as if killed before the manifest was written
    assert names(open_store(tmp_path)) == ["Alpha", "Beta"]
    assert (tmp_path / STORE_DIR / "manifest.json").is_file()


def test_open_store_rebuilds_a_corrupted_store(tmp_path: Path) -> None:
    write_graph(tmp_path)
    open_store(tmp_path)
    for path in (tmp_path / STORE_DIR / "db").iterdir():
        if path.is_file():
            path.write_bytes(b"garbage")
    assert names(open_store(tmp_path)) == ["Alpha", "Beta"]


def test_open_store_rebuilds_a_store_that_lost_triples(tmp_path: Path) -> None:
    write_graph(tmp_path)
    open_store(tmp_path)
    manifest_path = tmp_path / STORE_DIR / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["triples"] = 5  # the store no longer holds what the manifest says
    manifest_path.write_text(json.dumps(manifest))
    assert len(open_store(tmp_path)) == 4
    assert json.loads(manifest_path.read_text())["triples"] == 4


def test_open_store_is_read_only_and_can_be_opened_twice(tmp_path: Path) -> None:
    write_graph(tmp_path)
    first = open_store(tmp_path)
    second = open_store(tmp_path)
    assert names(first) == names(second)
    with pytest.raises(RuntimeError, match="read-write"):
        first.add(ox.Quad(ox.NamedNode(EX + "x"), ox.NamedNode(EX + "p"), ox.Literal("x")))


def test_open_store_without_a_built_graph_says_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(FtgraphError, match="ftgraph build"):
        open_store(tmp_path)


def test_load_gives_an_rdflib_graph_on_the_fast_engine(paths: object, built: BuiltGraph) -> None:
    graph = ftgraph.load()
    assert type(graph.store).__name__ == "OxigraphStore"
    assert len(graph) == len(built.combined)
    spartoo = URIRef("https://w3id.org/ftgraph/org/spartoo")
    labels = list(graph.objects(spartoo, URIRef("http://www.w3.org/2000/01/rdf-schema#label")))
    assert [str(label) for label in labels] == ["Spartoo"]
    rows = list(graph.query("SELECT ?label WHERE { <https://w3id.org/ftgraph/org/spartoo> rdfs:label ?label }"))
    assert [str(row[0]) for row in rows] == ["Spartoo"]  # type: ignore[index]


def test_the_pipeline_persists_the_store(tmp_path: Path, built: BuiltGraph) -> None:
    from ftgraph.build import write_graph_files
    from ftgraph.engine import store_stage
    from ftgraph.progress import Progress

    write_graph_files(built, tmp_path)
    assert store_stage(built, tmp_path, Progress(quiet=True)) == [tmp_path / STORE_DIR]
    db_inode = (tmp_path / STORE_DIR / "db").stat().st_ino
    store = open_store(tmp_path)
    assert (tmp_path / STORE_DIR / "db").stat().st_ino == db_inode
    assert len(store) == len(built.combined)


# ------------------------------------------------------------------------------- terms and binding

def test_python_values_of_result_terms() -> None:
    def literal(value: str, datatype: str) -> ox.Literal:
        return ox.Literal(value, datatype=ox.NamedNode(XSD + datatype))

    assert to_python(ox.NamedNode(EX + "a")) == EX + "a"
    assert to_python(literal("42", "integer")) == 42
    assert to_python(literal("1.50", "decimal")) == Decimal("1.50")
    assert to_python(literal("true", "boolean")) is True
    assert to_python(literal("2014-11-12", "date")) == dt.date(2014, 11, 12)
    assert to_python(literal("2014-11", "gYearMonth")) == "2014-11"
    assert to_python(literal("not a number", "integer")) == "not a number"
    assert to_python(ox.Literal("Métropole", language="fr")) == "Métropole"
    assert to_python(None) is None


def test_parameter_terms_from_python_and_rdflib_values() -> None:
    assert to_term(URIRef(EX + "a")) == ox.NamedNode(EX + "a")
    assert to_term(Literal("x", lang="fr")) == ox.Literal("x", language="fr")
    assert to_term(3) == ox.Literal("3", datatype=ox.NamedNode(XSD + "integer"))
    assert to_term(dt.date(2014, 9, 12)) == ox.Literal("2014-09-12", datatype=ox.NamedNode(XSD + "date"))
    assert to_term("a string") == ox.Literal("a string")
    with pytest.raises(TypeError):
        to_term(object())


@pytest.fixture()
def small_engine() -> EmbeddedEngine:
    store = ox.Store()
    store.load(SMALL.encode(), ox.RdfFormat.N_TRIPLES)
    return EmbeddedEngine(store)


def test_a_hostile_string_parameter_stays_one_literal(small_engine: EmbeddedEngine) -> None:
    hostile = '"} } ; DROP ALL ; SELECT * { ?s ?p ?o } # \\ \n'
    query = f"SELECT ?s ?v WHERE {{ ?s <{EX}name> ?n BIND(?text AS ?v) }}"
    rows = small_engine.select(query, {"text": hostile})
    assert [row["v"] for row in rows] == [hostile, hostile]
    assert small_engine.select(f"SELECT ?s WHERE {{ ?s <{EX}name> ?name }}", {"name": hostile}) == []


def test_an_invalid_iri_parameter_is_refused() -> None:
    with pytest.raises(ValueError):
        bind_parameters("SELECT ?s WHERE { ?s ?p ?o }", {"s": ox.NamedNode(f"{EX}a> . <{EX}b")})


def test_parameters_reach_nested_groups(small_engine: EmbeddedEngine) -> None:
    query = f"""SELECT ?s ?n WHERE {{
      {{ BIND(?target AS ?s) }}
      OPTIONAL {{ ?s <{EX}name> ?n }}
      FILTER EXISTS {{ ?s <{EX}p> ?value FILTER(?value >= ?least) }}
    }}"""
    rows = small_engine.select(query, {"target": ox.NamedNode(EX + "b"), "least": 2})
    assert rows == [{"s": EX + "b", "n": "Beta"}]
    assert small_engine.select(query, {"target": ox.NamedNode(EX + "b"), "least": 3}) == []


def test_binding_leaves_values_blocks_and_construct_templates_alone(small_engine: EmbeddedEngine) -> None:
    query = f"CONSTRUCT {{ ?s <{EX}q> ?v }} WHERE {{ VALUES ?v {{ 1 2 }} ?s <{EX}p> ?v }}"
    bound = bind_parameters(query, {"s": ox.NamedNode(EX + "a")})
    assert bound.startswith(f"CONSTRUCT {{ ?s <{EX}q> ?v }} WHERE {{ VALUES ?s {{ <{EX}a> }}")
    assert "VALUES ?v { 1 2 }" in bound
    triples = small_engine.construct(query, {"s": ox.NamedNode(EX + "a")})
    assert [str(t) for t in triples] == [f'<{EX}a> <{EX}q> "1"^^<{XSD}integer>']
    short = small_engine.construct(f"CONSTRUCT WHERE {{ ?s <{EX}p> ?v }}", {"s": ox.NamedNode(EX + "b")})
    assert len(short) == 1


def test_unknown_parameters_list_the_query_variables(small_engine: EmbeddedEngine) -> None:
    with pytest.raises(UnknownParameter, match="n, s"):
        small_engine.select(f"SELECT ?s WHERE {{ ?s <{EX}name> ?n }}", {"nope": 1})


def test_syntax_errors_give_line_and_column() -> None:
    with pytest.raises(QuerySyntaxError) as error:
        check_syntax("SELECT ?s\nWHERE {\n  ?s ?p }")
    assert error.value.line == 3 and error.value.column in range(8, 11)  # at or just after the "}"
    assert f"line 3, column {error.value.column}" in str(error.value)
    assert error.value.exit_code == 2


def test_ask_and_the_wrong_query_form(small_engine: EmbeddedEngine) -> None:
    assert small_engine.ask(f"ASK {{ ?s <{EX}name> ?n }}", {"n": "Alpha"}) is True
    with pytest.raises(FtgraphError, match="expected a SELECT query"):
        small_engine.select(f"ASK {{ ?s <{EX}name> ?n }}")


# -------------------------------------------------------------------------- remote engine errors

def test_credentials_never_show_in_messages_or_reprs() -> None:
    assert "s3cret" not in repr(Credentials("alice", "s3cret"))
    assert redact("https://alice:s3cret@example.org:8890/sparql") == "https://example.org:8890/sparql"
    engine = RemoteEngine("http://alice:s3cret@127.0.0.1:9/sparql")
    assert "s3cret" not in engine.description


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_endpoint_is_named() -> None:
    url = f"http://127.0.0.1:{free_port()}/sparql"
    with pytest.raises(EndpointError, match=f"endpoint {url} unreachable"):
        RemoteEngine(url).select("SELECT * WHERE { ?s ?p ?o }")


class _Handler(http.server.BaseHTTPRequestHandler):
    """A stand-in HTTP server: answers with the status, headers and body its test sets."""

    status = 503
    headers_out: ClassVar[dict[str, str]] = {}
    body = b"Service Unavailable: maintenance"
    delay = 0.0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.delay:
            threading.Event().wait(self.delay)
        self.send_response(self.status)
        for name, value in {"Content-Type": "text/plain", **self.headers_out}.items():
            self.send_header(name, value)
        self.end_headers()
        with contextlib.suppress(BrokenPipeError):  # the client may have given up (timeout test)
            self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def http_server() -> Iterator[tuple[str, type[_Handler]]]:
    handler = type("Handler", (_Handler,), {})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sparql", handler
    server.shutdown()
    server.server_close()


def test_a_refusing_endpoint_gives_its_http_status(http_server: tuple[str, type[_Handler]]) -> None:
    url, _ = http_server
    with pytest.raises(EndpointError, match=rf"endpoint {url} refused the request \(HTTP 503 .*maintenance"):
        RemoteEngine(url).select("SELECT * WHERE { ?s ?p ?o }")


def test_a_slow_endpoint_times_out_with_a_message(http_server: tuple[str, type[_Handler]]) -> None:
    url, handler = http_server
    handler.delay = 3
    with pytest.raises(EndpointError, match=f"endpoint {url}: no answer within 1 s"):
        RemoteEngine(url, timeout=1).select("SELECT * WHERE { ?s ?p ?o }")


def test_a_truncated_result_is_reported(http_server: tuple[str, type[_Handler]]) -> None:
    url, handler = http_server
    handler.status = 200
    handler.headers_out = {"Content-Type": "application/sparql-results+json", "X-SPARQL-MaxRows": "2"}
    handler.body = json.dumps({"head": {"vars": ["s"]}, "results": {"bindings": [
        {"s": {"type": "uri", "value": EX + "a"}}, {"s": {"type": "uri", "value": EX + "b"}}]}}).encode()
    with pytest.raises(ResultsTruncated, match="cut the results at 2 rows"):
        RemoteEngine(url).select("SELECT ?s WHERE { ?s ?p ?o }")


def test_partial_anytime_results_are_reported(http_server: tuple[str, type[_Handler]]) -> None:
    url, handler = http_server
    handler.status = 200
    handler.headers_out = {"Content-Type": "application/sparql-results+json", "X-SQL-State": "S1TAT",
                           "X-SQL-Message": "RC...: Returning incomplete results, query interrupted by result timeout"}
    handler.body = json.dumps({"head": {"vars": ["s"]}, "results": {"bindings": []}}).encode()
    with pytest.raises(ResultsTruncated, match=r"incomplete results: RC\.\.\.: Returning incomplete"):
        RemoteEngine(url).select("SELECT ?s WHERE { ?s ?p ?o }")


def test_cli_endpoint_errors_exit_non_zero_without_traceback(http_server: tuple[str, type[_Handler]],
                                                              tmp_path: Path) -> None:
    url, _ = http_server
    env = {"FTGRAPH_ENDPOINT_USER": "alice", "FTGRAPH_ENDPOINT_PASSWORD": "s3cret"}
    result = CliRunner().invoke(cli, ["-q", "query", "decision-awards", "--endpoint", url], env=env)
    assert result.exit_code == 3
    assert "HTTP 503" in result.output and url in result.output
    assert "Traceback" not in result.output and "s3cret" not in result.output


def test_engine_for_reads_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FTGRAPH_ENDPOINT", "http://127.0.0.1:9/sparql")
    monkeypatch.setenv("FTGRAPH_ENDPOINT_USER", "alice")
    monkeypatch.setenv("FTGRAPH_ENDPOINT_PASSWORD", "s3cret")
    monkeypatch.setenv("FTGRAPH_GRAPH", "https://example.org/g")
    engine = engine_for(tmp_path)
    assert isinstance(engine, RemoteEngine)
    assert engine.graph == "https://example.org/g"
    assert engine.credentials == Credentials("alice", "s3cret", "digest")
    monkeypatch.delenv("FTGRAPH_ENDPOINT")
    write_graph(tmp_path)
    assert isinstance(engine_for(tmp_path), EmbeddedEngine)


def test_rdflib_literals_work_as_parameters(small_engine: EmbeddedEngine) -> None:
    rows = small_engine.select(f"SELECT ?s WHERE {{ ?s <{EX}p> ?v }}", {"v": Literal(1)})
    assert rows == [{"s": EX + "a"}]


def test_push_batches_keep_triples_linked_by_blank_nodes_together() -> None:
    from ftgraph.push import batches

    rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    items = [ox.BlankNode(f"l{i}") for i in range(5)]
    linked = [ox.Triple(ox.NamedNode(EX + "s"), ox.NamedNode(EX + "list"), items[0])]
    for i, node in enumerate(items):
        linked.append(ox.Triple(node, ox.NamedNode(rdf + "first"), ox.Literal(str(i))))
        rest = items[i + 1] if i + 1 < len(items) else ox.NamedNode(rdf + "nil")
        linked.append(ox.Triple(node, ox.NamedNode(rdf + "rest"), rest))
    plain = [ox.Triple(ox.NamedNode(EX + f"s{i}"), ox.NamedNode(EX + "p"), ox.Literal(str(i))) for i in range(7)]
    chunks = list(batches(plain[:4] + linked + plain[4:], 3))
    assert sorted(map(str, (t for chunk in chunks for t in chunk))) == sorted(map(str, plain + linked))
    holding = [chunk for chunk in chunks if any(isinstance(t.object, ox.BlankNode) for t in chunk)]
    assert len(holding) == 1 and set(linked) <= set(holding[0])
    assert all(len(chunk) <= 3 for chunk in chunks if chunk is not holding[0])
