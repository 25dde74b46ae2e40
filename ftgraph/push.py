"""Upload the built graph into a named graph of a SPARQL 1.1 store (``ftgraph push``).

The triples go in batches of ``INSERT DATA`` into a fresh temporary graph, which then replaces the
target graph in one ``MOVE``: running the push twice leaves the same graph, without duplicates, and a
push that fails half-way leaves the previous target graph untouched. The count of triples in the
target graph is checked against the count sent, so a store that dropped or truncated data is
reported, and the typed literals it returns are compared with those sent: some stores rewrite them
(Virtuoso 7 returns booleans as integers and merges ``"2014"^^xsd:gYear`` with
``"2014-01"^^xsd:gYearMonth``), which :attr:`PushResult.altered` lists.
"""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import click
import pyoxigraph as ox

from ftgraph.build import GRAPH_NT, Paths
from ftgraph.clikit import user_errors
from ftgraph.engine import EndpointError, RemoteEngine, engine_for
from ftgraph.errors import FtgraphError
from ftgraph.progress import Progress

#: Virtuoso 7 fails to compile an INSERT DATA of 2000 triples ("generated SQL text has exceeded
#: 10000 lines") and is fastest with a few hundred.
DEFAULT_BATCH_SIZE = 500
#: Rows per page when reading typed literals back (below Virtuoso's default ResultSetMaxRows).
PAGE_SIZE = 5000
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


class PushIncomplete(FtgraphError):
    """The store holds fewer (or more) triples than were sent."""

    exit_code = 3


@dataclass(frozen=True)
class PushResult:
    graph: str
    triples: int
    batches: int
    #: Typed literals the store gives back differently: sent literal -> literal returned (None when
    #: the store merged it with another value of the same triple).
    altered: dict[ox.Literal, ox.Literal | None] = field(default_factory=dict)

    def alteration_summary(self, examples: int = 3) -> str:
        shown = ", ".join(f"{sent} -> {back if back is not None else 'merged'}"
                          for sent, back in sorted(self.altered.items(), key=lambda item: str(item[0]))[:examples])
        return (f"the store rewrote {len(self.altered)} typed literal value(s), e.g. {shown}; results showing "
                "them differ from the embedded engine's")


def _blank_nodes(triple: ox.Triple) -> list[str]:
    return [term.value for term in (triple.subject, triple.object) if isinstance(term, ox.BlankNode)]


def batches(triples: Iterable[ox.Triple], size: int) -> Iterator[list[ox.Triple]]:
    """Split ``triples`` into lists of about ``size``; triples linked by blank nodes stay together,
    since a blank node label only means the same node within one request."""
    plain: list[ox.Triple] = []
    parent: dict[str, str] = {}
    linked: list[ox.Triple] = []

    def find(label: str) -> str:
        while parent.setdefault(label, label) != label:
            parent[label] = parent[parent[label]]
            label = parent[label]
        return label

    for triple in triples:
        labels = _blank_nodes(triple)
        if not labels:
            plain.append(triple)
            if len(plain) == size:
                yield plain
                plain = []
            continue
        linked.append(triple)
        roots = [find(label) for label in labels]
        for root in roots[1:]:
            parent[root] = roots[0]
    groups: dict[str, list[ox.Triple]] = {}
    for triple in linked:
        groups.setdefault(find(_blank_nodes(triple)[0]), []).append(triple)
    for group in groups.values():
        if len(plain) + len(group) > size and plain:
            yield plain
            plain = []
        plain.extend(group)
    if plain:
        yield plain


def _insert(graph: str, triples: list[ox.Triple]) -> str:
    """``INSERT DATA``; with blank nodes ``INSERT {…} WHERE {}`` (same effect, and Virtuoso 7 refuses
    blank nodes in INSERT DATA: "not allowed in a constant clause")."""
    body = "\n".join(f"{triple.subject} {triple.predicate} {triple.object} ." for triple in triples)
    if any(_blank_nodes(triple) for triple in triples):
        return f"INSERT {{ GRAPH <{graph}> {{\n{body}\n}} }} WHERE {{}}"
    return f"INSERT DATA {{ GRAPH <{graph}> {{\n{body}\n}} }}"


def count_triples(engine: RemoteEngine, graph: str) -> int:
    rows = engine.select(f"SELECT (COUNT(*) AS ?triples) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    count = rows[0]["triples"] if rows else 0
    return int(count) if isinstance(count, int | str) else 0


def _typed(triple: ox.Triple) -> bool:
    obj = triple.object
    return isinstance(obj, ox.Literal) and obj.language is None and obj.datatype.value != XSD_STRING


def stored_typed_literals(engine: RemoteEngine, graph: str) -> Iterator[ox.Triple]:
    """The triples of ``graph`` whose object is a typed literal other than xsd:string, page by page."""
    offset = 0
    while True:
        rows = engine.select_terms(
            f"SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} FILTER(isLiteral(?o) && LANG(?o) = \"\" "
            f"&& DATATYPE(?o) != <{XSD_STRING}>) }} ORDER BY ?s ?p ?o LIMIT {PAGE_SIZE} OFFSET {offset}")
        for row in rows:
            yield ox.Triple(row["s"], row["p"], row["o"])
        if len(rows) < PAGE_SIZE:
            return
        offset += PAGE_SIZE


def altered_literals(sent: Iterable[ox.Triple], stored: Iterable[ox.Triple]) -> dict[ox.Literal, ox.Literal | None]:
    """Typed literals of ``sent`` that ``stored`` gives back as another literal (per subject and
    predicate: what was sent and is missing, against what is returned and was not sent). Triples
    about blank nodes are left out: a store gives them labels of its own."""
    by_key: dict[tuple[object, object], tuple[set[ox.Literal], set[ox.Literal]]] = {}
    for index, triples in enumerate((sent, stored)):
        for triple in triples:
            if _typed(triple) and not isinstance(triple.subject, ox.BlankNode):
                assert isinstance(triple.object, ox.Literal)
                by_key.setdefault((triple.subject, triple.predicate), (set(), set()))[index].add(triple.object)
    altered: dict[ox.Literal, ox.Literal | None] = {}
    for sent_objects, stored_objects in by_key.values():
        lost = sorted(sent_objects - stored_objects, key=str)
        gained = sorted(stored_objects - sent_objects, key=str)
        for position, literal in enumerate(lost):
            altered.setdefault(literal, gained[min(position, len(gained) - 1)] if gained else None)
    return altered


def staging_prefix(graph: str) -> str:
    """The start of the IRIs of the temporary graphs of pushes to ``graph``."""
    return f"urn:ftgraph:push:{hashlib.sha256(graph.encode('utf-8')).hexdigest()[:16]}:"


def drop_leftovers(engine: RemoteEngine, prefix: str) -> None:
    """Drop the temporary graphs (IRIs starting with ``prefix``) of earlier pushes that died before their
    end: when the store or the network fails, a push cannot drop its own."""
    rows = engine.select(f'SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} '
                         f'FILTER(STRSTARTS(STR(?g), "{prefix}")) }}')
    for row in rows:
        engine.request(f"DROP SILENT GRAPH <{row['g']}>", update=True)


def push_triples(engine: RemoteEngine, triples: list[ox.Triple], graph: str, *, progress: Progress,
                 batch_size: int = DEFAULT_BATCH_SIZE) -> PushResult:
    """Replace the named ``graph`` of the engine's endpoint by ``triples`` (see the module docstring)."""
    ox.NamedNode(graph)  # raises ValueError on an invalid IRI
    unique = list(dict.fromkeys(triples))
    prefix = staging_prefix(graph)
    drop_leftovers(engine, prefix)
    staging = prefix + uuid.uuid4().hex
    chunks = list(batches(unique, batch_size))
    try:
        for chunk in progress.iterate(chunks, f"push {len(unique)} triples", total=len(chunks)):
            engine.request(_insert(staging, chunk), update=True)
        engine.request(f"MOVE SILENT GRAPH <{staging}> TO GRAPH <{graph}>", update=True)
    except BaseException:
        with contextlib.suppress(EndpointError):  # the first error is the one to report
            engine.request(f"DROP SILENT GRAPH <{staging}>", update=True)
        raise
    stored = count_triples(engine, graph)
    if stored != len(unique):
        raise PushIncomplete(f"endpoint {engine.description}: graph <{graph}> holds {stored} triples after the "
                             f"push, {len(unique)} were sent (truncated or altered by the store)")
    with progress.step("compare the typed literals stored with those sent"):
        altered = altered_literals(unique, stored_typed_literals(engine, graph))
    return PushResult(graph, len(unique), len(chunks), altered)


def read_graph(out_dir: Path) -> list[ox.Triple]:
    """The triples of ``out_dir/graph.nt`` (the built graph)."""
    graph_nt = out_dir / GRAPH_NT
    if not graph_nt.is_file():
        raise FtgraphError(f"{graph_nt}: no built graph; run `ftgraph build` (or `ftgraph run`) first")
    return [quad.triple for quad in ox.parse(path=str(graph_nt), format=ox.RdfFormat.N_TRIPLES)]


@click.command()
@click.option("--endpoint", envvar="FTGRAPH_ENDPOINT", required=True,
              help="SPARQL 1.1 update endpoint (env FTGRAPH_ENDPOINT), e.g. Virtuoso's /sparql-auth.")
@click.option("--graph", "graph_iri", envvar="FTGRAPH_GRAPH", required=True,
              help="IRI of the named graph to replace (env FTGRAPH_GRAPH).")
@click.option("--user", envvar="FTGRAPH_ENDPOINT_USER", default=None, help="User (env FTGRAPH_ENDPOINT_USER).")
@click.option("--password", envvar="FTGRAPH_ENDPOINT_PASSWORD", default=None,
              help="Password; prefer the environment variable FTGRAPH_ENDPOINT_PASSWORD.")
@click.option("--auth", type=click.Choice(["digest", "basic"]), envvar="FTGRAPH_ENDPOINT_AUTH", default="digest",
              show_default=True, help="HTTP authentication scheme (env FTGRAPH_ENDPOINT_AUTH).")
@click.option("--batch-size", type=click.IntRange(min=1), default=DEFAULT_BATCH_SIZE, show_default=True,
              help="Triples per INSERT DATA request.")
@click.option("--timeout", type=click.IntRange(min=1), default=60, show_default=True,
              help="Seconds to wait for each answer.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Output folder holding graph.nt (default: ./out).")
@click.pass_obj
@user_errors
def push(progress: Progress, endpoint: str, graph_iri: str, user: str | None, password: str | None, auth: str,
         batch_size: int, timeout: int, out_dir: Path | None) -> None:
    """Upload out/graph.nt into a named graph of a SPARQL store, replacing that graph."""
    try:
        ox.NamedNode(graph_iri)
    except ValueError:
        raise FtgraphError(f"--graph {graph_iri!r}: not a valid IRI") from None
    out = Paths.default(out=out_dir).out
    engine = engine_for(out, endpoint, user=user, password=password, auth=auth, timeout=timeout)
    assert isinstance(engine, RemoteEngine)
    with progress.step("read the built graph"):
        triples = read_graph(out)
    result = push_triples(engine, triples, graph_iri, progress=progress, batch_size=batch_size)
    click.echo(f"{result.triples} triples in <{result.graph}> at {engine.description} ({result.batches} batches)")
    if result.altered:
        click.echo(f"warning: {result.alteration_summary()}", err=True)
