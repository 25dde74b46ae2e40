"""Reliability and security, measured: ``ftgraph reliability fuzz|faults|load|report``.

- **fuzz**: property-based inputs (hypothesis) for everything that reads user input: the YAML records
  of ``data/`` (structured mutations of real and minimal records, and byte-level damage), the
  ontology and shapes (Turtle), the JSON-LD context of the exports, the tables and column mappings of
  ``ftgraph ingest csv``, SPARQL text and query parameters, and arbitrary text carried from a record
  to ``graph.nt``, ``graph.ttl`` and the JSON-LD export. Every input must end in success or in one
  clear error (a :class:`FtgraphError` naming the file, and the record and field when there is one):
  never a traceback, a hang or a partial ``out/`` (or ``data/``).
- **faults**: builds killed (SIGKILL) at random moments, embedded stores damaged in every way or killed
  while being built, a Virtuoso killed in the middle of a ``push``: nothing lost, nothing half-made.
- **load**: the server under a bounded load on loopback while one client sends hostile requests
  (oversized, malformed, pathological, Update/SERVICE/LOAD, path traversal, header and script injection).

Each command measures, prints its figures, keeps them in ``docs/reliability.json`` and rewrites
``docs/reliability.md`` from them: the document is never written by hand. The tests
(``tests/test_fuzz.py``, ``tests/test_faults.py``, ``tests/test_hostile_server.py``) run the same
checks with small budgets.

hypothesis is a test dependency: the ``fuzz`` command imports it when it runs.
"""

from __future__ import annotations

import configparser
import contextlib
import copy
import dataclasses
import datetime as dt
import functools
import http.client
import io
import json
import logging
import multiprocessing
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urlsplit

import click
import pyoxigraph as ox
import yaml

from ftgraph.build import GRAPH_NT, GRAPH_TTL, ONTOLOGY_FILE, SHAPES_FILE, BuiltGraph, Paths, build_graph
from ftgraph.clikit import base_option, data_option, out_option, user_errors
from ftgraph.errors import DataErrors, FtgraphError
from ftgraph.loader import data_files, load_dataset
from ftgraph.progress import Progress

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

#: Seconds one fuzzed input may take before it counts as a hang.
INPUT_TIME_LIMIT = 60.0
#: Real records the ``fuzz`` command starts from (with every record they refer to): stable facts.
REAL_SEED_IDS = ("visit-axelle-lemaire-grenoble-2014-09-12", "labelling-decision-2014-11-12", "atos",
                 "biopolis", "medicalps", "spartoo", "label-call-metropole-french-tech-2014")


# ------------------------------------------------------------------------------ findings and tallies

class Finding(AssertionError):
    """An input that broke the contract: a traceback, a hang, an unclear error or a partial output."""


class _Hang(BaseException):
    """Raised by :func:`time_limit` (a BaseException, so that ``except Exception`` does not hide it)."""


@contextlib.contextmanager
def time_limit(seconds: float, what: str) -> Iterator[None]:
    """Raise :class:`Finding` when the block runs longer than ``seconds`` (main thread only; code
    running inside a native library is interrupted when it returns to Python)."""

    def expire(signum: int, frame: FrameType | None) -> None:
        raise _Hang

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _Hang:
        raise Finding(f"{what}: still running after {seconds:g} s (a hang)") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


_QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"|«[^»]*»")
_PATH = re.compile(r"(?<![\w.:/])/[^\s:'\",;)]+")  # absolute paths, not URLs or docs/x.md
_NUMBER = re.compile(r"\d+")


def normalise(message: str) -> str:
    """An error message without its particulars (quoted values, paths, numbers), to count kinds of errors."""
    text = _QUOTED.sub("'…'", message)
    text = _PATH.sub("FILE", text)
    text = _NUMBER.sub("N", text)
    return " ".join(text.split())[:160]


@dataclass
class Tally:
    """Inputs tried per fuzz target, how many were accepted, and the distinct (normalised) errors."""

    tried: Counter[str] = field(default_factory=Counter)
    accepted: Counter[str] = field(default_factory=Counter)
    errors: dict[str, Counter[str]] = field(default_factory=dict)
    findings: dict[str, str] = field(default_factory=dict)

    def record(self, target: str, messages: Sequence[str]) -> None:
        """Count one input of ``target``: accepted when ``messages`` is empty, else its errors."""
        self.tried[target] += 1
        if not messages:
            self.accepted[target] += 1
        self.errors.setdefault(target, Counter()).update(normalise(message) for message in messages)

    def distinct_errors(self, target: str | None = None) -> int:
        targets = [target] if target else list(self.errors)
        return len({message for name in targets for message in self.errors.get(name, ())})


def _unexpected(what: str, exc: BaseException) -> Finding:
    trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=-4))
    return Finding(f"{what}: {type(exc).__name__} instead of a clear error:\n{trace}")


def _messages_of(exc: FtgraphError, files: Sequence[Path], what: str) -> list[str]:
    """The messages of a user error, checked for clarity: each one names the file it is about."""
    if isinstance(exc, DataErrors):
        messages = []
        for error in exc.errors:
            if not any(error.path.startswith(str(path)) for path in files):
                raise Finding(f"{what}: an error names no input file: {error}")
            if not error.message.strip() or "Traceback" in error.message:
                raise Finding(f"{what}: an unclear error: {error}")
            messages.append(error.message)
        if not messages:
            raise Finding(f"{what}: DataErrors without any error")
        return messages
    text = str(exc)
    if not text.strip() or "Traceback" in text:
        raise Finding(f"{what}: an unclear error: {text!r}")
    return [text]


# ------------------------------------------------------------------------------------------ seeds

@dataclass(frozen=True)
class Seed:
    """A small valid dataset to mutate: YAML text by path relative to ``data/``."""

    files: dict[str, str]

    @classmethod
    def from_dir(cls, data_dir: Path) -> Seed:
        return cls({str(path.relative_to(data_dir)): path.read_text(encoding="utf-8")
                    for path in data_files(data_dir)})

    def write(self, data_dir: Path) -> None:
        for relative, text in self.files.items():
            path = data_dir / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")

    def ids(self) -> list[str]:
        """Every record id of the seed (references for mutations)."""
        return [record["id"] for text in self.files.values() for records in (yaml.safe_load(text) or {}).values()
                for record in records if isinstance(record, dict) and "id" in record]


def _mentioned_ids(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _mentioned_ids(item)
    elif isinstance(value, list):
        for item in value:
            yield from _mentioned_ids(item)


def real_seed(data_dir: Path, ids: Sequence[str] = REAL_SEED_IDS) -> Seed:
    """The real records ``ids`` and, transitively, every record they refer to, kept in their files.

    The result is a small dataset that loads, maps and validates like the real one (it is checked)."""
    dataset = load_dataset(data_dir)
    wanted: list[str] = []
    pending = [record_id for record_id in ids if record_id in dataset.records]
    while pending:
        record_id = pending.pop()
        if record_id in wanted:
            continue
        wanted.append(record_id)
        located = dataset.records[record_id]
        pending += [other for other in _mentioned_ids(located.raw) if other in dataset.records and other not in wanted]
    by_file: dict[str, dict[str, list[Any]]] = {}
    for record_id in sorted(wanted, key=lambda rid: (str(dataset.records[rid].path), dataset.records[rid].line)):
        located = dataset.records[record_id]
        relative = str(located.path.relative_to(data_dir))
        raw = json.loads(json.dumps(located.raw, default=str))  # plain dicts and lists, dates as text
        by_file.setdefault(relative, {}).setdefault(located.kind, []).append(raw)
    return Seed({relative: yaml.safe_dump(kinds, allow_unicode=True, sort_keys=False, width=120)
                 for relative, kinds in by_file.items()})


# -------------------------------------------------------------------------------------- workspace

class Workspace:
    """A temporary project (``data/``, ``ontology/``, ``out/``) where fuzzed inputs are tried one at a
    time; ``out/`` holds a complete earlier build, which a failed input must leave as it is."""

    def __init__(self, root: Path, seed: Seed, ontology_dir: Path) -> None:
        self.root = root
        self.paths = Paths(root / "data", root / "ontology", root / "out")
        seed.write(self.paths.data)
        shutil.copytree(ontology_dir, self.paths.ontology)
        self.seed = seed
        from ftgraph import pipeline

        pipeline.run(self.paths, progress=_quiet(), stages=pipeline.STAGES[:1])

    @functools.cached_property
    def built(self) -> BuiltGraph:
        """The seed's graph (inputs are tried one at a time and put back, so it stays valid)."""
        return build_graph(self.paths, validate=False)

    def inputs(self) -> list[Path]:
        return [self.paths.data, self.paths.ontology]

    @contextlib.contextmanager
    def replaced(self, path: Path, content: bytes) -> Iterator[Path]:
        """``path`` (inside the workspace) holds ``content`` for the duration of the block."""
        original = path.read_bytes() if path.exists() else None
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        try:
            yield path
        finally:
            if original is None:
                path.unlink()
            else:
                path.write_bytes(original)

    def out_state(self) -> dict[str, bytes]:
        """The bytes of every file of ``out/`` (small here), and the names of leftover staging folders."""
        state = {str(path.relative_to(self.paths.out)): path.read_bytes()
                 for path in sorted(self.paths.out.rglob("*")) if path.is_file()}
        for leftover in sorted(self.root.glob(".out.*")):
            if leftover.is_dir():
                state[f"leftover:{leftover.name}"] = b""
        return state


def _quiet() -> Progress:
    return Progress(quiet=True)


def build_outcome(workspace: Workspace, what: str) -> list[str]:
    """Run the main job's build on the workspace: [] when it succeeds, else the messages of its clear
    error. A failed build must leave ``out/`` byte for byte as it was; a successful one must write a
    ``graph.nt`` and a ``graph.ttl`` that parse back to the built graph."""
    from ftgraph import pipeline

    before = workspace.out_state()
    try:
        with time_limit(INPUT_TIME_LIMIT, what):
            result = pipeline.run(workspace.paths, progress=_quiet(), stages=pipeline.STAGES[:1])
    except FtgraphError as exc:
        if workspace.out_state() != before:
            raise Finding(f"{what}: the build failed ({str(exc)[:200]}) but out/ changed (partial output)") from None
        return _messages_of(exc, workspace.inputs(), what)
    except Finding:
        raise
    except Exception as exc:
        raise _unexpected(what, exc) from None
    check_graph_files(workspace.paths.out, len(result.built.combined), what)
    return []


def check_graph_files(out_dir: Path, triples: int, what: str) -> None:
    """``graph.nt`` and ``graph.ttl`` of ``out_dir`` parse (pyoxigraph) to the same ``triples`` triples."""
    graph_nt = (out_dir / GRAPH_NT).read_bytes()
    try:
        from_nt = {quad.triple for quad in ox.parse(graph_nt, format=ox.RdfFormat.N_TRIPLES)}
        from_ttl = {quad.triple for quad in ox.parse((out_dir / GRAPH_TTL).read_bytes(), format=ox.RdfFormat.TURTLE)}
    except SyntaxError as exc:
        raise Finding(f"{what}: the written graph does not parse: {exc}") from None
    if len(from_nt) != triples or from_nt != from_ttl:
        raise Finding(f"{what}: graph.nt has {len(from_nt)} triples, graph.ttl {len(from_ttl)}, the build {triples}")


# ----------------------------------------------------------------------------------- fuzz targets

def data_outcome(workspace: Workspace, relative: str, content: bytes, *, build: bool = True) -> list[str]:
    """Load ``data/`` with ``relative`` holding ``content``: [] when it is accepted (and, with ``build``,
    maps, validates and is written by the main job), else the messages of its clear errors."""
    what = f"data/{relative}"
    with workspace.replaced(workspace.paths.data / relative, content):
        try:
            with time_limit(INPUT_TIME_LIMIT, what):
                load_dataset(workspace.paths.data)
        except DataErrors as exc:
            return _messages_of(exc, workspace.inputs(), what)
        except Finding:
            raise
        except Exception as exc:
            raise _unexpected(what, exc) from None
        return build_outcome(workspace, what) if build else []


def ontology_outcome(workspace: Workspace, name: str, content: bytes) -> list[str]:
    """Build with ``ontology/name`` (the ontology or the shapes, Turtle) holding ``content``."""
    with workspace.replaced(workspace.paths.ontology / name, content):
        return build_outcome(workspace, f"ontology/{name}")


def jsonld_context_outcome(workspace: Workspace, content: bytes) -> list[str]:
    """Export the workspace's graph as JSON-LD with ``ontology/context.jsonld`` holding ``content``: a
    clear error, or a document that parses back to exactly the graph's triples."""
    from ftgraph.export import CONTEXT_FILE, Exporter, load_context

    what = f"ontology/{CONTEXT_FILE}"
    built = workspace.built
    with workspace.replaced(workspace.paths.ontology / CONTEXT_FILE, content):
        try:
            with time_limit(INPUT_TIME_LIMIT, what):
                document = Exporter(built, load_context(workspace.paths.ontology)).jsonld()
        except FtgraphError as exc:
            return _messages_of(exc, workspace.inputs(), what)
        except Finding:
            raise
        except Exception as exc:
            raise _unexpected(what, exc) from None
    check_same_triples(document.encode("utf-8"), ox.RdfFormat.JSON_LD, built.combined, what)
    return []


def check_same_triples(document: bytes, rdf_format: ox.RdfFormat, graph: Any, what: str) -> None:
    """``document`` parses (pyoxigraph) to exactly the triples of the rdflib ``graph``."""
    from ftgraph.export import to_oxigraph

    try:
        parsed = {quad.triple for quad in ox.parse(document, format=rdf_format)}
    except SyntaxError as exc:
        raise Finding(f"{what}: the output does not parse back: {exc}") from None
    expected = set(to_oxigraph(graph))
    if parsed != expected:
        lost, added = sorted(map(str, expected - parsed))[:3], sorted(map(str, parsed - expected))[:3]
        raise Finding(f"{what}: the output does not hold the graph: lost {lost}, added {added}")


def text_values_outcome(workspace: Workspace, texts: Sequence[str]) -> list[str]:
    """A record whose free-text fields hold ``texts`` (name, alternative names, note): the loader
    accepts them or refuses them clearly, and accepted text reaches ``graph.nt``, ``graph.ttl`` and
    the JSON-LD export exactly (after the loader's trimming)."""
    from ftgraph.export import Exporter, load_context

    name, *others = texts
    record = {"id": "fuzzed-text", "name": name, "type": "startup", "alt_names": others[:-1] or [],
              "sources": [_first_source(workspace.seed)]}
    if others:
        record["note"] = others[-1]
    # Escaped (not allow_unicode): PyYAML writes U+0085 raw in a quoted scalar, which reads back as a space.
    content = yaml.safe_dump({"organisations": [record]}).encode("utf-8")
    what = "a record with fuzzed text"
    messages = data_outcome(workspace, "fuzzed-text.yaml", content)
    if messages:
        return messages
    kept = {text.strip() for text in texts if text.strip()}
    written = {quad.object.value for quad in ox.parse(path=str(workspace.paths.out / GRAPH_NT),
                                                      format=ox.RdfFormat.N_TRIPLES)
               if isinstance(quad.object, ox.Literal)}
    if not kept <= written:
        raise Finding(f"{what}: text lost or altered on the way to graph.nt: {sorted(kept - written)!r}")
    with workspace.replaced(workspace.paths.data / "fuzzed-text.yaml", content):
        built = build_graph(workspace.paths, validate=False)
        document = Exporter(built, load_context(workspace.paths.ontology)).jsonld()
    check_same_triples(document.encode("utf-8"), ox.RdfFormat.JSON_LD, built.combined, f"{what} (JSON-LD)")
    return []


def _first_source(seed: Seed) -> str:
    for relative, text in seed.files.items():
        if relative.startswith("sources/"):
            return str(yaml.safe_load(text)["sources"][0]["id"])
    raise FtgraphError("the seed dataset has no source")


def query_outcome(engine: Any, text: str, params: Mapping[str, str] | None = None) -> list[str]:
    """Run SPARQL text (as ``ftgraph query -e`` does) and write its result: [] or the clear error."""
    from ftgraph.query import run, write_result

    what = "SPARQL text"
    try:
        with time_limit(INPUT_TIME_LIMIT, what):
            result = run(text, params, engine=engine)
            write_result(result, None, io.BytesIO(), console=_NullConsole())
    except FtgraphError as exc:
        return _messages_of(exc, [], what)
    except Finding:
        raise
    except Exception as exc:
        raise _unexpected(what, exc) from None
    return []


class _NullConsole:
    """A rich console stand-in that renders tables into nothing (results are consumed, not shown)."""

    def print(self, *objects: Any, **options: Any) -> None:
        from rich.console import Console

        Console(file=io.StringIO(), width=200).print(*objects, **options)


def parameter_outcome(kind: str, value: str) -> list[str]:
    """A query parameter as typed on the command line (``-p name=VALUE``): an RDF term or a clear error."""
    from ftgraph.query import Parameter

    what = f"a {kind} parameter"
    try:
        with time_limit(INPUT_TIME_LIMIT, what):
            Parameter("value", kind).term(value)
    except FtgraphError as exc:
        return _messages_of(exc, [], what)
    except Finding:
        raise
    except Exception as exc:
        raise _unexpected(what, exc) from None
    return []


#: A researcher's table and its column mapping (``ftgraph ingest csv``), to damage: startups of Grenoble,
#: a city of both seed datasets, with text that is hard to carry (line separators, quotes, scripts).
CSV_TABLE = "\n".join((
    "Nom;Ville;SIREN;Création;Secteur;Site web;URL source;Titre source;Éditeur;Date source",
    "Nivéole;Grenoble;990 000 001;03/2019;drones, énergie;https://niveole.example.org;https://example.org/etude;"
    "Étude;Labo;15/06/2024",
    '"Lumi; ""sol""";Grenoble;990000002;2020;données;;https://example.org/etude;Étude;Labo;15/06/2024',
    "Ligne\u2028séparée;Grenoble;;2017;robotique;;https://example.org/presse;Un titre « cité »;Presse;02/02/2024",
    "Suivante\u0085ligne;Grenoble;;2018;;;https://example.org/presse;Un titre « cité »;Presse;02/02/2024",
)) + "\n"
CSV_MAPPING = """name: fuzzed-table
kind: organisations
fields:
  name: Nom
  type: {value: startup}
  city: {column: Ville, lookup: places}
  siren: SIREN
  founded: {column: Création, date_format: ["%d/%m/%Y", "%m/%Y", "%Y"]}
  sectors: {column: Secteur, split: ","}
  website: Site web
source:
  url: URL source
  title: Titre source
  publisher: Éditeur
  date: {column: Date source, date_format: "%d/%m/%Y"}
  type: {value: report}
"""


def csv_outcome(workspace: Workspace, table: bytes, mapping: bytes) -> list[str]:
    """``ftgraph ingest csv`` of ``table`` with ``mapping`` into the workspace's ``data/``: a clear error
    and ``data/`` untouched, or records merged whose names are the table's cells exactly (and
    ``data/`` still loads). ``data/`` is put back afterwards."""
    from ftgraph.ingest.common import EntityIndex, merge_into_data
    from ftgraph.ingest.csv import load_csv, read_mapping

    folder = workspace.root / "table"
    folder.mkdir(exist_ok=True)
    table_path, mapping_path = folder / "table.csv", folder / "mapping.yaml"
    table_path.write_bytes(table)
    mapping_path.write_bytes(mapping)
    data = workspace.paths.data
    before = {path: path.read_bytes() for path in data.rglob("*") if path.is_file()}
    what = "ftgraph ingest csv"
    try:
        with time_limit(INPUT_TIME_LIMIT, what):
            batch, read = load_csv(table_path, read_mapping(mapping_path), EntityIndex(load_dataset(data)))
            merge_into_data(data, batch)
            names = {cells[column].strip() for _, cells in read.rows
                     if (column := _mapped_column(mapping_path, "name")) and cells.get(column, "").strip()}
            stored = {record.record.name for record in load_dataset(data).records.values()
                      if hasattr(record.record, "name")}
    except FtgraphError as exc:
        after = {path: path.read_bytes() for path in data.rglob("*") if path.is_file()}
        if after != before:
            raise Finding(f"{what}: refused ({str(exc)[:200]}) but data/ changed (partial write)") from None
        return _messages_of(exc, [folder, data], what)
    except Finding:
        raise
    except Exception as exc:
        raise _unexpected(what, exc) from None
    finally:
        for path in [path for path in data.rglob("*") if path.is_file() and path not in before]:
            path.unlink()
        for path, content in before.items():
            path.write_bytes(content)
    if not names <= stored:
        raise Finding(f"{what}: names lost or altered on the way to data/: {sorted(names - stored)!r}")
    return []


def _mapped_column(mapping_path: Path, field_name: str) -> str | None:
    from ftgraph.ingest.csv import read_mapping

    rule = read_mapping(mapping_path).fields.get(field_name)
    return rule.column if rule is not None else None


# ------------------------------------------------------------------------------------- strategies

#: Field names of the record kinds (and a few that no kind has), for structured mutations.
FIELD_NAMES = ("id", "name", "type", "sources", "alt_names", "distinct_from", "city", "territory", "flagship",
               "founded", "dissolved", "website", "siren", "wikidata", "sectors", "insee", "within", "member",
               "organisation", "role", "title", "start", "end", "date", "place", "participants", "about",
               "candidate", "call", "outcome", "criteria", "label", "awardee", "decision", "candidacy",
               "valid_from", "valid_to", "scheme", "label_fr", "label_en", "broader", "note", "url", "publisher",
               "authors", "language", "value", "preferred", "agent", "colour", "Name", "")
KIND_NAMES = ("sources", "concepts", "places", "organisations", "people", "roles", "events", "awards", "persons")
#: Text that tends to break parsers, templates and serialisers.
NASTY_TEXT = ("", " ", "\t", "\n", "~", "null", "yes", "no", "0", "-1", "1e400", ".nan", "2014-02-30", "2014-13",
              "1799", "2101", "0000-00-00", "2014-01-01T10:00:00", "Q0", "Q1", "https://", "javascript:alert(1)",
              "http://exa mple.org/", "http://example.org/a b", "<script>alert(1)</script>", "\"'><img src=x>",
              "{{7*7}}", "${7*7}", "%s%n", "\x00", "\u2028", "\u0085", "\ufeff", "\U0001f600", "e\u0301",
              "a" * 300, "../../etc/passwd", "C:\\con", "- x", "[a", "{a: b", "*ref", "&anchor", "!!python/none",
              "'quoted'", "\"double\"", "# comment", "id: x", "a:b", "ÉCOLE", "ﬁ", "İ")


def _strategies() -> Any:
    """hypothesis' strategies module (a test dependency, imported on use)."""
    try:
        from hypothesis import strategies
    except ImportError:
        raise FtgraphError("fuzzing needs hypothesis: pip install 'ftgraph[test]'") from None
    return strategies


def yaml_values(references: Sequence[str]) -> SearchStrategy[Any]:
    """Any value YAML can hold, weighted towards ids of the dataset and text that breaks things."""
    st = _strategies()
    leaves = (st.none() | st.booleans() | st.integers() | st.floats() | st.dates()
              | st.text(max_size=40) | st.sampled_from(NASTY_TEXT) | st.sampled_from(list(references) or ["x"]))
    return st.recursive(leaves, lambda children: st.lists(children, max_size=4)
                        | st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=8), children, max_size=4),
                        max_leaves=12)


def _mutate_record(draw: Callable[[Any], Any], document: dict[str, Any], references: Sequence[str]) -> None:
    """Apply one structured mutation to a parsed YAML file (in place)."""
    st = _strategies()
    kinds = [kind for kind, records in document.items() if isinstance(records, list) and records]
    if not kinds:
        document[draw(st.sampled_from(KIND_NAMES))] = draw(st.lists(yaml_values(references), max_size=2))
        return
    kind = draw(st.sampled_from(kinds))
    records = document[kind]
    index = draw(st.integers(0, len(records) - 1))
    record = records[index]
    fields = sorted(record) if isinstance(record, dict) else []
    operation = draw(st.sampled_from(("drop-field", "set-field", "add-field", "reference", "sourced-form",
                                      "duplicate", "drop-record", "move-kind", "replace-record", "kind-value")))
    if operation == "drop-field" and fields:
        del record[draw(st.sampled_from(fields))]
    elif operation == "set-field" and fields:
        record[draw(st.sampled_from(fields))] = draw(yaml_values(references))
    elif operation == "add-field" and isinstance(record, dict):
        record[draw(st.sampled_from(FIELD_NAMES))] = draw(yaml_values(references))
    elif operation == "reference" and fields:
        record[draw(st.sampled_from(fields))] = draw(st.sampled_from(list(references) or ["x"]))
    elif operation == "sourced-form" and fields:
        name = draw(st.sampled_from(fields))
        claim = {"value": record[name], "sources": draw(st.lists(st.sampled_from(list(references) or ["x"]),
                                                                 max_size=2)), "preferred": draw(st.booleans())}
        other = {**claim, "value": draw(yaml_values(references)), "preferred": draw(st.booleans())}
        record[name] = draw(st.sampled_from((claim, [claim], [claim, other])))
    elif operation == "duplicate":
        records.append(copy.deepcopy(record))
    elif operation == "drop-record":
        del records[index]
    elif operation == "move-kind":
        document.setdefault(draw(st.sampled_from(KIND_NAMES)), []).append(records.pop(index))
    elif operation == "replace-record":
        records[index] = draw(yaml_values(references))
    else:
        document[kind] = draw(yaml_values(references))


def record_mutations(seed: Seed) -> SearchStrategy[tuple[str, bytes]]:
    """(file, content) for one file of ``seed`` after one to three structured mutations of its records."""
    st = _strategies()
    references = seed.ids()

    @st.composite
    def mutated(draw: Callable[[Any], Any]) -> tuple[str, bytes]:
        relative = draw(st.sampled_from(sorted(seed.files)))
        document = yaml.safe_load(seed.files[relative]) or {}
        for _ in range(draw(st.integers(1, 3))):
            _mutate_record(draw, document, references)
        text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
        return relative, text.encode("utf-8")

    return mutated()


#: Bytes and tokens inserted by textual mutations: YAML, Turtle, JSON and SPARQL syntax, bad UTF-8.
SYNTAX_TOKENS = (b":", b"- ", b"-", b"[", b"]", b"{", b"}", b",", b"&a ", b"*a", b"!!str ", b"!!binary ", b"|",
                 b">", b"#", b"%YAML 1.1\n", b"---\n", b"...\n", b"\t", b"  ", b"\n", b"\r\n", b"'", b'"', b"\\",
                 b"<", b">", b"@prefix", b"@base <", b"_:b", b"^^", b"@fr", b".", b";", b"a", b"(", b")", b"?x",
                 b"SERVICE <http://127.0.0.1:9/>", b"FILTER(", b"OPTIONAL {", b"UNION", b"*", b"+", b"/", b"|",
                 b"^", b"!", b"\"\"\"", b"@context", b"@id", b"@type", b"@vocab", b"@protected", b"null", b"true",
                 b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00", b"\xef\xbb\xbf", "é".encode(), "\u2028".encode())


def byte_mutations(original: bytes) -> SearchStrategy[bytes]:
    """``original`` after one to four textual mutations: truncation, deletion, insertion of syntax
    tokens or random bytes, deep nesting, line duplication, swaps and re-indentation."""
    st = _strategies()

    @st.composite
    def mutated(draw: Callable[[Any], Any]) -> bytes:
        content = original
        for _ in range(draw(st.integers(1, 4))):
            size = len(content)
            at = draw(st.integers(0, size))
            operation = draw(st.sampled_from(("truncate", "delete", "insert-token", "insert-bytes", "replace-byte",
                                              "duplicate-line", "swap-lines", "indent", "nest")))
            if operation == "truncate":
                content = content[:at]
            elif operation == "delete":
                content = content[:at] + content[at + draw(st.integers(1, 40)):]
            elif operation == "insert-token":
                content = content[:at] + draw(st.sampled_from(SYNTAX_TOKENS)) + content[at:]
            elif operation == "nest":  # deep nesting: parsers that recurse per level overflow their stack
                opening = draw(st.sampled_from((b"(", b"[", b"{", b"{ ", b"[ <urn:x:p> ", b"- ", b"  - ")))
                content = content[:at] + opening * draw(st.integers(1, 20_000)) + content[at:]
            elif operation == "insert-bytes":
                content = content[:at] + draw(st.binary(min_size=1, max_size=8)) + content[at:]
            elif operation == "replace-byte" and size:
                at = min(at, size - 1)
                content = content[:at] + bytes([draw(st.integers(0, 255))]) + content[at + 1:]
            else:
                lines = content.split(b"\n")
                first, second = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
                if operation == "duplicate-line":
                    lines.insert(first, lines[first])
                elif operation == "swap-lines":
                    lines[first], lines[second] = lines[second], lines[first]
                else:
                    lines[first] = b" " * draw(st.integers(0, 6)) + lines[first].lstrip()
                content = b"\n".join(lines)
        return content

    return mutated()


def damaged_files(seed: Seed) -> SearchStrategy[tuple[str, bytes]]:
    """(file, content) for one file of ``seed`` damaged as text (:func:`byte_mutations`)."""
    st = _strategies()
    return st.sampled_from(sorted(seed.files)).flatmap(
        lambda relative: st.tuples(st.just(relative), byte_mutations(seed.files[relative].encode("utf-8"))))


def data_inputs(seed: Seed) -> SearchStrategy[tuple[str, bytes]]:
    """A damaged file of ``data/``: structured mutations of records, or bytes damaged as text, or a new
    file of random YAML values."""
    random_file = yaml_values(seed.ids()).map(
        lambda value: ("fuzzed.yaml", yaml.safe_dump(value, allow_unicode=True).encode("utf-8")))
    return record_mutations(seed) | damaged_files(seed) | random_file


def ontology_inputs(ontology_dir: Path) -> SearchStrategy[tuple[str, bytes]]:
    """(file, content): the ontology or the shapes (Turtle) damaged as text."""
    st = _strategies()
    return st.sampled_from([ONTOLOGY_FILE, SHAPES_FILE]).flatmap(
        lambda name: st.tuples(st.just(name), byte_mutations((ontology_dir / name).read_bytes())))


def csv_inputs() -> SearchStrategy[tuple[bytes, bytes]]:
    """(table, mapping): :data:`CSV_TABLE` and :data:`CSV_MAPPING`, one or both damaged as text (in UTF-8
    or re-encoded in Latin-1, which the loader must detect)."""
    st = _strategies()
    table, mapping = CSV_TABLE.encode("utf-8"), CSV_MAPPING.encode("utf-8")
    latin = CSV_TABLE.encode("latin-1", "replace")
    tables = st.sampled_from((table, latin)) | byte_mutations(table) | byte_mutations(latin)
    return st.tuples(tables, st.just(mapping) | byte_mutations(mapping))


def sparql_inputs() -> SearchStrategy[str]:
    """A library query damaged as text (made to look like SPARQL text to ``ftgraph query``)."""
    from ftgraph.query import library

    st = _strategies()
    queries = sorted(library().values(), key=lambda query: query.name)
    return st.sampled_from(queries).flatmap(lambda query: byte_mutations(query.text.encode("utf-8"))).map(
        lambda content: content.decode("utf-8", "replace")).map(lambda text: text if "{" in text else text + " {")


def parameter_inputs() -> SearchStrategy[tuple[str, str]]:
    """(kind, value) of a query parameter as typed on the command line."""
    from ftgraph.query import KINDS

    st = _strategies()
    return st.tuples(st.sampled_from(KINDS), st.text(max_size=40) | st.sampled_from(NASTY_TEXT))


@dataclass(frozen=True)
class Target:
    """A fuzz target: its inputs, what to do with one (messages of its clear errors, or [] when it is
    accepted; :class:`Finding` when the contract breaks), and a relative cost per input."""

    strategy: Any
    outcome: Callable[[Any], list[str]]
    cost: float = 1.0


def fuzz_targets(workspace: Workspace) -> dict[str, Target]:
    """Every fuzz target, on ``workspace``."""
    from ftgraph.engine import EmbeddedEngine, store_from_graph
    from ftgraph.export import CONTEXT_FILE

    seed, ontology = workspace.seed, workspace.paths.ontology
    context = (ontology / CONTEXT_FILE).read_bytes()
    engine = EmbeddedEngine(store_from_graph(workspace.built.combined))
    return {
        "YAML records (structured mutations)": Target(
            record_mutations(seed), lambda value: data_outcome(workspace, *value, build=False)),
        "YAML files (damaged text)": Target(
            damaged_files(seed), lambda value: data_outcome(workspace, *value, build=False)),
        "data through the whole build": Target(data_inputs(seed), lambda value: data_outcome(workspace, *value), 8),
        "free text to graph.nt, graph.ttl, JSON-LD": Target(
            free_texts(), lambda texts: text_values_outcome(workspace, texts), 10),
        "ontology and shapes (Turtle)": Target(
            ontology_inputs(ontology), lambda value: ontology_outcome(workspace, *value), 8),
        "JSON-LD context": Target(byte_mutations(context), lambda value: jsonld_context_outcome(workspace, value), 4),
        "CSV tables and mappings (ingest)": Target(
            csv_inputs(), lambda value: csv_outcome(workspace, *value), 2),
        "SPARQL text": Target(sparql_inputs(), lambda text: query_outcome(engine, text)),
        "query parameters": Target(parameter_inputs(), lambda value: parameter_outcome(*value), 0.2),
    }


def run_target(name: str, target: Target, tally: Tally, *, examples: int, seed: int | None = None) -> None:
    """Try ``examples`` inputs of ``target`` (hypothesis, shrinking a failure to a small input); a broken
    contract is kept in ``tally.findings`` (with the smallest input found)."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as fixed_seed

    @settings(max_examples=examples, deadline=None, database=None, derandomize=seed is None,
              suppress_health_check=list(HealthCheck))
    @given(target.strategy)
    def check(value: Any) -> None:
        tally.record(name, target.outcome(value))

    if seed is not None:
        check = fixed_seed(seed)(check)
    try:
        check()
    except Exception as exc:  # a Finding (or several, as an ExceptionGroup) with hypothesis' notes
        notes = "\n".join(getattr(exc, "__notes__", []))
        tally.findings[name] = f"{type(exc).__name__}: {exc}\n{notes}"[:4000]


def free_texts() -> SearchStrategy[list[str]]:
    """One to four text values for a record's name, alternative names and note."""
    st = _strategies()
    return st.lists(st.text(min_size=1, max_size=30) | st.sampled_from([t for t in NASTY_TEXT if t.strip()]),
                    min_size=1, max_size=4)


# ------------------------------------------------------------------------------ faults: killed builds

#: Runs the CLI like the ``ftgraph`` script, saying "ready" once imported, so a kill lands in the work.
_CLI_DRIVER = ("import sys\nfrom ftgraph.cli import cli\nprint('ready', flush=True)\n"
               "cli(sys.argv[1:], prog_name='ftgraph')")
#: Files of ``out/`` that are not outputs: locks, and the store (its files differ between two builds
#: of one graph; :func:`ftgraph.engine.open_store` checks it against ``graph.nt``).
_NOT_OUTPUTS = re.compile(r"^(store/|\.[^/]*\.lock$)")


#: Outputs compared for completeness only (their last bytes): the index lists the size of the store.
_COMPLETE_ONLY = {"index.html": b"</html>"}


def output_tree(out_dir: Path) -> dict[str, bytes]:
    """The bytes of every output file of ``out_dir`` by relative path."""
    tree = {relative: path.read_bytes() for path in sorted(out_dir.rglob("*"))
            if path.is_file() and not _NOT_OUTPUTS.match(relative := str(path.relative_to(out_dir)))}
    for name, end in _COMPLETE_ONLY.items():
        if name in tree:
            tree[name] = b"complete" if tree[name].rstrip().endswith(end) else b"incomplete"
    return tree


class Child:
    """Work running in a child process: a function in a child of the fork server (fast: the fork
    server has imported the package once) or the real command line in a new process."""

    def __init__(self, pid: int, reap: Callable[[bool], int | None]) -> None:
        self.pid = pid
        self._reap = reap

    @classmethod
    def call(cls, function: Callable[..., Any], *args: Any) -> Child:
        """``function(*args)`` in a child of the fork server. Never forked from this process: it may
        hold threads of a store it opened (RocksDB keeps them after closing), and a child forked while
        one of them holds a lock can deadlock."""
        process = _context().Process(target=function, args=args, daemon=True)
        process.start()
        assert process.pid is not None

        def reap(block: bool) -> int | None:
            if block:
                process.join()
            return process.exitcode if block or not process.is_alive() else None

        return cls(process.pid, reap)

    @classmethod
    def pipeline(cls, paths: Paths, stages: Sequence[Any]) -> Child:
        """``pipeline.run(paths, stages)`` in a child of the fork server."""
        return cls.call(_run_stages, paths, list(stages))

    @classmethod
    def command(cls, arguments: Sequence[str], cwd: Path) -> Child:
        """``ftgraph ARGUMENTS`` in a new process, returned once it has imported the package."""
        process = subprocess.Popen([sys.executable, "-c", _CLI_DRIVER, *arguments], cwd=cwd, stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, start_new_session=True,
                                   env={**os.environ, **_REPRODUCIBLE})
        assert process.stdout is not None
        process.stdout.readline()  # "ready" (or nothing when it failed: then it has exited)

        def reap(block: bool) -> int | None:
            if block:
                code = process.wait()
                assert process.stdout is not None
                process.stdout.close()
                return code
            return process.poll()

        return cls(process.pid, reap)

    def running(self) -> bool:
        return self._reap(False) is None

    def kill(self) -> bool:
        """SIGKILL the child; True when it was still running."""
        running = self.running()
        if running:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        self.wait()
        return running

    def wait(self) -> int | None:
        return self._reap(True)


def _context() -> Any:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["ftgraph.pipeline"])
    return context


def _run_stages(paths: Paths, stages: list[Any]) -> None:
    from ftgraph import pipeline

    pipeline.run(paths, progress=_quiet(), stages=stages)


def in_child(function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)`` in a child of the fork server (see :meth:`Child.pipeline`)."""
    with _context().Pool(1) as pool:
        return pool.apply(function, args)


#: A fixed release date and hash seed, so that two builds of one dataset give the same bytes (the
#: metrics differ in the last digits of some floats from one hash seed to another).
_REPRODUCIBLE = {"SOURCE_DATE_EPOCH": "1785110400", "PYTHONHASHSEED": "0"}


@dataclass
class KillReport:
    """Builds killed at random moments, and what ``out/`` held after each kill."""

    command: str
    trials: int = 0
    killed_running: int = 0  #: still running when killed (the others had just finished)
    outcomes: Counter[str] = field(default_factory=Counter)  #: previous / new output, or damaged
    damaged: list[str] = field(default_factory=list)
    leftovers: int = 0  #: staging folders found next to out/ after a kill (removed by the next build)
    leftovers_at_end: int = 0  #: staging folders still there after a build that ran to its end
    unusable: list[str] = field(default_factory=list)  #: out/ whose store did not open with its graph
    seconds: float = 0.0  #: duration of one uninterrupted build

    @property
    def ok(self) -> bool:
        return not self.damaged and not self.unusable and self.leftovers_at_end == 0


def _staging_leftovers(out_dir: Path) -> int:
    return sum(1 for path in out_dir.parent.glob(f".{out_dir.name}.*") if path.is_dir())


def store_matches_graph(out_dir: Path) -> str | None:
    """None when the embedded store of ``out_dir`` opens and holds the triples of its graph.nt."""
    from ftgraph.engine import open_store

    try:
        store = open_store(out_dir)
        count = len(store)
        del store
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    lines = sum(1 for line in (out_dir / GRAPH_NT).read_bytes().split(b"\n") if line.strip())
    return None if count == lines else f"the store holds {count} triples, graph.nt {lines}"


def kill_builds(launch: Callable[[Path], Child], versions: Sequence[Path], out_dir: Path, *, trials: int,
                rng: random.Random, command: str) -> KillReport:
    """Kill ``trials`` builds at random moments and check ``out/`` after each kill.

    ``launch(data_dir)`` starts a build of ``data_dir`` into ``out_dir``; ``versions`` are two data
    folders giving different graphs. Each trial builds the version that ``out/`` does not hold and is
    killed (SIGKILL) after a random delay between 0 and 1.2 times an uninterrupted build: ``out/``
    must then be exactly the previous complete output or the new one, with a store that opens."""
    report = KillReport(command)
    references: list[dict[str, bytes]] = []
    durations = []
    for data_dir in versions:  # uninterrupted builds: the reference outputs, and the duration
        started = time.perf_counter()
        code = launch(data_dir).wait()
        durations.append(time.perf_counter() - started)
        if code != 0 or not (out_dir / GRAPH_NT).is_file():
            raise FtgraphError(f"the reference build of {data_dir} failed (exit code {code})")
        references.append(output_tree(out_dir))
    report.seconds = min(durations)  # the first may include warming up (imports, caches)
    current = len(versions) - 1
    for trial in range(trials):
        target = (current + 1) % len(versions)
        child = launch(versions[target])
        time.sleep(rng.uniform(0, 1.2 * report.seconds))
        report.killed_running += child.kill()
        report.trials += 1
        report.leftovers += _staging_leftovers(out_dir)
        tree = output_tree(out_dir)
        if tree == references[current]:
            report.outcomes["previous"] += 1
        elif tree == references[target]:
            report.outcomes["new"] += 1
            current = target
        else:
            report.outcomes["damaged"] += 1
            changed = sorted(set(tree) ^ set(references[current]) | {
                name for name in tree if tree[name] != references[current].get(name)})
            report.damaged.append(f"trial {trial}: out/ is neither complete output ({changed[:5]})")
            continue
        problem = in_child(store_matches_graph, out_dir)
        if problem:
            report.unusable.append(f"trial {trial}: {problem}")
    launch(versions[(current + 1) % len(versions)]).wait()
    report.leftovers_at_end = _staging_leftovers(out_dir)
    return report


# ------------------------------------------------------------------------------ faults: damaged stores

#: Ways to damage the persisted store of ``out/store`` (the first ones: a store half-written or
#: half-removed by a killed process; the others: damaged files).
STORE_DAMAGES = ("manifest removed", "manifest truncated", "manifest wrong count", "database removed",
                 "table removed", "table truncated", "table byte flipped", "table zeroed", "CURRENT damaged",
                 "RocksDB manifest damaged", "write-ahead log damaged", "graph.nt replaced")


def damage_store(out_dir: Path, damage: str, rng: random.Random) -> str:
    """Apply one of :data:`STORE_DAMAGES` to ``out_dir/store``; returns what was done."""
    from ftgraph.engine import STORE_DIR

    store_dir = out_dir / STORE_DIR
    manifest, db = store_dir / "manifest.json", store_dir / "db"
    tables = sorted(db.glob("*.sst"))
    if damage == "manifest removed":
        manifest.unlink()
        return damage
    if damage == "manifest truncated":
        manifest.write_bytes(manifest.read_bytes()[: rng.randrange(1, manifest.stat().st_size)])
        return damage
    if damage == "manifest wrong count":
        content = json.loads(manifest.read_text(encoding="utf-8"))
        content["triples"] += rng.choice((-1, 1))
        manifest.write_text(json.dumps(content), encoding="utf-8")
        return damage
    if damage == "database removed":
        shutil.rmtree(db)
        return damage
    if damage == "graph.nt replaced":  # the store describes another graph: one triple less
        graph_nt = out_dir / GRAPH_NT
        lines = graph_nt.read_bytes().split(b"\n")
        del lines[rng.randrange(len(lines) - 1)]
        graph_nt.write_bytes(b"\n".join(lines))
        return damage
    target = {"CURRENT damaged": [db / "CURRENT"], "RocksDB manifest damaged": sorted(db.glob("MANIFEST-*")),
              "write-ahead log damaged": [path for path in db.glob("*.log") if path.stat().st_size]}.get(damage, tables)
    if not target:
        return f"{damage}: nothing to damage"
    path = rng.choice(target)
    content = path.read_bytes()
    if damage == "table removed":
        path.unlink()
    elif damage == "table truncated":
        path.write_bytes(content[: rng.randrange(len(content))])
    elif damage == "table zeroed":
        path.write_bytes(bytes(len(content)))
    else:  # a flipped byte somewhere
        at = rng.randrange(len(content))
        path.write_bytes(content[:at] + bytes([content[at] ^ (1 << rng.randrange(8))]) + content[at + 1:])
    return f"{damage} ({path.name})"


def store_answers(out_dir: Path) -> str | None:
    """None when :func:`ftgraph.engine.open_store` gives a store that holds exactly the triples of
    ``graph.nt``, read through each of its indexes (by subject, by predicate, by object), else what
    went wrong. Run it in a child process (:func:`in_child`)."""
    from ftgraph.engine import open_store

    expected = {quad.triple for quad in ox.parse(path=str(out_dir / GRAPH_NT), format=ox.RdfFormat.N_TRIPLES)}
    try:
        store = open_store(out_dir)
        default = ox.DefaultGraph()
        by_subject = {quad.triple for quad in store.quads_for_pattern(None, None, None, default)}
        by_predicate = {quad.triple for predicate in {t.predicate for t in expected}
                        for quad in store.quads_for_pattern(None, predicate, None, default)}
        by_object = {quad.triple for obj in {t.object for t in expected}
                     for quad in store.quads_for_pattern(None, None, obj, default)}
    except Exception as exc:
        return f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
    for name, found in (("subject", by_subject), ("predicate", by_predicate), ("object", by_object)):
        if found != expected:
            return f"read by {name}: {len(expected - found)} triples missing, {len(found - expected)} extra"
    return None


@dataclass
class StoreReport:
    """Damaged stores, and whether :func:`~ftgraph.engine.open_store` then answered right."""

    trials: int = 0
    by_damage: Counter[str] = field(default_factory=Counter)
    wrong: list[str] = field(default_factory=list)  #: damage silently used, or a crash (must stay empty)
    killed_builds: int = 0  #: store builds killed at a random moment, then opened again
    leftovers: int = 0  #: temporary folders of killed store builds still there at the end

    @property
    def ok(self) -> bool:
        return not self.wrong and self.leftovers == 0


def prepare_store(out_dir: Path) -> None:
    """Open the embedded store of ``out_dir`` (building it first when needed); for :func:`in_child`."""
    from ftgraph.engine import open_store

    open_store(out_dir)


def _store_leftovers(out_dir: Path) -> int:
    from ftgraph.engine import STORE_DIR

    return sum(1 for path in out_dir.glob(f".{STORE_DIR}.*") if path.is_dir())


def store_faults(out_dir: Path, *, rounds: int, kills: int, rng: random.Random) -> StoreReport:
    """Damage the store of ``out_dir`` in every way of :data:`STORE_DAMAGES`, ``rounds`` times, and
    kill ``kills`` store builds at random moments; after each, the store must answer exactly
    ``graph.nt`` (rebuilt when needed). ``out_dir`` must hold a built graph."""
    from ftgraph.engine import STORE_DIR

    report = StoreReport()
    pristine = (out_dir / GRAPH_NT).read_bytes()
    for _ in range(rounds):
        for damage in STORE_DAMAGES:
            (out_dir / GRAPH_NT).write_bytes(pristine)
            in_child(prepare_store, out_dir)
            done = damage_store(out_dir, damage, rng)
            problem = in_child(store_answers, out_dir)
            report.trials += 1
            report.by_damage[damage] += 1
            if problem:
                report.wrong.append(f"{done}: {problem}")
    (out_dir / GRAPH_NT).write_bytes(pristine)
    started = time.perf_counter()
    shutil.rmtree(out_dir / STORE_DIR, ignore_errors=True)
    in_child(prepare_store, out_dir)
    seconds = time.perf_counter() - started
    for _ in range(kills):
        shutil.rmtree(out_dir / STORE_DIR, ignore_errors=True)
        child = Child.call(prepare_store, out_dir)
        time.sleep(rng.uniform(0, 1.2 * seconds))
        child.kill()
        report.killed_builds += 1
        problem = in_child(store_answers, out_dir)
        if problem:
            report.wrong.append(f"store build killed: {problem}")
    report.leftovers = _store_leftovers(out_dir)
    return report


# ------------------------------------------------------------------------ faults: a store dies in a push

_PACKAGED_VIRTUOSO_INI = (Path("/etc/virtuoso-opensource-7/virtuoso.ini"),
                          Path("/usr/share/virtuoso-opensource-7/virtuoso.ini"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_virtuoso_ini(folder: Path, sql_port: int, http_port: int,
                       settings: Mapping[str, Mapping[str, str]] | None = None) -> Path:
    """The packaged ``virtuoso.ini`` with its database files in ``folder``, loopback ports only, and
    ``settings`` (section → key → value) on top."""
    source = next((path for path in _PACKAGED_VIRTUOSO_INI if path.is_file()), None)
    if source is None:
        raise FtgraphError("virtuoso.ini not found: install the Debian package virtuoso-opensource")
    config = configparser.ConfigParser(strict=False, inline_comment_prefixes=(";",), interpolation=None)
    config.optionxform = str  # type: ignore[assignment,method-assign]
    config.read(source)
    for section in ("Database", "TempDatabase"):
        for key, value in config[section].items():
            if value.startswith("/"):
                config[section][key] = str(folder / Path(value).name)
    config["Parameters"]["ServerPort"] = f"127.0.0.1:{sql_port}"
    config["Parameters"]["DirsAllowed"] = f"., {folder}"
    config["HTTPServer"]["ServerPort"] = f"127.0.0.1:{http_port}"
    for section, values in (settings or {}).items():
        for key, value in values.items():
            config[section][key] = value
    folder.mkdir(parents=True, exist_ok=True)
    ini = folder / "virtuoso.ini"
    with ini.open("w") as handle:
        config.write(handle)
    return ini


class VirtuosoInstance:
    """A Virtuoso (Debian ``virtuoso-opensource``) with its database in ``folder``, on free loopback
    ports, that can be killed (SIGKILL, as by a crash or the OOM killer) and started again on the same
    database. Updates go through ``/sparql-auth`` as a user created with the SPARQL_UPDATE role."""

    user = "ftgraph"

    def __init__(self, folder: Path) -> None:
        self.server = _program("virtuoso-t")
        self.client = _program("isql-vt")
        self.folder = folder
        self.sql_port, self.http_port = free_port(), free_port()
        self.password = secrets.token_hex(12)
        self._user_created = False
        self.url = f"http://127.0.0.1:{self.http_port}"
        write_virtuoso_ini(folder, self.sql_port, self.http_port)

    def start(self) -> None:
        """Start (or restart: it recovers from its transaction log) and wait until it answers."""
        subprocess.run([self.server, "-c", str(self.folder / "virtuoso.ini"), "+wait"], cwd=self.folder, check=True,
                       capture_output=True, timeout=300)
        if not self._user_created:  # first start (the database is temporary and the ports loopback only)
            self.isql(f"DB.DBA.USER_CREATE('{self.user}', '{self.password}'); GRANT SPARQL_UPDATE TO \"{self.user}\";")
            self._user_created = True

    def isql(self, statements: str) -> None:
        subprocess.run([self.client, f"127.0.0.1:{self.sql_port}", "dba", "dba", f"exec={statements}"],
                       check=True, capture_output=True, timeout=120)

    def pid(self) -> int | None:
        lock = self.folder / "virtuoso.lck"
        match = re.search(r"VIRT_PID=(\d+)", lock.read_text()) if lock.is_file() else None
        return int(match.group(1)) if match else None

    def kill(self) -> None:
        """SIGKILL the server and wait until it is gone."""
        pid = self.pid()
        if pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
            time.sleep(0.05)

    def stop(self) -> None:
        """Shut down cleanly (isql), else kill."""
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            self.isql("shutdown;")
        deadline = time.monotonic() + 30
        while (self.folder / "virtuoso.lck").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        self.kill()

    def writer(self, timeout: int = 60) -> Any:
        from ftgraph.engine import Credentials, RemoteEngine

        return RemoteEngine(f"{self.url}/sparql-auth", credentials=Credentials(self.user, self.password),
                            timeout=timeout)

    def __enter__(self) -> VirtuosoInstance:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _program(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise FtgraphError(f"'{name}' not found: install the Debian package virtuoso-opensource")
    return path


#: Temporary graphs of pushes (see :func:`ftgraph.push.staging_prefix`).
_STAGING_GRAPHS = 'SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?g), "urn:ftgraph:push:")) }'


@dataclass
class PushReport:
    """Pushes during which the SPARQL store was killed, and the graph afterwards and after a re-run."""

    trials: int = 0
    failed_pushes: int = 0  #: pushes that ended in an error because the store died
    after_kill: Counter[str] = field(default_factory=Counter)  #: previous graph, new graph, or mixed
    exact_after_rerun: int = 0
    wrong: list[str] = field(default_factory=list)  #: a mixed graph, or a re-run that did not end exact
    staging_graphs_left: int = 0  #: temporary graphs of failed pushes still in the store
    seconds: float = 0.0  #: duration of one uninterrupted push

    @property
    def ok(self) -> bool:
        return not self.wrong and self.exact_after_rerun == self.trials


def graph_triples(engine: Any, graph: str) -> set[ox.Triple]:
    """Every triple of the named ``graph`` at a remote endpoint."""
    return set(engine.construct(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"))


def _push(instance: VirtuosoInstance, ntriples: bytes, graph: str, batch_size: int) -> None:
    from ftgraph.push import push_triples

    triples = [quad.triple for quad in ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES)]
    push_triples(instance.writer(), triples, graph, progress=_quiet(), batch_size=batch_size)


def _push_in_child(instance: VirtuosoInstance, ntriples: bytes, graph: str, batch_size: int) -> None:
    """:func:`_push` whose clear errors (the store died) end the child with their exit code, quietly."""
    try:
        _push(instance, ntriples, graph, batch_size)
    except FtgraphError as exc:
        sys.exit(exc.exit_code)


def push_faults(instance: VirtuosoInstance, versions: Sequence[bytes], graph: str, *, trials: int,
                rng: random.Random, batch_size: int) -> PushReport:
    """Kill the store (SIGKILL) at a random moment of ``trials`` pushes, restart it, and push again.

    ``versions`` are N-Triples documents of two different graphs; each trial pushes the one that the
    store does not hold. After the kill the named graph must be exactly the previous or the new
    graph; after the re-run, exactly the new one."""
    expected = [{quad.triple for quad in ox.parse(version, format=ox.RdfFormat.N_TRIPLES)} for version in versions]
    report = PushReport()
    started = time.perf_counter()  # timed like the trials: in a child process
    if Child.call(_push_in_child, instance, versions[0], graph, batch_size).wait() != 0:
        raise FtgraphError(f"the first push to {instance.url} failed")
    report.seconds = time.perf_counter() - started
    current = 0
    for trial in range(trials):
        target = (current + 1) % len(versions)
        child = Child.call(_push_in_child, instance, versions[target], graph, batch_size)
        time.sleep(rng.uniform(0, 1.2 * report.seconds))
        instance.kill()
        report.failed_pushes += child.wait() != 0
        report.trials += 1
        instance.start()
        found = graph_triples(instance.writer(), graph)
        if found == expected[current]:
            report.after_kill["previous graph"] += 1
        elif found == expected[target]:
            report.after_kill["new graph"] += 1
        else:
            report.after_kill["mixed"] += 1
            report.wrong.append(f"trial {trial}: after the kill the graph holds {len(found)} triples, "
                                f"{len(found & expected[target])} of the new graph and "
                                f"{len(found & expected[current])} of the previous one")
        _push(instance, versions[target], graph, batch_size)
        found = graph_triples(instance.writer(), graph)
        if found == expected[target]:
            report.exact_after_rerun += 1
        else:
            report.wrong.append(f"trial {trial}: after the re-run the graph differs from the pushed one: "
                                f"{len(expected[target] - found)} missing, {len(found - expected[target])} extra")
        current = target
    report.staging_graphs_left = len(instance.writer().select(_STAGING_GRAPHS))
    return report


def synthetic_versions(triples: int, seed: int) -> list[bytes]:
    """Two N-Triples documents of about ``triples`` triples that share most of them, with literals that
    are hard to carry through ``INSERT DATA`` (quotes, backslashes, line breaks, non-Latin scripts,
    language tags, numbers)."""
    rng = random.Random(seed)
    texts = [t for t in NASTY_TEXT if t.strip() and "\x00" not in t] + ["ligne 1\nligne 2", 'guillemets "x"',
                                                                        "barre \\ oblique", "東京", "Ωμέγα"]

    def triple(index: int) -> ox.Triple:
        subject = ox.NamedNode(f"https://w3id.org/ftgraph/test/s{index % 97}")
        predicate = ox.NamedNode(f"https://w3id.org/ftgraph/test/p{index % 7}")
        choice = rng.randrange(4)
        if choice == 0:
            obj: ox.NamedNode | ox.Literal = ox.NamedNode(f"https://w3id.org/ftgraph/test/o{index}")
        elif choice == 1:
            obj = ox.Literal(f"{rng.choice(texts)} {index}")
        elif choice == 2:
            obj = ox.Literal(f"{rng.choice(texts)} {index}", language=rng.choice(("fr", "en")))
        else:
            obj = ox.Literal(str(index), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))
        return ox.Triple(subject, predicate, obj)

    first = [triple(index) for index in range(triples)]
    second = first[triples // 10:] + [triple(index) for index in range(triples, triples + triples // 5)]
    return [b"".join(f"{t} .\n".encode() for t in version) for version in (first, second)]


# ------------------------------------------------------------------------------ the server under attack

#: An entity whose data carries script payloads, added to the served graph (path under the base IRI).
HOSTILE_ENTITY = "org/reliability-hostile"
SCRIPT_PAYLOADS = ('<script>alert("label")</script>', '"><img src=x onerror=alert("alt")>',
                   "</script><script>alert('note')</script>", "{{7*7}}${7*7}")
#: Text that must never come back from the server: file contents that path traversal would reveal.
_SECRETS = (b"root:x:0:0", b"[project]", b"import ", b"BEGIN")
_RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


def hostile_graph(graph_nt: bytes, base_iri: str) -> bytes:
    """``graph_nt`` plus an organisation (:data:`HOSTILE_ENTITY`) whose label, alternative name, note and
    source carry script payloads, as curated records could."""
    entity, source = ox.NamedNode(base_iri + HOSTILE_ENTITY), ox.NamedNode(base_iri + "source/reliability-hostile")
    label, alt, note, title = (ox.Literal(text) for text in SCRIPT_PAYLOADS)
    triples = [
        ox.Triple(entity, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                  ox.NamedNode("http://www.w3.org/ns/org#Organization")),
        ox.Triple(entity, ox.NamedNode(_RDFS_LABEL), label),
        ox.Triple(entity, ox.NamedNode("http://www.w3.org/2004/02/skos/core#altLabel"), alt),
        ox.Triple(entity, ox.NamedNode("http://www.w3.org/2004/02/skos/core#editorialNote"), note),
        ox.Triple(entity, ox.NamedNode("http://www.w3.org/ns/prov#wasDerivedFrom"), source),
        ox.Triple(source, ox.NamedNode("http://purl.org/dc/terms/title"), title),
        ox.Triple(source, ox.NamedNode("http://schema.org/url"), ox.NamedNode("javascript:alert(1)")),
    ]
    return graph_nt + b"".join(f"{triple} .\n".encode() for triple in triples)


@dataclass(frozen=True)
class Reply:
    """What the server answered to one raw request (status 0: it closed the connection first)."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    seconds: float

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)


def send(address: tuple[str, int], request: bytes, timeout: float) -> Reply:
    """Send raw bytes as one HTTP request and read the answer (the server may refuse before reading all)."""
    started = time.perf_counter()
    with socket.create_connection(address, timeout=timeout) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(request)
        response = http.client.HTTPResponse(sock)
        try:
            response.begin()
            body = response.read()
        except (http.client.HTTPException, ConnectionResetError, TimeoutError) as exc:
            if isinstance(exc, TimeoutError):
                return Reply(-1, [], b"", time.perf_counter() - started)
            if not response.status:
                return Reply(0, [], b"", time.perf_counter() - started)
            body = b""
        return Reply(response.status, response.getheaders(), body, time.perf_counter() - started)


def http_request(method: str, target: str, *, headers: Mapping[str, str] | None = None, body: bytes = b"",
                 raw_target: bytes | None = None) -> bytes:
    """The bytes of an HTTP/1.1 request (``raw_target`` is sent as is: dot segments, bad escapes)."""
    lines = [f"{method} ".encode() + (raw_target or target.encode()) + b" HTTP/1.1", b"Host: 127.0.0.1",
             b"Connection: close"]
    lines += [f"{name}: {value}".encode() for name, value in (headers or {}).items()]
    if body and not any(name.lower() in ("content-length", "transfer-encoding") for name in headers or {}):
        lines.append(f"Content-Length: {len(body)}".encode())
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def _query(text: str, accept: str = "application/sparql-results+json") -> bytes:
    body = urlencode({"query": text}).encode()
    return http_request("POST", "/sparql", body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Accept": accept})


Check = Callable[[Reply], str | None]


def _short_error(*statuses: int) -> Check:
    """Refused with one of ``statuses`` (0: connection closed), a short answer without a traceback."""
    def check(reply: Reply) -> str | None:
        if reply.status not in statuses:
            return f"HTTP {reply.status}, expected {' or '.join(map(str, statuses))}"
        if b"Traceback" in reply.body or len(reply.body) > 4096:
            return f"HTTP {reply.status} with a long answer or a traceback: {reply.body[:120]!r}"
        return None
    return check


def _contained(timeout: float) -> Check:
    """A pathological query: answered (cut at the row cap) or stopped (503), never a crash (500), and
    within the time limit."""
    def check(reply: Reply) -> str | None:
        if reply.status not in (200, 400, 503):
            return f"HTTP {reply.status}: {reply.body[:160]!r}"
        if reply.seconds > timeout + 10:
            return f"answered after {reply.seconds:.1f} s, the limit is {timeout:g} s"
        return None
    return check


def _not_served(reply: Reply) -> str | None:
    """Path traversal: refused, and no file content in the answer."""
    if reply.status not in (400, 404):
        return f"HTTP {reply.status}"
    leaked = [secret for secret in _SECRETS if secret in reply.body]
    return f"the answer holds {leaked}" if leaked else None


def _no_injected_header(reply: Reply) -> str | None:
    if reply.header("X-Injected") is not None:
        return "the response carries the injected header"
    if any("\r" in value or "\n" in value for _, value in reply.headers):
        return "a response header holds a line break"
    return None if reply.status in (200, 400, 404, 406) else f"HTTP {reply.status}"


def _escaped_page(reply: Reply) -> str | None:
    """An entity page showing the payloads as text: escaped, and a policy that forbids inline scripts."""
    if reply.status != 200:
        return f"HTTP {reply.status}"
    page = reply.body.decode("utf-8", "replace")
    raw = [payload for payload in SCRIPT_PAYLOADS[:3] if payload in page]
    if raw:
        return f"payload shown as markup: {raw[0]!r}"
    if "&lt;script&gt;" not in page:
        return "the payloads are not on the page (escaped) at all"
    if 'href="javascript:' in page:
        return "a javascript: link"
    policy = reply.header("Content-Security-Policy") or ""
    return None if "script-src 'self'" in policy else f"no script policy: {policy!r}"


def _reflection_escaped(reply: Reply) -> str | None:
    if b"<script>alert" in reply.body:
        return "the request's script is reflected as markup"
    return None if reply.status in (200, 303, 400, 404, 406) else f"HTTP {reply.status}"


@dataclass(frozen=True)
class Attack:
    kind: str
    name: str
    request: bytes
    check: Check


def attacks(*, timeout: float, max_request_bytes: int, listener_port: int) -> list[Attack]:
    """Hostile requests, each with what the server must do with it."""
    too_big = max_request_bytes + 1024
    listener = f"http://127.0.0.1:{listener_port}/sparql"
    sparql_form = {"Content-Type": "application/x-www-form-urlencoded"}
    deep = "SELECT * WHERE { FILTER(" + "(" * 5_000 + "1" + ")" * 5_000 + ") }"  # pyoxigraph would crash
    doubling = ('SELECT (STRLEN(?a40) AS ?n) WHERE { BIND("0123456789" AS ?a0) '
                + " ".join(f"BIND(CONCAT(?a{i}, ?a{i}) AS ?a{i + 1})" for i in range(40)) + " }")
    entity = "/" + HOSTILE_ENTITY
    listing: list[tuple[str, str, bytes, Check]] = [
        ("oversized", "request body over the limit", http_request(
            "POST", "/sparql", body=b"query=" + b"a" * too_big, headers=sparql_form), _short_error(413, 0)),
        ("oversized", "chunked body over the limit", http_request(
            "POST", "/sparql", body=(b"4000\r\n" + b"a" * 0x4000 + b"\r\n") * (too_big // 0x4000 + 1) + b"0\r\n\r\n",
            headers={"Content-Type": "application/sparql-query", "Transfer-Encoding": "chunked"}),
         _short_error(413, 0)),
        ("oversized", "declared length over the limit", http_request(
            "POST", "/sparql", body=b"ASK {}", headers={"Content-Type": "application/sparql-query",
                                                        "Content-Length": str(10 * too_big)}), _short_error(413, 0)),
        ("oversized", "URL over the limit", http_request("GET", "/sparql?query=" + "a" * too_big),
         _short_error(400, 414, 0)),
        ("oversized", "a 2 MB header", http_request("GET", "/sparql", headers={"X-Big": "a" * (2 << 20)}),
         _short_error(400, 431, 0)),
        ("oversized", "10,000 headers", http_request("GET", "/sparql", headers={f"X-H{i}": "v" for i in range(10_000)}),
         _short_error(200, 400, 431, 0)),
        ("malformed", "syntax error", _query("SELECT ?s WHERE { ?s ?p }"), _short_error(400)),
        ("malformed", "brackets nested 5,000 deep", _query(deep), _short_error(400)),
        ("malformed", "body not UTF-8", http_request("POST", "/sparql", body=b"\xff\xfeASK {}",
                                                     headers={"Content-Type": "application/sparql-query"}),
         _short_error(400)),
        ("malformed", "unknown body type", http_request("POST", "/sparql", body=b"ASK {}",
                                                        headers={"Content-Type": "text/plain"}), _short_error(415)),
        ("malformed", "not HTTP", b"GARBAGE\r\n\r\n", _short_error(400, 0)),
        ("malformed", "an Accept header of garbage", http_request(
            "GET", "/sparql?query=ASK%7B%7D", headers={"Accept": ";;;q=abc,*/*;q=-1, \x01"}),
         _short_error(200, 400, 406)),
        ("pathological", "ORDER BY over a cross product", _query(
            "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f"), _contained(timeout)),
        ("pathological", "three-way cross product", _query(
            "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"), _contained(timeout)),
        ("pathological", "closure of every property both ways", _query(
            "SELECT (COUNT(*) AS ?n) WHERE { ?s (!<urn:x:none>|^!<urn:x:none>)* ?o }"), _contained(timeout)),
        ("pathological", "deep property path", _query(
            "SELECT * WHERE { ?s (<http://www.w3.org/ns/org#memberOf>|^<http://www.w3.org/ns/org#memberOf>)+/"
            "(!<urn:x>)*/(^!<urn:x>)* ?o } ORDER BY ?o"), _contained(timeout)),
        ("pathological", "string doubled forty times", _query(doubling), _contained(timeout)),
        ("pathological", "GROUP_CONCAT of a cross product", _query(
            "SELECT (GROUP_CONCAT(STR(?o)) AS ?all) WHERE { ?a ?b ?c . ?s ?p ?o }"), _contained(timeout)),
        ("pathological", "CONSTRUCT of a cross product", _query(
            "CONSTRUCT { ?a ?b ?f } WHERE { ?a ?b ?c . ?d ?e ?f }", "application/n-triples"), _contained(timeout)),
        ("update", "update parameter", http_request("POST", "/sparql", body=urlencode(
            {"update": "DROP ALL"}).encode(), headers=sparql_form), _short_error(403)),
        ("update", "update body", http_request("POST", "/sparql", body=b"CLEAR DEFAULT", headers={
            "Content-Type": "application/sparql-update"}), _short_error(403)),
        ("update", "INSERT DATA as a query", _query('INSERT DATA { <urn:x:s> <urn:x:p> "x" }'), _short_error(403)),
        ("update", "LOAD a local file", _query("LOAD <file:///etc/passwd>"), _short_error(403)),
        ("update", "SERVICE", _query(f"SELECT * WHERE {{ SERVICE <{listener}> {{ ?s ?p ?o }} }}"), _short_error(403)),
        ("update", "SERVICE in OPTIONAL in a sub-query", _query(
            f"SELECT * WHERE {{ {{ SELECT ?s WHERE {{ ?s ?p ?o OPTIONAL {{ SERVICE SILENT <{listener}> "
            "{ ?s ?q ?r } } } LIMIT 1 } }"), _short_error(403)),
        ("update", "SERVICE in FILTER EXISTS, keyword escaped", _query(
            f"SELECT * WHERE {{ ?s ?p ?o FILTER EXISTS {{ \\u0053ERVICE <{listener}> {{ ?s ?p ?o }} }} }} LIMIT 1"),
         _short_error(400, 403)),
    ]
    for raw in (b"/static/../../../../etc/passwd", b"/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
                b"/static/..%2f..%2f..%2fpyproject.toml", b"/static//etc/passwd", b"/static/%252e%252e/server.py",
                b"/static/server/..%5c..%5c..%5cserver.py", b"/static/.%2e/.%2e/.%2e/pyproject.toml",
                b"/..%2f..%2f..%2fetc/passwd.ttl", b"/static/server/%00../../pyproject.toml"):
        listing.append(("traversal", raw.decode(), http_request("GET", "", raw_target=raw), _not_served))
    for raw in (b"/org/x%0d%0aX-Injected:%20yes", b"/org/x%0d%0aX-Injected:%20yes.ttl",
                b"/sparql?query=ASK%7B%7D&format=json%0d%0aX-Injected:%20yes", b"/org/x%0aX-Injected:%20yes.html"):
        listing.append(("header injection", raw.decode(), http_request("GET", "", raw_target=raw), _no_injected_header))
    listing += [
        ("script injection", "entity page of data holding scripts", http_request(
            "GET", entity, headers={"Accept": "text/html"}), _escaped_page),
        ("script injection", "script in the query page's URL", http_request(
            "GET", "/?query=" + quote("</script><script>alert(1)</script>"), headers={"Accept": "text/html"}),
         _reflection_escaped),
        ("script injection", "script in an unknown entity's path", http_request(
            "GET", "", raw_target=b"/org/%3Cscript%3Ealert(1)%3C%2Fscript%3E", headers={"Accept": "text/html"}),
         _reflection_escaped),
        ("script injection", "script in a syntax error",
         _query("SELECT <script>alert(1)</script> WHERE {}", "text/html"), _reflection_escaped),
    ]
    return [Attack(kind, name, request, check) for kind, name, request, check in listing]


class Listener:
    """A loopback TCP listener that counts the connections made to it (a query must never make one)."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.socket.getsockname()[1])
        self.connections = 0
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                connection, _ = self.socket.accept()
                self.connections += 1
                connection.close()

    def close(self) -> None:
        self.socket.close()


class MemorySampler:
    """The resident memory of a process and its children (the query workers), sampled ten times a second."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.baseline = self.current()
        self.peak = self.baseline
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def current(self) -> int:
        import psutil

        try:
            root = psutil.Process(self.pid)
            processes = [root, *root.children(recursive=True)]
        except psutil.Error:
            return 0
        total = 0
        for process in processes:
            with contextlib.suppress(psutil.Error):
                total += process.memory_info().rss
        return total

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            self.peak = max(self.peak, self.current())

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class BatteryReport:
    """Hostile requests sent, by kind, and what went wrong (nothing, when the server holds)."""

    sent: Counter[str] = field(default_factory=Counter)
    held: Counter[str] = field(default_factory=Counter)  #: refused or contained as they must be
    problems: list[str] = field(default_factory=list)
    health_checks: int = 0  #: a plain query after each attack
    health_failures: int = 0
    outbound_connections: int = 0  #: connections a query made to the listener (must stay 0)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.health_failures and not self.outbound_connections


HEALTH_QUERY = "ASK { ?s ?p ?o }"


def run_battery(url: str, battery: Sequence[Attack], report: BatteryReport, *, timeout: float,
                stop: threading.Event | None = None) -> None:
    """Send every attack of ``battery`` to the server at ``url`` (once, or in turn until ``stop`` is set),
    each followed by a plain query that must be answered."""
    parts = urlsplit(url)
    address = (parts.hostname or "127.0.0.1", parts.port or 80)
    while True:
        for attack in battery:
            if stop is not None and stop.is_set():
                return
            reply = send(address, attack.request, timeout + 30)
            report.sent[attack.kind] += 1
            problem = attack.check(reply)
            if problem:
                report.problems.append(f"{attack.kind}: {attack.name}: {problem}")
            else:
                report.held[attack.kind] += 1
            health = send(address, _query(HEALTH_QUERY), timeout + 30)
            report.health_checks += 1
            if health.status != 200:
                report.health_failures += 1
                report.problems.append(f"after {attack.name}: a plain query got HTTP {health.status}")
        if stop is None:
            return


@dataclass
class LoadReport:
    """A bounded load run on loopback: library queries from ``clients`` threads while one more client
    sends the attacks of :func:`attacks` in turn."""

    clients: int
    seconds: float
    workers: int
    worker_memory_mb: int
    timeout: float
    triples: int
    normal: Any  #: :class:`ftgraph.server_bench.LoadResult` of the library queries
    hostile: BatteryReport
    memory_baseline: int
    memory_peak: int

    @property
    def error_rate(self) -> float:
        requests = self.normal.requests
        return sum(self.normal.errors.values()) / requests if requests else 0.0

    @property
    def ok(self) -> bool:
        return self.hostile.ok and self.normal.requests > 0 and not self.normal.errors


def load_run(out_dir: Path, *, clients: int, seconds: float, workers: int, worker_memory_mb: int, timeout: float,
             base_iri: str) -> LoadReport:
    """Serve ``out_dir/graph.nt`` plus :func:`hostile_graph`'s entity on a free loopback port, and run
    :func:`ftgraph.server_bench.load` for ``seconds`` while a hostile client sends :func:`attacks`."""
    from ftgraph.server_bench import ServerProcess, bench_queries, load

    graph_nt = out_dir / GRAPH_NT
    if not graph_nt.is_file():
        raise FtgraphError(f"{graph_nt}: no built graph; run `ftgraph build` (or `ftgraph run`) first")
    listener = Listener()
    max_request_bytes = 256 * 1024
    with tempfile.TemporaryDirectory(prefix="ftgraph-load-") as folder:
        served = Path(folder)
        (served / GRAPH_NT).write_bytes(hostile_graph(graph_nt.read_bytes(), base_iri))
        triples = sum(1 for line in (served / GRAPH_NT).read_bytes().split(b"\n") if line.strip())
        options = ("--workers", str(workers), "--timeout", str(timeout), "--worker-memory", str(worker_memory_mb),
                   "--max-request-bytes", str(max_request_bytes), "--base-iri", base_iri)
        with ServerProcess.ftgraph(served, *options) as server:
            assert server.process is not None
            sampler = MemorySampler(server.process.pid)
            hostile, stop = BatteryReport(), threading.Event()
            battery = attacks(timeout=timeout, max_request_bytes=max_request_bytes, listener_port=listener.port)
            attacker = threading.Thread(target=run_battery, args=(server.url, battery, hostile),
                                        kwargs={"timeout": timeout, "stop": stop}, daemon=True)
            attacker.start()
            try:
                normal = load(server.url, "/sparql", bench_queries(base_iri), clients=clients, duration=seconds,
                              timeout=timeout + 30, server="ftgraph serve")
            finally:
                stop.set()
                attacker.join()
                sampler.stop()
    listener.close()
    hostile.outbound_connections = listener.connections
    return LoadReport(clients, normal.seconds, workers, worker_memory_mb, timeout, triples, normal, hostile,
                      sampler.baseline, sampler.peak)


# ------------------------------------------------------------------------------------- the report

RESULTS_FILE = "reliability.json"
REPORT_FILE = "reliability.md"

#: Bugs these checks found, fixed in the modules named (each has a regression test).
FIXED = (
    ("build", "a name holding U+2028, U+0085, \\v or \\f produced a graph.nt no parser reads (lines were "
              "sorted with str.splitlines(), which cuts at those characters)"),
    ("export", "a JSON-LD context that is not UTF-8, nests too deeply, or that pyld rejects ended in a traceback"),
    ("query", "SPARQL text longer than a file name ended in an OSError traceback (it was taken for a path)"),
    ("engine, server", "a query nesting brackets ~5,000 deep crashed the process (SIGSEGV in pyoxigraph's parser); "
                       "in the server it killed a query worker"),
    ("engine", "a store damaged where counting the triples does not read (a flipped byte in an index) was used; "
               "now the manifest lists each file's size and CRC-32"),
    ("atomic, engine", "builds killed at a random moment left their staging folders behind, one copy of out/ each"),
    ("push", "each push killed mid-way left its temporary graph in the store for good"),
    ("server", "httptools kept endless request headers in memory (~1 MB per MB sent); h11 with a limit now"),
    ("server", "an ORDER BY over a cross product or a string doubled in BINDs grew a worker by gigabytes until "
               "the time limit; a memory limit per worker now stops it (503)"),
    ("ingest", "a table cell holding U+0085 was written to data/ as a space (PyYAML); a mapping not in UTF-8 or "
               "nested too deeply ended in a traceback"),
    ("index", "out/index.html listed the size of out/store, which differs by a few bytes between two builds of "
              "one graph; it lists the store's triple count now"),
    ("metrics", "two runs on the same data gave different modularity null means and z-scores unless "
                "PYTHONHASHSEED was fixed (sub-graphs listed actors in set order, sums ran over sets); now "
                "byte-identical across hash seeds"),
)


#: Problems these checks found in other modules, reported to their owners and not fixed here.
REPORTED: tuple[tuple[str, str], ...] = ()


def save_results(docs_dir: Path, part: str, figures: dict[str, Any]) -> Path:
    """Keep ``figures`` as ``part`` of ``docs_dir/reliability.json`` and rewrite ``reliability.md``."""
    from ftgraph.atomic import write_text_atomic

    results_path = docs_dir / RESULTS_FILE
    results = json.loads(results_path.read_text(encoding="utf-8")) if results_path.is_file() else {}
    results[part] = figures
    write_text_atomic(results_path, json.dumps(results, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    report = docs_dir / REPORT_FILE
    write_text_atomic(report, render_report(results))
    return report


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    alignment = ["---", *["---:"] * (len(header) - 1)]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(alignment) + "|"]
    lines += ["| " + " | ".join(str(cell).replace("|", "\\|").replace("\n", " ") for cell in row) + " |"
              for row in rows]
    return lines


def render_report(results: Mapping[str, Any]) -> str:
    """docs/reliability.md from the figures of the measuring commands."""
    lines = ["# Reliability and security, measured", "",
             "Generated by `ftgraph reliability fuzz|faults|load` (figures in `docs/reliability.json`); do not "
             "edit by hand. The tests `tests/test_fuzz.py`, `tests/test_faults.py` and "
             "`tests/test_hostile_server.py` run the same checks with small budgets.", ""]
    lines += _fuzz_section(results.get("fuzz")) + _faults_section(results.get("faults"))
    lines += _load_section(results.get("load"))
    lines += ["## Bugs found by these checks, and fixed", ""]
    lines += [f"- **{where}**: {what}." for where, what in FIXED]
    lines += ["", "## Found, reported to the owners, not fixed here", ""]
    lines += [f"- **{where}**: {what}." for where, what in REPORTED] or ["None."]
    return "\n".join(lines).rstrip() + "\n"


def _fuzz_section(fuzz: Mapping[str, Any] | None) -> list[str]:
    lines = ["## Fuzzing the inputs", ""]
    if not fuzz:
        return [*lines, "Not measured yet: run `ftgraph reliability fuzz`.", ""]
    targets = fuzz["targets"]
    lines += [f"{fuzz['tried']} inputs on {fuzz['date']} (hypothesis, seed {fuzz['seed']}, from "
              f"{fuzz['seed_records']} real records of `data/` and their references): "
              f"**{fuzz['findings']} broke the contract**; {fuzz['distinct_errors']} distinct error messages "
              "(particulars removed: values, paths, numbers). Contract: success, or one clear error naming the file "
              "(and record and field); never a traceback, a hang (limit "
              f"{fuzz['time_limit']:g} s per input) or a partial `out/`; accepted text reaches the outputs unchanged.",
              ""]
    lines += _table(("target", "inputs", "accepted", "refused", "distinct errors", "broke the contract"),
                    [(name, t["tried"], t["accepted"], t["tried"] - t["accepted"], t["distinct_errors"],
                      t["finding"] or "none") for name, t in sorted(targets.items())])
    lines += ["", "Most frequent error messages:", ""]
    lines += [f"- {message} ({count})" for message, count in fuzz["top_errors"]]
    return [*lines, ""]


def _faults_section(faults: Mapping[str, Any] | None) -> list[str]:
    lines = ["## Faults", ""]
    if not faults:
        return [*lines, "Not measured yet: run `ftgraph reliability faults`.", ""]
    builds = faults["builds"]
    lines += [f"### Builds killed at a random moment ({faults['date']})", "",
              f"`ftgraph {builds['command']}` on {builds['data']} was killed (SIGKILL) {builds['trials']} times "
              f"after a random delay between 0 and 1.2 times an uninterrupted run ({builds['seconds']:.1f} s), "
              f"{builds['killed_running']} of them while it ran. Afterwards `out/` held the previous complete output "
              f"{builds['outcomes'].get('previous', 0)} times and the new one {builds['outcomes'].get('new', 0)} "
              f"times; **damaged: {len(builds['damaged'])}**; a store that did not open with its graph: "
              f"{len(builds['unusable'])}; staging folders left after the next build: {builds['leftovers_at_end']} "
              f"({builds['leftovers']} seen right after kills).", ""]
    stores = faults["stores"]
    lines += ["### Damaged embedded stores", "",
              f"{stores['trials']} damaged stores ({', '.join(STORE_DAMAGES)}) and {stores['killed_builds']} store "
              "builds killed at a random moment; after each, `open_store` had to give exactly the triples of "
              "`graph.nt`, read through every index. **Wrong answers or crashes: "
              f"{len(stores['wrong'])}**; temporary folders left: {stores['leftovers']}.", ""]
    push = faults.get("push")
    if push:
        lines += ["### A SPARQL store killed during a push", "",
                  f"Virtuoso was killed (SIGKILL) at a random moment of {push['trials']} pushes of "
                  f"{push['triples']} triples in batches of {push['batch_size']} (one push: {push['seconds']:.1f} s), "
                  f"then restarted: {push['failed_pushes']} pushes failed with a clear error. The named graph then "
                  f"held the previous graph {push['after_kill'].get('previous graph', 0)} times and the new one "
                  f"{push['after_kill'].get('new graph', 0)} times, **mixed {push['after_kill'].get('mixed', 0)}**; "
                  f"re-running the push gave exactly the pushed graph {push['exact_after_rerun']} of "
                  f"{push['trials']} times; temporary graphs left: {push['staging_graphs_left']}.", ""]
    problems = [*builds["damaged"], *builds["unusable"], *stores["wrong"], *(push or {}).get("wrong", [])]
    if problems:
        lines += ["Problems:", "", *[f"- {problem}" for problem in problems], ""]
    return lines


def _load_section(load: Mapping[str, Any] | None) -> list[str]:
    lines = ["## The server under load and attack", ""]
    if not load:
        return [*lines, "Not measured yet: run `ftgraph reliability load`.", ""]
    hostile = load["hostile"]
    lines += [f"{load['date']}, loopback: `ftgraph serve` on {load['triples']} triples (the built graph and an "
              f"entity whose data carries script payloads), {load['workers']} query workers of at most "
              f"{load['worker_memory_mb']} MB, {load['timeout']:g} s per query. {load['clients']} clients sent "
              f"the library queries for {load['seconds']:.0f} s while one more client sent the attacks below in "
              "turn, each followed by a plain query.", ""]
    lines += _table(("library queries", "served", "errors", "error rate", "throughput (req/s)", "p50 (ms)",
                     "p95 (ms)"),
                    [(load["requests"], load["served"], load["errors"], f"{load['error_rate']:.2%}",
                      f"{load['throughput']:.1f}", f"{load['p50_ms']:.0f}", f"{load['p95_ms']:.0f}")])
    lines += ["", f"Server memory (with its workers): {load['memory_baseline_mb']} MB at the start, "
              f"{load['memory_peak_mb']} MB at the peak. Connections made by queries to a listener named in SERVICE "
              f"clauses: {hostile['outbound_connections']}. Plain queries after an attack: "
              f"{hostile['health_checks']}, failed: {hostile['health_failures']}.", ""]
    lines += _table(("attacks", "sent", "refused or contained"),
                    [(kind, sent, hostile["held"].get(kind, 0)) for kind, sent in sorted(hostile["sent"].items())])
    lines += ["", "What each kind holds to: oversized (body, chunked body, declared length, URL, 2 MB header, 10,000 "
              "headers): 413/414/400, or the connection closed; malformed (syntax error, brackets nested 5,000 deep, "
              "body not UTF-8, unknown body type, not HTTP, garbage Accept): a short 4xx; pathological (ORDER BY or "
              "GROUP_CONCAT or CONSTRUCT over a cross product, three-way cross product, closure of every property, "
              "deep property path, a string doubled forty times): an answer cut at the row cap or a 503 within the "
              "time limit, never a crash; update (Update, LOAD, SERVICE at any depth, even escaped): 403 and no "
              "connection made; traversal (dot segments, encoded, double-encoded, backslashes, NUL): 404 without "
              "file content; header injection (CR LF in paths and parameters): no injected header; script injection "
              "(payloads in the data, in the URL, in a query): escaped, and a policy forbidding inline scripts.", ""]
    if hostile["problems"] or load["normal_errors"]:
        lines += ["Problems:", "", *[f"- {problem}" for problem in hostile["problems"]],
                  *[f"- library query errors: {kind} × {count}" for kind, count in load["normal_errors"].items()], ""]
    return lines


# ---------------------------------------------------------------------------------------- commands

docs_option = click.option("--docs", "docs_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
                           help="Where reliability.json and reliability.md are written (default: ./docs).")


def _docs(docs_dir: Path | None) -> Path:
    from ftgraph.build import project_root

    return docs_dir or project_root() / "docs"


def _figures(report: Any) -> dict[str, Any]:
    """A report's fields for JSON (``dataclasses.asdict`` would count a Counter's items instead)."""
    return {name: dict(value) if isinstance(value, Counter) else value
            for name, value in ((f.name, getattr(report, f.name)) for f in dataclasses.fields(report))}


def _today() -> str:
    return dt.date.today().isoformat()


def _report_written(report: Path, broken: list[str]) -> None:
    from ftgraph.clikit import stdout

    stdout.print(f"Wrote {report}")
    if broken:
        raise FtgraphError("the contract broke: " + "; ".join(broken) + f" (see {report})")


@click.group("reliability")
def reliability_command() -> None:
    """Measure reliability and security (fuzzing, faults, load with a hostile client) into docs/reliability.md."""


@reliability_command.command("fuzz")
@click.option("--examples", type=click.IntRange(min=1), default=2000, show_default=True,
              help="Inputs per target (fewer for the slow targets: a build costs about a second).")
@click.option("--seed", type=int, default=None, help="Random seed (default: a new one, printed).")
@data_option
@docs_option
@click.pass_obj
@user_errors
def fuzz_command(progress: Progress, examples: int, seed: int | None, data_dir: Path | None,
                 docs_dir: Path | None) -> None:
    """Fuzz every input the project reads, starting from real records of data/."""
    seed = seed if seed is not None else random.randrange(2**32)
    logging.getLogger("rdflib").setLevel(logging.CRITICAL)  # damaged Turtle makes it warn at length
    with progress.step("real records and everything they refer to"):
        start = real_seed(Paths.default(data=data_dir).data)
    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="ftgraph-fuzz-") as folder:
        with progress.step("a workspace with a first build"):
            workspace = Workspace(Path(folder), start, Paths.default().ontology)
        for name, target in fuzz_targets(workspace).items():
            with progress.step(f"fuzz {name}"):
                run_target(name, target, tally, examples=max(10, round(examples / max(target.cost, 1))), seed=seed)
    errors = Counter[str]()
    for counter in tally.errors.values():
        errors.update(counter)
    figures = {
        "date": _today(), "seed": seed, "seed_records": len(start.ids()), "time_limit": INPUT_TIME_LIMIT,
        "tried": sum(tally.tried.values()), "findings": len(tally.findings), "distinct_errors": len(errors),
        "top_errors": errors.most_common(12),
        "targets": {name: {"tried": tally.tried[name], "accepted": tally.accepted[name],
                           "distinct_errors": tally.distinct_errors(name),
                           "finding": tally.findings.get(name, "").split("\n")[0][:300]} for name in tally.tried},
    }
    _report_written(save_results(_docs(docs_dir), "fuzz", figures), [f"fuzz {name}" for name in tally.findings])


#: The graphs pushed while Virtuoso is killed: triples, and triples per INSERT DATA request.
PUSH_TRIPLES, PUSH_BATCH = 5000, 100


@reliability_command.command("faults")
@click.option("--kills", type=click.IntRange(min=1), default=20, show_default=True,
              help="Builds killed at a random moment.")
@click.option("--command", "build_command", type=click.Choice(["run", "build"]), default="run", show_default=True,
              help="The command killed.")
@click.option("--store-rounds", type=click.IntRange(min=1), default=3, show_default=True,
              help="Rounds of every kind of store damage.")
@click.option("--store-kills", type=click.IntRange(min=0), default=10, show_default=True,
              help="Store builds killed at a random moment.")
@click.option("--pushes", type=click.IntRange(min=0), default=10, show_default=True,
              help="Pushes during which Virtuoso is killed (0: skip; needs virtuoso-opensource).")
@click.option("--seed", type=int, default=None, help="Random seed (default: a new one).")
@data_option
@docs_option
@click.pass_obj
@user_errors
def faults_command(progress: Progress, kills: int, build_command: str, store_rounds: int, store_kills: int,
                   pushes: int, seed: int | None, data_dir: Path | None, docs_dir: Path | None) -> None:
    """Kill builds, damage stores and kill a SPARQL store during pushes; check that nothing is lost."""
    rng = random.Random(seed)
    start = real_seed(Paths.default(data=data_dir).data)
    with tempfile.TemporaryDirectory(prefix="ftgraph-faults-") as folder:
        root = Path(folder)
        versions = [root / "a" / "data", root / "b" / "data"]
        start.write(versions[0])
        start.write(versions[1])
        (versions[1] / "reliability-extra.yaml").write_text(
            f"organisations:\n  - {{id: reliability-extra, name: Reliability Extra, type: startup, "
            f"sources: [{_first_source(start)}]}}\n", encoding="utf-8")
        out = root / "out"

        def launch(data: Path) -> Child:
            return Child.command(["-q", build_command, "--data", str(data), "--out", str(out)], cwd=root)

        with progress.step(f"kill `ftgraph {build_command}` {kills} times"):
            builds = kill_builds(launch, versions, out, trials=kills, rng=rng, command=build_command)
        with progress.step(f"damage the store {store_rounds} × {len(STORE_DAMAGES)} times, kill {store_kills} "
                           "store builds"):
            stores = store_faults(out, rounds=store_rounds, kills=store_kills, rng=rng)
        push = None
        if pushes:
            store = VirtuosoInstance(root / "virtuoso")
            with progress.step(f"kill Virtuoso during {pushes} pushes"), store:
                push = push_faults(store, synthetic_versions(PUSH_TRIPLES, seed=rng.randrange(2**32)),
                                   "https://w3id.org/ftgraph/graph/reliability", trials=pushes, rng=rng,
                                   batch_size=PUSH_BATCH)
    figures: dict[str, Any] = {
        "date": _today(),
        "builds": {**_figures(builds), "data": f"{len(start.ids())} real records of data/"},
        "stores": _figures(stores),
    }
    if push is not None:
        figures["push"] = {**_figures(push), "triples": PUSH_TRIPLES, "batch_size": PUSH_BATCH}
    broken = [name for name, report in (("killed builds", builds), ("stores", stores), ("push", push))
              if report is not None and not report.ok]
    _report_written(save_results(_docs(docs_dir), "faults", figures), broken)


@reliability_command.command("load")
@click.option("--clients", type=click.IntRange(min=1), default=16, show_default=True,
              help="Concurrent clients sending library queries.")
@click.option("--seconds", type=click.FloatRange(min=1), default=30.0, show_default=True,
              help="Duration of the run (it stops by itself).")
@click.option("--workers", type=click.IntRange(min=1), default=4, show_default=True, help="Query workers.")
@click.option("--worker-memory", type=click.IntRange(min=256), default=1024, show_default=True,
              help="Megabytes per query worker.")
@click.option("--timeout", type=click.FloatRange(min=1), default=10.0, show_default=True,
              help="Seconds a query may run.")
@out_option
@base_option
@docs_option
@click.pass_obj
@user_errors
def load_command(progress: Progress, clients: int, seconds: float, workers: int, worker_memory: int, timeout: float,
                 out_dir: Path | None, base_iri: str, docs_dir: Path | None) -> None:
    """A bounded load run on loopback with one hostile client; requests served, error rate, p95, memory."""
    with progress.step(f"{clients} clients and one hostile client for {seconds:g} s"):
        report = load_run(Paths.default(out=out_dir).out, clients=clients, seconds=seconds, workers=workers,
                          worker_memory_mb=worker_memory, timeout=timeout, base_iri=base_iri)
    normal = report.normal
    figures = {
        "date": _today(), "clients": clients, "seconds": report.seconds, "workers": workers,
        "worker_memory_mb": worker_memory, "timeout": timeout, "triples": report.triples,
        "requests": normal.requests, "served": len(normal.latencies), "errors": sum(normal.errors.values()),
        "error_rate": report.error_rate, "throughput": normal.throughput, "p50_ms": normal.percentile(0.5),
        "p95_ms": normal.percentile(0.95), "normal_errors": dict(normal.errors),
        "memory_baseline_mb": report.memory_baseline >> 20, "memory_peak_mb": report.memory_peak >> 20,
        "hostile": _figures(report.hostile),
    }
    _report_written(save_results(_docs(docs_dir), "load", figures), [] if report.ok else ["load"])


@reliability_command.command("report")
@docs_option
@user_errors
def report_command(docs_dir: Path | None) -> None:
    """Rewrite docs/reliability.md from docs/reliability.json (the figures of the last runs)."""
    from ftgraph.atomic import write_text_atomic

    docs = _docs(docs_dir)
    results_path = docs / RESULTS_FILE
    if not results_path.is_file():
        raise FtgraphError(f"{results_path}: no figures yet; run `ftgraph reliability fuzz|faults|load`")
    write_text_atomic(docs / REPORT_FILE, render_report(json.loads(results_path.read_text(encoding="utf-8"))))
