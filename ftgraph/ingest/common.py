"""What every loader shares: ids, matching on existing records, and the idempotent merge into ``data/``.

A loader turns its input into a :class:`Batch` (sources + records with final ids, chosen with an
:class:`EntityIndex` so that an entity already in ``data/`` keeps its id), then :func:`merge_into_data`
writes the batch into the loader's own two files:

- ``data/ingested/<name>.yaml``: the records (places, organisations, people, roles);
- ``data/sources/ingested-<name>.yaml``: their sources (sources live only under ``data/sources/``).

A record already in those files is merged (the input's values win, ``sources``/``alt_names``/``sectors``
are united); a record curated elsewhere is never rewritten: the facts it lacks are reported instead.
The whole of ``data/`` is re-validated with the new files before they replace the old ones atomically,
so a failed ingestion writes nothing, and re-ingesting the same input writes nothing either.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from ftgraph.atomic import write_text_atomic
from ftgraph.errors import DataErrors, FtgraphError
from ftgraph.loader import SOURCES_DIR, Dataset, Located, load_dataset
from ftgraph.records import KINDS, Entity, Record, Role, Source, preferred_value
from ftgraph.text import normalise_name

INGESTED_DIR = "ingested"
#: Fields whose lists are united, not replaced, when a record is ingested again from another input.
UNITED_FIELDS = ("sources", "alt_names", "sectors")
#: Identifier fields that identify an entity across inputs, strongest first.
IDENTIFIER_FIELDS = ("wikidata", "siren")
_LAST_FIELDS = ("sources", "note")


class InputError(FtgraphError):
    """Unusable input (file, mapping, review file, endpoint answer). Exit code 2, like bad curated data."""

    exit_code = 2


def slugify(text: str, max_length: int = 80) -> str:
    """A record id from a name: lower-case ASCII words joined by ``-``, cut at a word boundary.

    >>> slugify("Saint-Étienne Métropole")
    'saint-etienne-metropole'
    """
    words = normalise_name(text).split()
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > max_length and slug:
            break
        slug = candidate
    if not slug:
        raise InputError(f"cannot make an id from {text!r}: it has no letter or digit")
    return slug[:max_length].strip("-")


@dataclass(frozen=True)
class Candidate:
    """An existing entity that a name may stand for."""

    id: str
    kind: str
    type: str | None
    name: str
    primary: bool  # the name is the record's main name, not one of its alt_names


class EntityIndex:
    """The entities of a dataset by folded name (accents, case and punctuation removed), by identifier
    (``wikidata``, ``siren``) and by id, and its sources by URL. Loaders :meth:`add` the records they
    create so that two rows of one input naming the same entity get the same id."""

    def __init__(self, dataset: Dataset) -> None:
        self.kinds: dict[str, str] = {}
        self.names: dict[str, list[Candidate]] = {}
        self.identifiers: dict[tuple[str, str, str], str] = {}
        self.identifiers_of: dict[str, dict[str, str]] = {}
        self.source_by_url: dict[str, str] = {}
        self.roles: dict[tuple[str, str, str], str] = {}
        for located in dataset.records.values():
            self.add(located.kind, located.record)

    def add(self, kind: str, record: Record) -> None:
        self.kinds[record.id] = kind
        if isinstance(record, Source):
            self.source_by_url.setdefault(record.url, record.id)
        if isinstance(record, Role):
            self.roles.setdefault((record.member, record.role, record.organisation), record.id)
        if not isinstance(record, Entity):
            return
        entity_type = getattr(record, "type", None)
        for index, name in enumerate((record.name, *record.alt_names)):
            candidates = self.names.setdefault(normalise_name(name), [])
            if all(candidate.id != record.id for candidate in candidates):
                candidates.append(Candidate(record.id, kind, entity_type, record.name, index == 0))
        for identifier in IDENTIFIER_FIELDS:
            value = preferred_value(getattr(record, identifier, None))
            if value:
                self.identifiers.setdefault((kind, identifier, str(value)), record.id)
                self.identifiers_of.setdefault(record.id, {})[identifier] = str(value)

    def by_name(self, name: str, kinds: Sequence[str] | None = None) -> list[Candidate]:
        """Entities one of whose names folds to the same text, main names first."""
        found = [c for c in self.names.get(normalise_name(name), []) if kinds is None or c.kind in kinds]
        return sorted(found, key=lambda candidate: (not candidate.primary, candidate.id))

    def resolve(self, kind: str, name: str, identifiers: dict[str, str] | None = None,
                entity_type: str | None = None) -> tuple[str, list[str]]:
        """(id, homonyms) of the entity a new one stands for.

        Same identifier (``wikidata``, then ``siren``): that entity. Else same folded name, preferring one
        of the same type then a main name, unless its identifier differs from the given one: then it is
        a homonym, and the new entity gets a free id from its name and ``distinct_from`` the homonyms.
        """
        given = {key: value for key, value in (identifiers or {}).items() if value}
        for identifier in IDENTIFIER_FIELDS:
            if identifier in given and (kind, identifier, given[identifier]) in self.identifiers:
                return self.identifiers[(kind, identifier, given[identifier])], []
        candidates = self.by_name(name, [kind])
        same = [c for c in candidates if not self._conflicting(c.id, given)]
        if same:
            same_type = [candidate for candidate in same if candidate.type == entity_type]
            return (same_type or same)[0].id, []
        homonyms = [candidate.id for candidate in candidates if candidate.type == entity_type]
        return self.free_id(slugify(name)), list(dict.fromkeys(homonyms))

    def _conflicting(self, record_id: str, given: dict[str, str]) -> bool:
        known = self.identifiers_of.get(record_id, {})
        return any(key in known and known[key] != value for key, value in given.items())

    def role_id(self, member: str, role: str, organisation: str) -> str:
        """The id of the role tying ``member`` to ``organisation`` with ``role`` if one exists (whatever its
        id), else ``MEMBER-ROLE-ORGANISATION`` (``boris-saragaglia-co-founder-spartoo``)."""
        existing = self.roles.get((member, role, organisation))
        return existing or slugify(f"{member} {role.removeprefix('role-')} {organisation}", 120)

    def free_id(self, base: str) -> str:
        """``base``, or ``base-2``, ``base-3``... when an id is already taken (ids are unique across kinds)."""
        candidate, number = base, 1
        while candidate in self.kinds:
            number += 1
            candidate = f"{base}-{number}"
        return candidate


@dataclass
class Batch:
    """What one ingestion proposes: sources and records (with their final ids), for ``data/`` under ``name``."""

    name: str
    origin: str
    sources: list[Source] = field(default_factory=list)
    records: list[tuple[str, Record]] = field(default_factory=list)

    def add_source(self, source: Source) -> None:
        if all(existing.id != source.id for existing in self.sources):
            self.sources.append(source)

    def add(self, kind: str, record: Record) -> None:
        """Add a record; a second record with the same id is merged into the first."""
        for index, (existing_kind, existing) in enumerate(self.records):
            if existing.id == record.id:
                self.records[index] = (existing_kind, merge_records(existing, record))
                return
        self.records.append((kind, record))


@dataclass(frozen=True)
class KeptCurated:
    """A record of the input that is already curated elsewhere: left alone, with the facts it lacks."""

    id: str
    where: str
    differing: dict[str, Any]

    def __str__(self) -> str:
        facts = ", ".join(f"{name}={value!r}" for name, value in self.differing.items())
        return f"{self.id} is curated in {self.where}; not merged: {facts or 'nothing new'}"


@dataclass
class MergeReport:
    """The outcome of :func:`merge_into_data`."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_curated: list[KeptCurated] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    would_write: list[Path] = field(default_factory=list)  # with dry_run

    def summary(self) -> str:
        lines = [f"{len(self.added)} added, {len(self.updated)} updated, {len(self.unchanged)} unchanged, "
                 f"{len(self.kept_curated)} already curated elsewhere"]
        lines += [f"  kept: {kept}" for kept in self.kept_curated if kept.differing]
        lines += [f"  wrote {path}" for path in self.written] + [f"  would write {path}" for path in self.would_write]
        if not self.written and not self.would_write:
            lines.append("  nothing to write: data/ is up to date")
        return "\n".join(lines)


def record_dict(record: Record) -> dict[str, Any]:
    """A record as curators write it: ``id``, ``name``, ``type`` first, ``sources`` and ``note`` last,
    default values left out."""
    raw = record.model_dump(mode="json", exclude_defaults=True)
    first: dict[str, Any] = {key: raw.pop(key) for key in ("id", "name", "type") if key in raw}
    last: dict[str, Any] = {key: raw.pop(key) for key in _LAST_FIELDS if key in raw}
    return {**first, **raw, **last}


def merge_records(old: Record, new: Record) -> Record:
    """``new``'s values over ``old``'s; the lists of :data:`UNITED_FIELDS` united (old items first)."""
    old_fields, new_fields = record_dict(old), record_dict(new)
    merged = {**old_fields, **new_fields}
    for name in UNITED_FIELDS:
        if name in old_fields or name in new_fields:
            merged[name] = list(dict.fromkeys([*old_fields.get(name, []), *new_fields.get(name, [])]))
    return type(old).model_validate(merged)


def _differing_facts(curated: Record, proposed: Record) -> dict[str, Any]:
    """Fields the input gives that the curated record does not state (or states otherwise)."""
    curated_fields = record_dict(curated)
    differing = {}
    for name, value in record_dict(proposed).items():
        if name in ("id", "sources", "note"):
            continue
        mine = curated_fields.get(name)
        if name in UNITED_FIELDS and isinstance(value, list):
            extra = [item for item in value if item not in (mine or [])]
            if extra:
                differing[name] = extra
        elif preferred_value(getattr(curated, name, None)) != preferred_value(getattr(proposed, name, None)):
            differing[name] = value
    return differing


def ingested_paths(data_dir: Path, name: str) -> tuple[Path, Path]:
    """(records file, sources file) of an ingestion named ``name``."""
    return data_dir / INGESTED_DIR / f"{name}.yaml", data_dir / SOURCES_DIR / f"ingested-{name}.yaml"


class _Dumper(yaml.SafeDumper):
    """PyYAML's safe dumper, writing text that holds U+0085 (NEL) double-quoted: with ``allow_unicode`` it
    writes it raw in a quoted scalar, where the reader takes it for a line break and reads a space."""


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style='"' if "\x85" in text else None)


_Dumper.add_representer(str, _represent_text)


#: libyaml's safe loader when installed: it refuses deep nesting with a YAMLError (the Python one recurses).
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> Any:
    """The YAML document in ``path`` (safe loader), or :class:`InputError` saying why it cannot be read."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: malformed YAML: {exc}") from None


def dump_yaml(data: Any) -> str:
    """``data`` as readable YAML (UTF-8 text, block style) that reads back exactly."""
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10_000, default_flow_style=None)


def _yaml_text(origin: str, kinds: dict[str, list[Record]]) -> str:
    header = (f"# Written by `ftgraph ingest` from {origin}.\n"
              "# Re-ingesting merges records by id (the input's values win); review before committing.\n")
    body = {kind: [record_dict(record) for record in sorted(records, key=lambda r: r.id)]
            for kind, records in kinds.items() if records}
    if not body:
        return header
    return header + dump_yaml(body)


def _validate_with(data_dir: Path, replacements: dict[Path, str]) -> None:
    """Load ``data_dir`` as it would be with ``replacements`` written; raise its errors, naming real paths."""
    with tempfile.TemporaryDirectory(prefix="ftgraph-ingest-") as tmp:
        copy = Path(tmp) / "data"
        shutil.copytree(data_dir, copy, ignore=shutil.ignore_patterns(".*"))
        for path, text in replacements.items():
            target = copy / path.relative_to(data_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        try:
            load_dataset(copy)
        except DataErrors as exc:
            prefix = str(copy)
            raise DataErrors([replace(error, path=error.path.replace(prefix, str(data_dir), 1))
                              for error in exc.errors]) from None


def _own_records(dataset: Dataset, paths: Iterable[Path]) -> dict[str, Located]:
    resolved = {path.resolve() for path in paths}
    return {record_id: located for record_id, located in dataset.records.items()
            if located.path.resolve() in resolved}


def merge_into_data(data_dir: Path, batch: Batch, *, dry_run: bool = False) -> MergeReport:
    """Merge ``batch`` into ``data_dir`` (see the module docstring); with ``dry_run``, report only."""
    dataset = load_dataset(data_dir)
    records_path, sources_path = ingested_paths(data_dir, batch.name)
    own = _own_records(dataset, (records_path, sources_path))
    kept: dict[str, tuple[str, Record]] = {rid: (loc.kind, loc.record) for rid, loc in own.items()}
    report = MergeReport()
    proposed = [("sources", source) for source in batch.sources] + batch.records
    for kind, record in proposed:
        existing = dataset.records.get(record.id)
        if existing is None:
            kept[record.id] = (kind, record)
            report.added.append(record.id)
        elif existing.kind != kind:
            raise InputError(f"'{record.id}' would be a {kind[:-1]} but is a {existing.kind[:-1]} in "
                             f"{existing.path}:{existing.line}")
        elif record.id in own:
            merged = merge_records(existing.record, record)
            kept[record.id] = (kind, merged)
            (report.updated if merged != existing.record else report.unchanged).append(record.id)
        else:
            report.unchanged.append(record.id)
            if kind != "sources":
                differing = _differing_facts(existing.record, record)
                report.kept_curated.append(KeptCurated(record.id, f"{existing.path}:{existing.line}", differing))
    by_file: dict[Path, dict[str, list[Record]]] = {records_path: {}, sources_path: {}}
    for kind, record in kept.values():
        target = sources_path if kind == "sources" else records_path
        by_file[target].setdefault(kind, []).append(record)
    texts = {path: _yaml_text(batch.origin, {kind: kinds.get(kind, []) for kind in KINDS})
             for path, kinds in by_file.items() if kinds or path.exists()}
    changed = {path: text for path, text in texts.items()
               if not path.exists() or path.read_text(encoding="utf-8") != text}
    if not changed:
        return report
    _validate_with(data_dir, changed)
    if dry_run:
        report.would_write = sorted(changed)
        return report
    for path in (sources_path, records_path):  # sources first: a record never cites a missing source
        if path in changed:
            write_text_atomic(path, changed[path])
            report.written.append(path)
    return report
