"""SPARQL engines: the embedded pyoxigraph store (default) and any remote SPARQL 1.1 endpoint.

Stable API (other stages build on these names):

``open_store(out_dir) -> pyoxigraph.Store``
    The embedded store persisted in ``out_dir/store`` for ``out_dir/graph.nt``, opened read-only.
    It is (re)built when ``graph.nt`` changed since the store was built, and when the store is
    missing, half-written or unreadable; so repeated queries do not rebuild.
``load_store(out_dir) -> pyoxigraph.Store``
    ``out_dir/graph.nt`` bulk-loaded into an in-memory store of this process, kept while
    ``graph.nt`` is unchanged. Queries run up to several times faster than on the persisted (RocksDB) store,
    for a load of a few seconds per million triples: the choice of processes that run many queries
    (metrics, pages, notebooks); a one-shot ``ftgraph query`` opens the persisted store instead.
``store_from_graph(graph) -> pyoxigraph.Store``
    An in-memory store holding an rdflib graph's triples in its default graph (tests, pipeline).
``Engine``
    Runs SPARQL with parameters on either engine: ``EmbeddedEngine(store)`` or
    ``RemoteEngine(endpoint, ...)``; ``engine_for(out_dir, endpoint=None)`` picks one from options
    and the ``FTGRAPH_ENDPOINT*`` environment variables.

    - ``engine.select(query, params) -> list[dict[str, value]]``: rows of Python values (IRIs as
      ``str``, numbers as ``int``/``Decimal``/``float``, ``xsd:date`` as ``datetime.date``, other
      literals as ``str``, unbound as ``None``);
    - ``engine.select_terms(query, params) -> list[dict[str, pyoxigraph term]]`` for hot paths;
    - ``engine.ask(...) -> bool``; ``engine.construct(...) -> list[pyoxigraph.Triple]``;
    - ``engine.query(...)``: the raw pyoxigraph result (solutions, boolean or triples).

    ``params`` maps variable names (without ``?``) to RDF terms (pyoxigraph or rdflib) or Python
    values (``str`` is a string literal; use ``NamedNode`` for an IRI). They are bound as RDF terms,
    never pasted as text, like pre-bound variables: see :func:`bind_parameters`.
``store_stage``
    The pipeline stage that persists the store into ``out/`` during ``ftgraph run``.
``rdflib_graph(store)``
    An rdflib Graph over a pyoxigraph store (oxrdflib), for code that needs the rdflib API.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import shutil
import tempfile
import urllib.error
import zlib
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pyoxigraph as ox
from rdflib import BNode, Graph, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

from ftgraph.build import GRAPH_NT
from ftgraph.errors import FtgraphError

__all__ = [
    "STORE_DIR",
    "STORE_KINDS",
    "Credentials",
    "EmbeddedEngine",
    "EndpointError",
    "Engine",
    "QuerySyntaxError",
    "RemoteEngine",
    "ResultsTruncated",
    "Term",
    "UnknownParameter",
    "Value",
    "bind_parameters",
    "build_store",
    "check_nesting",
    "check_syntax",
    "disk_store_opened",
    "engine_for",
    "load_store",
    "open_store",
    "query_form",
    "query_variables",
    "rdflib_graph",
    "rebase_iris",
    "redact",
    "store_from_graph",
    "store_stage",
    "to_python",
    "to_term",
]

#: Folder of the persisted store inside ``out/``: ``db/`` (the store) and ``manifest.json``.
STORE_DIR = "store"
_DB = "db"
_MANIFEST = "manifest.json"
_FORMAT_VERSION = 1
#: Where the embedded engine holds the graph: in this process's memory, or the persisted store on disk.
STORE_KINDS = ("memory", "disk")
#: Whether this process (or the process it was forked from) has opened an on-disk store: RocksDB then
#: runs background threads, which a forked child does not inherit while it inherits their pool's state;
#: an on-disk store opened in that child waits for them forever. See :func:`disk_store_opened`.
_disk_store_opened = False

Term = ox.NamedNode | ox.BlankNode | ox.Literal
Value = str | int | float | bool | Decimal | dt.date | dt.datetime | None

XSD = "http://www.w3.org/2001/XMLSchema#"
_INTEGER_TYPES = {XSD + name for name in (
    "integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger", "nonPositiveInteger",
    "negativeInteger", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte")}


# --------------------------------------------------------------------------------------------- errors

class QuerySyntaxError(FtgraphError):
    """A query that does not parse; the message gives line and column. Exit code 2."""

    exit_code = 2

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


class UnknownParameter(FtgraphError):
    """A parameter the query does not declare. Exit code 2."""

    exit_code = 2


class EndpointError(FtgraphError):
    """A remote endpoint unreachable, timing out or refusing a request."""

    exit_code = 3


class ResultsTruncated(FtgraphError):
    """The endpoint cut the results at its row limit (e.g. Virtuoso's ResultSetMaxRows)."""

    exit_code = 3


# ------------------------------------------------------------------------------------------- stores

def _oxigraph_default_store(graph: Graph) -> ox.Store | None:
    """The pyoxigraph store behind an oxrdflib graph whose triples are in the store's default graph."""
    inner = getattr(graph.store, "_inner", None)
    if isinstance(inner, ox.Store) and graph.identifier == DATASET_DEFAULT_GRAPH_ID:
        return inner
    return None


def store_from_graph(graph: Graph) -> ox.Store:
    """A new in-memory pyoxigraph store with ``graph``'s triples in its default graph."""
    store = ox.Store()
    inner = _oxigraph_default_store(graph)
    if inner is not None:  # copied inside pyoxigraph, no rdflib terms
        store.bulk_extend(inner.quads_for_pattern(None, None, None, ox.DefaultGraph()))
        return store
    store.bulk_load(graph.serialize(format="nt", encoding="utf-8"), ox.RdfFormat.N_TRIPLES)
    return store


def rdflib_graph(store: ox.Store) -> Graph:
    """An rdflib :class:`~rdflib.Graph` over the default graph of a pyoxigraph ``store`` (oxrdflib):
    the rdflib API on the fast engine; ``graph.query`` runs in pyoxigraph. Not a copy."""
    from oxrdflib import OxigraphStore

    return Graph(store=OxigraphStore(store=store), identifier=DATASET_DEFAULT_GRAPH_ID)


def _fingerprint(graph_nt: Path) -> dict[str, Any]:
    stat = graph_nt.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _db_files(db: Path) -> dict[str, list[int]]:
    """Size and CRC-32 of each file of a database (not its message log): damage anywhere in it, even where
    counting the triples does not read, is seen before the store is used."""
    files = {}
    for path in sorted(db.iterdir()) if db.is_dir() else []:
        if path.is_file() and not path.name.startswith(("LOG", "LOCK")):
            crc = 0
            with path.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    crc = zlib.crc32(block, crc)
            files[path.name] = [path.stat().st_size, crc]
    return files


def _remove_killed_builds(store_dir: Path) -> None:
    """Remove the temporary folders of store builds that were killed (call it holding the lock)."""
    for stale in store_dir.parent.glob(f".{store_dir.name}.building-*"):
        shutil.rmtree(stale, ignore_errors=True)


def _on_disk(db: Path, read_only: bool = False) -> ox.Store:
    global _disk_store_opened
    _disk_store_opened = True
    return ox.Store.read_only(str(db)) if read_only else ox.Store(str(db))


def disk_store_opened() -> bool:
    """True once this process, or the process it was forked from, opened an on-disk store: forking it
    then gives children in which opening an on-disk store hangs (RocksDB's threads are not forked)."""
    return _disk_store_opened


def build_store(graph_nt: Path, store_dir: Path) -> Path:
    """Load ``graph_nt`` into a new persisted store at ``store_dir`` (replaced whole); returns it.

    The store is written in a temporary folder next to ``store_dir`` and its manifest (the
    fingerprint of ``graph_nt`` and the triple count) last, then renamed into place: a build that is
    interrupted leaves no store that looks complete.
    """
    store_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{store_dir.name}.building-", dir=store_dir.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; the store is an output like the others
    try:
        store = _on_disk(staging / _DB)
        store.bulk_load(path=str(graph_nt), format=ox.RdfFormat.N_TRIPLES)
        store.flush()
        count = len(store)
        del store  # closes the database and releases its lock
        manifest = {"format": _FORMAT_VERSION, "pyoxigraph": ox.__version__, "triples": count,
                    "graph_sha256": _sha256(graph_nt), "files": _db_files(staging / _DB), **_fingerprint(graph_nt)}
        (staging / _MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
        if store_dir.exists():
            shutil.rmtree(store_dir)
        staging.rename(store_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return store_dir


def _read_manifest(store_dir: Path) -> dict[str, Any] | None:
    try:
        manifest = json.loads((store_dir / _MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):  # missing, damaged
        return None
    return manifest if isinstance(manifest, dict) else None


def _is_current(manifest: dict[str, Any], graph_nt: Path) -> bool:
    """True when the manifest describes a complete store built from this very ``graph_nt``."""
    if manifest.get("format") != _FORMAT_VERSION or manifest.get("pyoxigraph") != ox.__version__:
        return False
    fingerprint = _fingerprint(graph_nt)
    if all(manifest.get(key) == value for key, value in fingerprint.items()):
        return True
    return bool(manifest.get("graph_sha256") == _sha256(graph_nt))


def _open_checked(store_dir: Path, manifest: dict[str, Any]) -> ox.Store | None:
    """The read-only store when its files are those the manifest lists (sizes and CRC-32), it opens and
    holds the manifest's triple count, else None."""
    if manifest.get("files") != _db_files(store_dir / _DB):
        return None
    try:
        store = _on_disk(store_dir / _DB, read_only=True)
        if len(store) == manifest.get("triples"):
            return store
    except (OSError, RuntimeError):  # RocksDB reports corruption as RuntimeError
        pass
    return None


@contextlib.contextmanager
def _locked(graph_nt: Path) -> Iterator[None]:
    """One process at a time checks or rebuilds the store of ``graph_nt`` (a lock on that file)."""
    with open(graph_nt, "rb") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _graph_nt(out_dir: Path) -> Path:
    """``out_dir/graph.nt``; an error saying how to build it when it is missing."""
    graph_nt = out_dir / GRAPH_NT
    if not graph_nt.is_file():
        raise FtgraphError(f"{graph_nt}: no built graph; run `ftgraph build` (or `ftgraph run`) first")
    return graph_nt


def load_store(out_dir: Path) -> ox.Store:
    """An in-memory store holding ``out_dir/graph.nt``: the same store again while that file is
    unchanged (same path, inode, size and modification time), so a notebook loads it once.

    Treat it as read-only: it is shared by the callers of this process."""
    graph_nt = _graph_nt(out_dir).resolve()
    stat = graph_nt.stat()
    return _loaded_store(graph_nt, stat.st_ino, stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=1)  # one graph at a time: a changed graph.nt frees the old store
def _loaded_store(graph_nt: Path, inode: int, size: int, mtime_ns: int) -> ox.Store:
    store = ox.Store()
    try:
        store.bulk_load(path=str(graph_nt), format=ox.RdfFormat.N_TRIPLES)
    except SyntaxError as exc:
        raise FtgraphError(f"{graph_nt}: not valid N-Triples ({exc}); rebuild it with `ftgraph build`") from None
    return store


def open_store(out_dir: Path) -> ox.Store:
    """The persisted embedded store for ``out_dir/graph.nt``, opened read-only.

    Rebuilt first when it is missing, was built from another ``graph.nt`` (or another pyoxigraph
    version), is half-written (no manifest) or does not open / has lost triples (corrupted).
    """
    graph_nt = _graph_nt(out_dir)
    store_dir = out_dir / STORE_DIR
    with _locked(graph_nt):
        manifest = _read_manifest(store_dir)
        if manifest is not None and _is_current(manifest, graph_nt):
            store = _open_checked(store_dir, manifest)
            if store is not None:
                return store
        _remove_killed_builds(store_dir)
        build_store(graph_nt, store_dir)
        manifest = _read_manifest(store_dir)
        store = _open_checked(store_dir, manifest or {})
    if store is None:
        raise FtgraphError(f"{store_dir}: the store could not be opened after a rebuild")
    return store


def store_stage(built: object, out_dir: Path, progress: object) -> list[Path]:
    """Pipeline stage: persist the embedded store of ``out_dir/graph.nt`` in ``out_dir/store`` (kept
    as is when it already holds this graph), so that queries after ``ftgraph run`` start at once."""
    open_store(out_dir)
    return [out_dir / STORE_DIR]


# -------------------------------------------------------------------------------- terms and values

def to_python(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None) -> Value:
    """A result term as a plain Python value (see the module docstring)."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Triple):
        return str(term)
    datatype = term.datatype.value
    text = term.value
    try:
        if datatype in _INTEGER_TYPES:
            return int(text)
        if datatype == XSD + "decimal":
            return Decimal(text)
        if datatype in (XSD + "double", XSD + "float"):
            return float(text)
        if datatype == XSD + "boolean":
            return text in ("true", "1")
        if datatype == XSD + "date":
            return dt.date.fromisoformat(text)
        if datatype == XSD + "dateTime":
            return dt.datetime.fromisoformat(text)
    except (ValueError, InvalidOperation):
        pass  # an ill-typed literal stays its lexical form
    return text


def to_term(value: object) -> Term:
    """An RDF term for a parameter value: pyoxigraph or rdflib terms, or Python values.

    ``str`` is a string literal (an IRI must be a ``NamedNode`` or rdflib ``URIRef``); ``bool``,
    ``int``, ``float``, ``Decimal``, ``date`` and ``datetime`` become typed literals.
    """
    if isinstance(value, ox.NamedNode | ox.BlankNode | ox.Literal):
        return value
    if isinstance(value, URIRef):
        return ox.NamedNode(str(value))
    if isinstance(value, BNode):
        return ox.BlankNode(str(value))
    if isinstance(value, RdfLiteral):
        if value.language:
            return ox.Literal(str(value), language=value.language)
        return ox.Literal(str(value), datatype=ox.NamedNode(str(value.datatype)) if value.datatype else None)
    if isinstance(value, bool):
        return ox.Literal("true" if value else "false", datatype=ox.NamedNode(XSD + "boolean"))
    if isinstance(value, int):
        return ox.Literal(str(value), datatype=ox.NamedNode(XSD + "integer"))
    if isinstance(value, float):
        return ox.Literal(repr(value), datatype=ox.NamedNode(XSD + "double"))
    if isinstance(value, Decimal):
        return ox.Literal(str(value), datatype=ox.NamedNode(XSD + "decimal"))
    if isinstance(value, dt.datetime):
        return ox.Literal(value.isoformat(), datatype=ox.NamedNode(XSD + "dateTime"))
    if isinstance(value, dt.date):
        return ox.Literal(value.isoformat(), datatype=ox.NamedNode(XSD + "date"))
    if isinstance(value, str):
        return ox.Literal(value)
    raise TypeError(f"cannot use {value!r} ({type(value).__name__}) as an RDF term")


# ------------------------------------------------------------------------ query text: parameters

_TOKENS = re.compile(r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
               |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][A-Za-z0-9_\u00B7-\uFFFF]+)
  | (?P<open>\{) | (?P<close>\}) | (?P<lparen>\() | (?P<rparen>\))
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<other>.)
""", re.VERBOSE | re.DOTALL)

_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


def _tokens(query: str) -> Iterator[re.Match[str]]:
    yield from _significant_tokens(query)


@lru_cache(maxsize=256)
def _significant_tokens(query: str) -> tuple[re.Match[str], ...]:
    """The tokens of ``query`` but comments and blanks; cached, as a library query's text is
    tokenized several times on every run (form, variables, nesting, parameter binding)."""
    return tuple(match for match in _TOKENS.finditer(query)
                 if match.lastgroup != "comment" and not match.group().isspace())


@lru_cache(maxsize=256)
def query_form(query: str) -> str:
    """``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE`` (the first such keyword of the query)."""
    for match in _tokens(query):
        if match.lastgroup == "word" and match.group().upper() in _FORMS:
            return match.group().upper()
    raise QuerySyntaxError("not a SPARQL query: no SELECT, ASK, CONSTRUCT or DESCRIBE")


@lru_cache(maxsize=256)
def query_variables(query: str) -> frozenset[str]:
    """Names of the variables a query mentions (without ``?``)."""
    return frozenset(match.group()[1:] for match in _tokens(query) if match.lastgroup == "var")


@dataclass
class _Group:
    kind: str  # group, data (a VALUES block), template (CONSTRUCT), subquery, inert (inside data/template)
    end: int  # offset just after its "{"
    variables: set[str]


@lru_cache(maxsize=256)  # a library query is bound on every run; read-only results
def _groups(query: str) -> tuple[int | None, tuple[_Group, ...]]:
    """The offset just after the ``{`` opening the WHERE clause (None for the short form
    ``CONSTRUCT WHERE { triples }``) and every group graph pattern with the variables in it."""
    tokens = list(_tokens(query))
    stack: list[_Group] = []
    groups: list[_Group] = []
    form = None
    where: int | None = -1
    parens = 0
    after_where = template_seen = pending_values = False
    for index, match in enumerate(tokens):
        kind, text = match.lastgroup, match.group()
        if kind == "word":
            word = text.upper()
            if form is None and word in _FORMS:
                form = word
            elif word == "VALUES":
                pending_values = True
            elif word == "WHERE" and not stack and parens == 0:
                if form == "CONSTRUCT" and not template_seen:
                    where = None
                after_where = True
        elif kind == "var":
            for group in stack:
                group.variables.add(text[1:])
        elif kind == "lparen":
            parens += 1
        elif kind == "rparen":
            parens -= 1
        elif kind == "open":
            following = tokens[index + 1].group().upper() if index + 1 < len(tokens) else ""
            if pending_values:
                group_kind, pending_values = "data", False
            elif any(group.kind in ("data", "template") for group in stack):
                group_kind = "inert"
            elif not stack and form == "CONSTRUCT" and not template_seen and not after_where:
                group_kind, template_seen = "template", True
            elif not stack and where is None:
                group_kind = "inert"  # CONSTRUCT WHERE { triples }: no VALUES inside
            elif following == "SELECT":
                group_kind = "subquery"
            else:
                group_kind = "group"
                if not stack and parens == 0 and where == -1:
                    where = match.end()
            group = _Group(group_kind, match.end(), set())
            stack.append(group)
            groups.append(group)
        elif kind == "close" and stack:
            stack.pop()
    if where == -1:
        raise QuerySyntaxError("cannot find the query's WHERE clause to bind parameters in")
    return where, tuple(group for group in groups if group.kind == "group")


def bind_parameters(query: str, params: Mapping[str, object]) -> str:
    """``query`` with each parameter bound to its RDF term, like a pre-bound variable (SPARQL 1.2
    SEP-0007 substitution): a ``VALUES`` block opens the WHERE clause and every nested group that
    mentions the variable (OPTIONAL, UNION branch, sub-query, EXISTS...). For the short form
    ``CONSTRUCT WHERE { triples }`` the block closes the query. Terms are serialised by pyoxigraph
    (escaped N-Triples syntax), never pasted as text."""
    if not params:
        return query
    terms = {name: str(to_term(value)) for name, value in params.items()}

    # One single-variable block per parameter: Virtuoso 7 fails to compile some queries (OPTIONAL
    # after a FILTER on a parameter) when one VALUES row binds several variables.
    def values(names: Iterable[str]) -> str:
        return "".join(f" VALUES ?{name} {{ {terms[name]} }}" for name in names)

    where, groups = _groups(query)
    if where is None:
        return f"{query}\n{values(terms)}\n"
    inserts = {group.end: values(name for name in terms if name in group.variables) for group in groups}
    inserts[where] = values(terms)
    parts, last = [], 0
    for offset in sorted(inserts):
        parts += [query[last:offset], inserts[offset]]
        last = offset
    return "".join(parts) + query[last:]


_ERROR_AT = re.compile(r"error at (\d+):(\d+): (.*)", re.DOTALL)


#: Deepest nesting of brackets a query may have. pyoxigraph's parser recurses once per level: a few
#: thousand levels overflow its stack and the process dies (SIGSEGV); real queries stay under ten.
MAX_NESTING = 200


def check_nesting(query: str) -> None:
    """Raise :class:`QuerySyntaxError` when ``query`` nests brackets (``{``, ``(``, ``[``) deeper than
    :data:`MAX_NESTING`; call it before handing text to pyoxigraph's parser."""
    depth = deepest = 0
    for match in _tokens(query):
        text = match.group()
        if text in ("{", "(", "["):
            depth += 1
            deepest = max(deepest, depth)
        elif text in ("}", ")", "]"):
            depth -= 1
    if deepest > MAX_NESTING:
        raise QuerySyntaxError(f"the query nests brackets {deepest} levels deep; the limit is {MAX_NESTING}")


def check_syntax(query: str, line_offset: int = 0) -> None:
    """Raise :class:`QuerySyntaxError` (with line and column) when ``query`` is not SPARQL 1.1.

    ``line_offset``: lines added in front of the user's text (reported lines are the user's)."""
    try:
        _parse(query)
    except SyntaxError as exc:
        match = _ERROR_AT.search(str(exc))
        if not match:
            raise QuerySyntaxError(f"syntax error: {exc}") from None
        line, column = int(match.group(1)) - line_offset, int(match.group(2))
        expected = " ".join(match.group(3).split())
        if len(expected) > 160:
            expected = expected[:160] + "…"
        raise QuerySyntaxError(f"syntax error at line {line}, column {column}: {expected}", line, column) from None


@lru_cache(maxsize=256)
def _parse(query: str) -> None:
    """Raise :class:`QuerySyntaxError` when ``query`` nests too deeply, ``SyntaxError`` when pyoxigraph
    cannot parse it (run on an empty store). Only successes are cached: the same text is checked on
    every run of a library query."""
    check_nesting(query)
    ox.Store().query(query)


def rebase_iris(query: str, old_base: str, new_base: str, keep: str = "") -> str:
    """``query`` with every IRI written ``<old_base...>`` moved to ``new_base`` (except those starting
    with ``keep``): library queries name data IRIs under the default base."""
    if old_base == new_base:
        return query
    parts = []
    last = 0
    for match in _tokens(query):
        iri = match.group()[1:-1]
        if match.lastgroup == "iri" and iri.startswith(old_base) and not (keep and iri.startswith(keep)):
            parts += [query[last:match.start()], f"<{new_base}{iri[len(old_base):]}>"]
            last = match.end()
    return "".join(parts) + query[last:]


# ------------------------------------------------------------------------------------------ engines

QueryResult = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples


class Engine(ABC):
    """Runs SPARQL 1.1 queries with parameters; results as pyoxigraph objects or Python values."""

    #: What the engine runs on, for messages ("embedded store", an endpoint URL).
    description: str

    @abstractmethod
    def _run(self, query: str, form: str) -> QueryResult:
        """Run a complete query (parameters already bound)."""

    def query(self, query: str, params: Mapping[str, object] | None = None) -> QueryResult:
        """Check ``query``, bind ``params`` and run it: solutions, a boolean or triples (pyoxigraph)."""
        check_syntax(query)
        unknown = sorted(set(params) - query_variables(query)) if params else []
        if unknown:
            valid = ", ".join(sorted(query_variables(query))) or "none"
            raise UnknownParameter(f"unknown parameter(s) {', '.join(unknown)}; the query's variables: {valid}")
        return self._run(bind_parameters(query, params or {}), query_form(query))

    def select_terms(self, query: str, params: Mapping[str, object] | None = None) -> list[dict[str, Any]]:
        """Rows of a SELECT as ``{variable: pyoxigraph term or None}`` (no conversion cost)."""
        solutions = self._expect(query, params, ox.QuerySolutions)
        names = [variable.value for variable in solutions.variables]
        return [{name: solution[name] for name in names} for solution in solutions]

    def select(self, query: str, params: Mapping[str, object] | None = None) -> list[dict[str, Value]]:
        """Rows of a SELECT as ``{variable: Python value or None}``."""
        solutions = self._expect(query, params, ox.QuerySolutions)
        names = [variable.value for variable in solutions.variables]
        return [{name: to_python(solution[name]) for name in names} for solution in solutions]

    def ask(self, query: str, params: Mapping[str, object] | None = None) -> bool:
        return bool(self._expect(query, params, ox.QueryBoolean))

    def construct(self, query: str, params: Mapping[str, object] | None = None) -> list[ox.Triple]:
        """The triples of a CONSTRUCT or DESCRIBE query."""
        return list(self._expect(query, params, ox.QueryTriples))

    def _expect(self, query: str, params: Mapping[str, object] | None, kind: type) -> Any:
        result = self.query(query, params)
        if not isinstance(result, kind):
            raise FtgraphError(f"expected a {_KIND_FORMS[kind]} query, got {query_form(query)}")
        return result


_KIND_FORMS: dict[type, str] = {ox.QuerySolutions: "SELECT", ox.QueryBoolean: "ASK",
                                ox.QueryTriples: "CONSTRUCT or DESCRIBE"}


class EmbeddedEngine(Engine):
    """Queries a pyoxigraph store in this process (its default graph)."""

    def __init__(self, store: ox.Store, description: str = "embedded store") -> None:
        self.store = store
        self.description = description

    def _run(self, query: str, form: str) -> QueryResult:
        return self.store.query(query)


def redact(url: str) -> str:
    """``url`` without user info (credentials never appear in messages)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


@dataclass(frozen=True)
class Credentials:
    """HTTP credentials for an endpoint; ``repr`` hides the password."""

    user: str
    password: str
    scheme: str = "digest"

    def __repr__(self) -> str:
        return f"Credentials(user={self.user!r}, password='***', scheme={self.scheme!r})"


_HTTP_STATUS = {"QueryBadFormed": 400, "Unauthorized": 401, "EndPointNotFound": 404, "URITooLong": 414,
                "EndPointInternalError": 500}

#: Response header by which Virtuoso says it cut a result set at its ResultSetMaxRows.
_MAX_ROWS_HEADER = "X-SPARQL-MaxRows"
#: SQL state Virtuoso sends (header X-SQL-State) with the partial results of an "anytime" query
#: stopped by its execution time limit (MaxQueryExecutionTime).
_PARTIAL_STATE = "S1TAT"


class RemoteEngine(Engine):
    """Queries a SPARQL 1.1 endpoint over HTTP (SPARQLWrapper), optionally within one named graph."""

    def __init__(self, endpoint: str, *, graph: str | None = None, credentials: Credentials | None = None,
                 timeout: int = 60) -> None:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise FtgraphError(f"endpoint {redact(endpoint)!r}: expected an http(s) URL")
        self.endpoint = endpoint
        self.graph = graph
        self.credentials = credentials
        self.timeout = timeout
        self.description = redact(endpoint)

    def _wrapper(self) -> Any:
        from SPARQLWrapper import BASIC, DIGEST, POST, SPARQLWrapper

        wrapper = SPARQLWrapper(self.endpoint)
        wrapper.setMethod(POST)
        wrapper.setTimeout(self.timeout)
        if self.credentials is not None:
            wrapper.setHTTPAuth(DIGEST if self.credentials.scheme == "digest" else BASIC)
            wrapper.setCredentials(self.credentials.user, self.credentials.password)
        return wrapper

    def request(self, text: str, *, update: bool = False, return_format: str = "json") -> tuple[bytes, Any]:
        """Send a query (or update) and return the response body and headers.

        Raises :class:`EndpointError` naming the endpoint and the HTTP status when the endpoint is
        unreachable, times out or refuses the request.
        """
        wrapper = self._wrapper()
        wrapper.setQuery(text)  # SPARQLWrapper sends an update (INSERT, CLEAR...) as `update=`
        if self.graph and not update:
            wrapper.addDefaultGraph(self.graph)
        wrapper.setReturnFormat(return_format)
        try:
            response = wrapper.query().response
            return response.read(), response.headers
        except urllib.error.HTTPError as exc:
            raise self._error(exc.code, exc.reason, _body(exc)) from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, TimeoutError):
                raise EndpointError(f"endpoint {self.description}: no answer within {self.timeout} s") from None
            raise EndpointError(f"endpoint {self.description} unreachable: {reason}") from None
        except TimeoutError:
            raise EndpointError(f"endpoint {self.description}: no answer within {self.timeout} s") from None
        except ConnectionError as exc:
            raise EndpointError(f"endpoint {self.description}: connection failed: {exc}") from None
        except Exception as exc:  # SPARQLWrapper's own error classes, one per HTTP status
            status = _HTTP_STATUS.get(type(exc).__name__)
            if status is None:
                raise
            raise self._error(status, type(exc).__name__, str(exc)) from None

    def _error(self, status: int, reason: str, body: str) -> EndpointError:
        detail = " ".join(body.split())[:500]
        if status == 400:
            return QuerySyntaxErrorFromEndpoint(f"endpoint {self.description} rejected the query "
                                                f"(HTTP 400): {detail}")
        return EndpointError(f"endpoint {self.description} refused the request (HTTP {status} {reason})"
                             + (f": {detail}" if detail else ""))

    def _run(self, query: str, form: str) -> QueryResult:
        if form in ("CONSTRUCT", "DESCRIBE"):
            body, headers = self.request(query, return_format="turtle")
            self._check_complete(headers)
            return _triples(body)
        body, headers = self.request(query, return_format="json")
        self._check_complete(headers)
        limit = headers.get(_MAX_ROWS_HEADER)
        if limit is not None:
            raise ResultsTruncated(
                f"endpoint {self.description} cut the results at {limit} rows ({_MAX_ROWS_HEADER}); raise the "
                "endpoint's row limit (Virtuoso: ResultSetMaxRows) or page with LIMIT/OFFSET")
        return ox.parse_query_results(body, ox.QueryResultsFormat.JSON)

    def _check_complete(self, headers: Any) -> None:
        if headers.get("X-SQL-State") == _PARTIAL_STATE:
            reason = " ".join(str(headers.get("X-SQL-Message", "")).split())
            raise ResultsTruncated(f"endpoint {self.description} returned incomplete results: {reason or 'timeout'}; "
                                   "raise its execution time limit (Virtuoso: MaxQueryExecutionTime)")


class QuerySyntaxErrorFromEndpoint(EndpointError):
    """The endpoint rejected the query as malformed (HTTP 400). Exit code 2."""

    exit_code = 2


def _body(exc: urllib.error.HTTPError) -> str:
    try:
        return exc.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _triples(body: bytes) -> ox.QueryTriples:
    store = ox.Store()
    store.load(body, ox.RdfFormat.TURTLE)
    result = store.query("CONSTRUCT WHERE { ?s ?p ?o }")
    assert isinstance(result, ox.QueryTriples)
    return result


def engine_for(out_dir: Path, endpoint: str | None = None, *, store: str | None = None, prefer: str = "disk",
               graph: str | None = None, user: str | None = None, password: str | None = None,
               auth: str | None = None, timeout: int = 60) -> Engine:
    """The remote engine when an endpoint is given (option, else ``FTGRAPH_ENDPOINT``), else the
    embedded store of ``out_dir``: ``store`` (option, else ``FTGRAPH_STORE``, else the caller's
    ``prefer``) is ``"disk"`` (:func:`open_store`) or ``"memory"`` (:func:`load_store`). Credentials: options, else
    ``FTGRAPH_ENDPOINT_USER`` / ``FTGRAPH_ENDPOINT_PASSWORD`` (scheme ``FTGRAPH_ENDPOINT_AUTH``: digest
    (default) or basic); the graph: option, else ``FTGRAPH_GRAPH``."""
    endpoint = endpoint or os.environ.get("FTGRAPH_ENDPOINT") or None
    if endpoint is None:
        kind = (store or os.environ.get("FTGRAPH_STORE") or prefer).lower()
        if kind == "memory":
            return EmbeddedEngine(load_store(out_dir), f"in-memory store of {out_dir / GRAPH_NT}")
        if kind != "disk":
            raise FtgraphError(f"store {kind!r} (FTGRAPH_STORE or --store): expected {' or '.join(STORE_KINDS)}")
        return EmbeddedEngine(open_store(out_dir), f"embedded store {out_dir / STORE_DIR}")
    user = user or os.environ.get("FTGRAPH_ENDPOINT_USER") or None
    password = password if password is not None else os.environ.get("FTGRAPH_ENDPOINT_PASSWORD")
    scheme = (auth or os.environ.get("FTGRAPH_ENDPOINT_AUTH") or "digest").lower()
    if scheme not in ("digest", "basic"):
        raise FtgraphError(f"authentication scheme {scheme!r}: expected digest or basic")
    credentials = Credentials(user, password or "", scheme) if user else None
    return RemoteEngine(endpoint, graph=graph or os.environ.get("FTGRAPH_GRAPH") or None,
                        credentials=credentials, timeout=timeout)
