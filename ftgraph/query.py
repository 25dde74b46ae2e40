"""The query library (``queries/*.rq``) and how to run it: CLI ``ftgraph queries`` / ``ftgraph query``
and a Python API for notebooks.

A library query is a SPARQL 1.1 file whose leading comment block is its header::

    # title: Local actors of a metropole by type
    # question: Which organisations and people are tied to a metropole's French Tech ecosystem,
    #   and of what type are they?
    # param ecosystem: org = french-tech-grenoble | the ecosystem, by id or IRI
    # columns: type, actor, name

``param NAME: KIND [= DEFAULT] [| description]`` declares a parameter; a parameter without a default
is required. Kinds: ``org``, ``person``, ``event``, ``place``, ``concept``, ``source``, ``award``,
``membership`` (an id, i.e. ``BASE + KIND/ + id``, or a full IRI), ``iri`` (an IRI or a prefixed
name), ``string``, ``integer``, ``date`` (YYYY-MM-DD) and ``term`` (any RDF term in Turtle syntax).
Values become RDF terms bound to the variable of the same name (see :mod:`ftgraph.engine`), never
text pasted into the query.

Python::

    from ftgraph import query
    query.rows("brokers", {"ecosystem": "french-tech-lyon"})        # list of dicts of Python values
    query.dataframe("label-waves")                                  # pandas (extra: ftgraph[pandas])
    query.run("SELECT ...", engine=my_engine)                       # raw pyoxigraph result
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import IO, Any

import click
import pyoxigraph as ox

from ftgraph.build import Paths, project_root
from ftgraph.clikit import user_errors
from ftgraph.engine import (
    STORE_KINDS,
    Engine,
    QueryResult,
    QuerySyntaxError,
    UnknownParameter,
    Value,
    check_syntax,
    engine_for,
    query_form,
    query_variables,
    rebase_iris,
    to_python,
    to_term,
)
from ftgraph.errors import FtgraphError
from ftgraph.namespaces import DEFAULT_BASE_IRI, FT, PREFIXES, sparql_prologue
from ftgraph.progress import Progress

__all__ = [
    "LibraryQuery",
    "Parameter",
    "UnknownQuery",
    "dataframe",
    "library",
    "resolve",
    "rows",
    "run",
    "write_result",
]

QUERIES_DIR = "queries"
ENTITY_KINDS = ("org", "person", "event", "place", "concept", "source", "award", "membership")
KINDS = (*ENTITY_KINDS, "iri", "string", "integer", "date", "term")
SELECT_FORMATS = ("table", "csv", "tsv", "json", "xml")
GRAPH_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "jsonld": ox.RdfFormat.JSON_LD}
_RESULT_FORMATS = {"csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV,
                   "json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML}
_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class UnknownQuery(FtgraphError):
    """No library query, file or SPARQL text by that name. Exit code 2."""

    exit_code = 2


# ------------------------------------------------------------------------------------ the library

def _prefixes(base_iri: str) -> dict[str, str]:
    prefixes = {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}
    prefixes["ftr"] = base_iri
    return prefixes


def _parse_turtle_term(value: str, base_iri: str) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """One RDF term in Turtle syntax (``<iri>``, ``prefix:name``, ``"text"@fr``, ``42``...)."""
    prologue = "".join(f"@prefix {prefix}: <{iri}> .\n" for prefix, iri in _prefixes(base_iri).items())
    try:
        quads = list(ox.parse(f"{prologue}<urn:x:s> <urn:x:p> {value} .", format=ox.RdfFormat.TURTLE))
    except SyntaxError:
        quads = []
    if len(quads) != 1 or isinstance(quads[0].object, ox.Triple):
        raise ValueError("not one RDF term in Turtle syntax")
    return quads[0].object


@dataclass(frozen=True)
class Parameter:
    """A declared parameter of a library query."""

    name: str
    kind: str
    default: str | None = None
    description: str = ""

    def term(self, value: object, base_iri: str = DEFAULT_BASE_IRI) -> ox.NamedNode | ox.BlankNode | ox.Literal:
        """The RDF term for ``value``: a string as typed on the command line, or already a term or
        Python value. Raises :class:`UnknownParameter` with the expected form when it does not fit."""
        if not isinstance(value, str):
            return to_term(value)
        try:
            return self._parse(value.strip(), base_iri)
        except ValueError as exc:
            raise UnknownParameter(f"parameter {self.name} ({self.kind}) = {value!r}: {exc}") from None

    def _parse(self, text: str, base_iri: str) -> ox.NamedNode | ox.BlankNode | ox.Literal:
        if self.kind in ENTITY_KINDS:
            if _ID.match(text):
                return ox.NamedNode(f"{base_iri}{self.kind}/{text}")
            return self._iri(text, base_iri, f"an id such as 'atos' or an IRI {base_iri}{self.kind}/ID")
        if self.kind == "iri":
            return self._iri(text, base_iri, "an IRI (<https://...> or https://...) or a prefixed name (schema:name)")
        if self.kind == "string":
            return ox.Literal(text)
        if self.kind == "integer":
            if not re.fullmatch(r"[+-]?\d+", text):
                raise ValueError("expected an integer")
            return ox.Literal(str(int(text)), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))
        if self.kind == "date":
            try:
                day = dt.date.fromisoformat(text)
            except ValueError:
                raise ValueError("expected a date YYYY-MM-DD") from None
            return ox.Literal(day.isoformat(), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date"))
        try:
            return _parse_turtle_term(text, base_iri)
        except ValueError:
            return self._iri(text, base_iri, "one RDF term in Turtle syntax, e.g. <https://...>, ftr:org/atos, "
                                             '"text", "2014"^^xsd:gYear, 42')

    @staticmethod
    def _iri(text: str, base_iri: str, expected: str) -> ox.NamedNode:
        if text.startswith("<") and text.endswith(">"):
            text = text[1:-1]
        if re.match(r"^[a-z][a-z0-9+.-]*://", text, re.IGNORECASE):
            try:
                return ox.NamedNode(text)
            except ValueError:
                raise ValueError(f"not a valid IRI; expected {expected}") from None
        prefix, colon, local = text.partition(":")
        namespace = _prefixes(base_iri).get(prefix)
        if colon and namespace is not None:
            return ox.NamedNode(namespace + local)
        raise ValueError(f"expected {expected}")


@dataclass(frozen=True)
class LibraryQuery:
    """A query with its header: a library file, another .rq file, or SPARQL text (``name`` '-e')."""

    name: str
    text: str
    path: Path | None = None
    title: str = ""
    question: str = ""
    params: tuple[Parameter, ...] = ()
    columns: tuple[str, ...] = ()
    #: Ad-hoc SPARQL gets the project's PREFIX declarations; library files declare their own.
    adhoc: bool = False
    form: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "form", query_form(self.text))

    def sparql(self, base_iri: str = DEFAULT_BASE_IRI) -> str:
        """The query text to run: data IRIs moved to ``base_iri``, project prefixes for ad-hoc text."""
        text = rebase_iris(self.text, DEFAULT_BASE_IRI, base_iri, keep=str(FT))
        return sparql_prologue(base_iri) + text if self.adhoc else text

    @property
    def prologue_lines(self) -> int:
        return sparql_prologue().count("\n") if self.adhoc else 0

    def parameter(self, name: str) -> Parameter:
        for parameter in self.params:
            if parameter.name == name:
                return parameter
        if self.adhoc and name in query_variables(self.text):
            return Parameter(name, "term")
        valid = ", ".join(p.name for p in self.params) if not self.adhoc else ", ".join(
            sorted(query_variables(self.text)))
        raise UnknownParameter(f"{self.name}: unknown parameter {name!r}; valid parameters: {valid or 'none'}")

    def bindings(self, values: Mapping[str, object] | None = None,
                 base_iri: str = DEFAULT_BASE_IRI) -> dict[str, ox.NamedNode | ox.BlankNode | ox.Literal]:
        """Every parameter's RDF term: the given value, else the default. Raises
        :class:`UnknownParameter` for an undeclared name (listing the valid ones) or a missing value."""
        values = dict(values or {})
        terms = {name: self.parameter(name).term(value, base_iri) for name, value in values.items()}
        for parameter in self.params:
            if parameter.name in terms:
                continue
            if parameter.default is None:
                raise UnknownParameter(f"{self.name}: parameter {parameter.name!r} ({parameter.kind}) is required")
            terms[parameter.name] = parameter.term(parameter.default, base_iri)
        return terms


_HEADER_FIELD = re.compile(r"^#\s*(title|question|param|columns)\b\s*:?\s*(.*)$")
_PARAM = re.compile(r"^(\w+)\s*:\s*(\w+)\s*(?:=\s*(\S+))?\s*(?:\|\s*(.*))?$")


def parse_query_file(path: Path, name: str | None = None) -> LibraryQuery:
    """Read a ``.rq`` file and its header (see the module docstring)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UnknownQuery(f"{path}: cannot read the query: {exc.strerror}") from None
    return parse_query_text(text, name or path.stem, path)


def parse_query_text(text: str, name: str, path: Path | None = None, *, adhoc: bool = False) -> LibraryQuery:
    fields: dict[str, list[str]] = {"title": [], "question": [], "param": [], "columns": []}
    current: list[str] | None = None
    where = str(path or name)
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        match = _HEADER_FIELD.match(line)
        if match:
            current = fields[match.group(1)]
            current.append(match.group(2).strip())
        elif current is not None and line[1:].strip() and line[1:2].isspace() and line[2:3].isspace():
            current[-1] += " " + line[1:].strip()  # continuation line: '#   more text'
        else:
            current = None
    params = []
    for declaration in fields["param"]:
        match = _PARAM.match(declaration)
        if not match or match.group(2) not in KINDS:
            raise FtgraphError(f"{where}: bad parameter declaration {declaration!r}; expected "
                               f"'# param NAME: KIND [= DEFAULT] [| description]' with KIND in {', '.join(KINDS)}")
        params.append(Parameter(match.group(1), match.group(2), match.group(3), (match.group(4) or "").strip()))
    columns = tuple(c.strip() for c in ",".join(fields["columns"]).split(",") if c.strip())
    try:
        return LibraryQuery(name, text, path, " ".join(fields["title"]), " ".join(fields["question"]),
                            tuple(params), columns, adhoc)
    except QuerySyntaxError as exc:
        raise QuerySyntaxError(f"{where}: {exc}") from None


def library_dir() -> Path:
    return _library_dir(os.getcwd())


@lru_cache(maxsize=16)
def _library_dir(cwd: str) -> Path:
    """The library of the project found from ``cwd`` (once per working directory: finding the project
    costs a tenth of a millisecond, as much as a small query)."""
    return project_root() / QUERIES_DIR


@cache
def _library(folder: Path, stamp: tuple[tuple[str, int], ...]) -> dict[str, LibraryQuery]:
    return {path.stem: parse_query_file(path) for path in sorted(folder.glob("*.rq"))}


def library(folder: Path | None = None) -> dict[str, LibraryQuery]:
    """The library queries by name (file stem), in name order."""
    folder = (folder or library_dir()).resolve()
    return _library(folder, _stamp(folder))


def _stamp(folder: Path) -> tuple[tuple[str, int], ...]:
    """Name and modification time of each ``.rq`` file (one ``scandir``: this runs on every query)."""
    try:
        with os.scandir(folder) as entries:
            return tuple(sorted((entry.name, entry.stat().st_mtime_ns) for entry in entries
                                if entry.name.endswith(".rq")))
    except FileNotFoundError:
        return ()


def _is_file(text: str) -> bool:
    try:
        return Path(text).is_file()
    except OSError:  # e.g. SPARQL text longer than a file name may be
        return False


_FILE_STEM = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


@lru_cache(maxsize=256)
def _library_file(path: Path, mtime_ns: int) -> LibraryQuery:
    return parse_query_file(path)


def resolve(query: str | Path | LibraryQuery, folder: Path | None = None) -> LibraryQuery:
    """A library query by name, a ``.rq`` file by path, or SPARQL text (when it contains ``{``)."""
    if isinstance(query, LibraryQuery):
        return query
    if isinstance(query, str) and _FILE_STEM.match(query):  # one stat, not the whole folder's: runs per query
        path = (folder or library_dir()) / f"{query}.rq"
        try:
            return _library_file(path, path.stat().st_mtime_ns)
        except (FileNotFoundError, NotADirectoryError):
            pass
    queries = library(folder)
    if isinstance(query, str) and query in queries:
        return queries[query]
    if isinstance(query, Path) or str(query).endswith(".rq") or _is_file(str(query)):
        path = Path(query)
        if path.is_file():
            return parse_query_file(path)
    elif isinstance(query, str) and "{" in query:
        return parse_query_text(query, "-e", adhoc=True)
    raise UnknownQuery(f"unknown query {str(query)!r}; library queries: {', '.join(queries) or 'none'}")


# ----------------------------------------------------------------------------------------- running

def run(query: str | Path | LibraryQuery, params: Mapping[str, object] | None = None, *,
        engine: Engine | None = None, base_iri: str = DEFAULT_BASE_IRI) -> QueryResult:
    """Run a library query (by name), a ``.rq`` file or SPARQL text with ``params``.

    ``engine`` defaults to ``./out/graph.nt`` loaded in memory once for the process (or the store
    that ``FTGRAPH_STORE`` / ``FTGRAPH_ENDPOINT`` names): see :func:`ftgraph.engine.engine_for`.
    """
    resolved = resolve(query)
    bindings = resolved.bindings(params, base_iri)
    engine = engine or engine_for(Paths.default().out, prefer="memory")
    text = resolved.sparql(base_iri)
    try:
        return engine.query(text, bindings)  # checks the syntax first
    except QuerySyntaxError:
        try:  # again, to name the file and count lines from the user's text (not the prologue)
            check_syntax(text, line_offset=resolved.prologue_lines)
        except QuerySyntaxError as exc:
            raise QuerySyntaxError(f"{resolved.path or resolved.name}: {exc}", exc.line, exc.column) from None
        raise


def rows(query: str | Path | LibraryQuery, params: Mapping[str, object] | None = None, *,
         engine: Engine | None = None, base_iri: str = DEFAULT_BASE_IRI) -> list[dict[str, Value]]:
    """A SELECT's rows as dicts of Python values (see :func:`ftgraph.engine.to_python`)."""
    result = run(query, params, engine=engine, base_iri=base_iri)
    if not isinstance(result, ox.QuerySolutions):
        raise FtgraphError(f"{query}: not a SELECT query")
    names = [variable.value for variable in result.variables]
    return [{name: to_python(solution[name]) for name in names} for solution in result]


def dataframe(query: str | Path | LibraryQuery, params: Mapping[str, object] | None = None, *,
              engine: Engine | None = None, base_iri: str = DEFAULT_BASE_IRI) -> Any:
    """A SELECT's rows as a pandas DataFrame (one column per variable, Python values)."""
    try:
        import pandas as pd
    except ImportError:
        raise FtgraphError("pandas is not installed: pip install 'ftgraph[pandas]'") from None
    result = run(query, params, engine=engine, base_iri=base_iri)
    if not isinstance(result, ox.QuerySolutions):
        raise FtgraphError(f"{query}: not a SELECT query")
    names = [variable.value for variable in result.variables]
    records = [[to_python(solution[name]) for name in names] for solution in result]
    return pd.DataFrame.from_records(records, columns=names)


# ------------------------------------------------------------------------------------------ output

def shorten(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None, prefixes: Mapping[str, str]) -> str:
    """A term for a table cell: IRIs as prefixed names where a prefix fits, literals as their text."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        best = max((ns for ns in prefixes.values() if term.value.startswith(ns)), key=len, default=None)
        if best is None:
            return term.value
        prefix = next(p for p, ns in prefixes.items() if ns == best)
        return f"{prefix}:{term.value[len(best):]}"
    if isinstance(term, ox.Literal):
        return term.value
    return str(term)


def write_result(result: QueryResult, fmt: str | None, stream: IO[bytes], *,
                 base_iri: str = DEFAULT_BASE_IRI, console: Any = None) -> None:
    """Write a result: SELECT as ``table|csv|tsv|json|xml``; ASK as ``true``/``false`` (json/xml:
    the W3C result formats); CONSTRUCT/DESCRIBE as ``turtle|nt|jsonld`` (sorted, deterministic)."""
    prefixes = _prefixes(base_iri)
    if isinstance(result, ox.QueryTriples):
        fmt = fmt or "turtle"
        if fmt not in GRAPH_FORMATS:
            raise FtgraphError(f"--format {fmt}: a CONSTRUCT/DESCRIBE result is written as "
                               f"{', '.join(GRAPH_FORMATS)}")
        lines = sorted((str(triple), triple) for triple in result)
        text = "\n".join(line for line, _ in lines)
        used = {p: ns for p, ns in prefixes.items() if ns in text} if fmt != "nt" else None
        ox.serialize([triple for _, triple in lines], stream, GRAPH_FORMATS[fmt], prefixes=used)
        return
    fmt = fmt or "table"
    if fmt not in SELECT_FORMATS:
        raise FtgraphError(f"--format {fmt}: a {'SELECT' if isinstance(result, ox.QuerySolutions) else 'ASK'} "
                           f"result is written as {', '.join(SELECT_FORMATS)}")
    if isinstance(result, ox.QueryBoolean):
        if fmt in ("json", "xml"):
            result.serialize(stream, _RESULT_FORMATS[fmt])
        else:
            stream.write(b"true\n" if bool(result) else b"false\n")
        return
    if fmt != "table":
        result.serialize(stream, _RESULT_FORMATS[fmt])
        return
    from rich.console import Console
    from rich.table import Table

    names = [variable.value for variable in result.variables]
    table = Table(*names)
    count = 0
    for solution in result:
        table.add_row(*(shorten(solution[name], prefixes) for name in names))
        count += 1
    out = console or Console(highlight=False, soft_wrap=True)
    out.print(table)
    out.print(f"{count} row{'s' if count != 1 else ''}", style="dim")


# --------------------------------------------------------------------------------------------- CLI

def _param_pairs(pairs: tuple[str, ...]) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or not name.strip():
            raise UnknownParameter(f"--param {pair!r}: expected NAME=VALUE")
        params[name.strip()] = value
    return params


@click.command("queries")
@click.argument("name", required=False)
@user_errors
def queries_command(name: str | None) -> None:
    """List the library queries with their titles, or show one query's header and text."""
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False, soft_wrap=True)
    if name is not None:
        query = resolve(name)
        console.print(f"[bold]{query.name}[/bold]: {query.title}")
        console.print(query.question)
        for parameter in query.params:
            default = f" = {parameter.default}" if parameter.default is not None else " (required)"
            console.print(f"  --param {parameter.name}  {parameter.kind}{default}  {parameter.description}")
        console.print(f"columns: {', '.join(query.columns)}")
        console.print(query.text, markup=False)
        return
    table = Table("name", "title", "parameters")
    for query in library().values():
        table.add_row(query.name, query.title, ", ".join(p.name for p in query.params))
    console.print(table)


@click.command("query")
@click.argument("query_name", metavar="NAME|FILE", required=False)
@click.option("-e", "--expression", default=None, help="SPARQL text to run instead of a library query.")
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE", help="A parameter (repeatable).")
@click.option("--format", "-f", "fmt", type=click.Choice([*SELECT_FORMATS, *GRAPH_FORMATS]), default=None,
              help="SELECT/ASK: table (default), csv, tsv, json, xml; CONSTRUCT/DESCRIBE: turtle (default), "
                   "nt, jsonld.")
@click.option("--endpoint", default=None, help="A SPARQL 1.1 endpoint URL (env FTGRAPH_ENDPOINT); default: "
                                               "the embedded store of out/.")
@click.option("--store", type=click.Choice(STORE_KINDS), default=None,
              help="Embedded store (env FTGRAPH_STORE): disk (default), the persisted store of out/, opens at once; "
                   "memory loads out/graph.nt first (a few seconds per million triples), then queries faster.")
@click.option("--graph", "graph_iri", default=None, help="Query only this named graph of the endpoint "
                                                         "(env FTGRAPH_GRAPH).")
@click.option("--user", default=None, help="Endpoint user (env FTGRAPH_ENDPOINT_USER).")
@click.option("--password", default=None, help="Endpoint password; prefer env FTGRAPH_ENDPOINT_PASSWORD.")
@click.option("--auth", type=click.Choice(["digest", "basic"]), default=None,
              help="HTTP authentication scheme (env FTGRAPH_ENDPOINT_AUTH, default digest).")
@click.option("--timeout", type=click.IntRange(min=1), default=60, show_default=True,
              help="Seconds to wait for the endpoint.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Output folder holding graph.nt and the store (default: ./out).")
@click.option("--base-iri", default=DEFAULT_BASE_IRI, show_default=True, help="Base IRI of the data's entities.")
@click.pass_obj
@user_errors
def query_command(progress: Progress, query_name: str | None, expression: str | None, params: tuple[str, ...],
                  fmt: str | None, endpoint: str | None, store: str | None, graph_iri: str | None, user: str | None,
                  password: str | None, auth: str | None, timeout: int, out_dir: Path | None,
                  base_iri: str) -> None:
    """Run a library query (see `ftgraph queries`), a .rq file or SPARQL text (-e)."""
    if (query_name is None) == (expression is None):
        raise UnknownQuery("give one of NAME|FILE or -e SPARQL; library queries: " + ", ".join(library()))
    query = parse_query_text(expression, "-e", adhoc=True) if expression is not None else resolve(str(query_name))
    values = _param_pairs(params)
    query.bindings(values, base_iri)  # unknown or ill-formed parameters fail before any store is opened
    with progress.step(f"run {query.name} on {endpoint or 'the embedded store'}"):
        engine = engine_for(Paths.default(out=out_dir).out, endpoint, store=store, graph=graph_iri, user=user,
                            password=password, auth=auth, timeout=timeout)
        result = run(query, values, engine=engine, base_iri=base_iri)
    write_result(result, fmt, sys.stdout.buffer, base_iri=base_iri)
    sys.stdout.flush()
