"""Read ``data/**/*.yaml`` into validated records, with errors that name file, line, record and field."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ftgraph.errors import DataError, DataErrors
from ftgraph.records import (
    KINDS,
    Award,
    Claim,
    Concept,
    Entity,
    Event,
    Organisation,
    Place,
    Record,
    Role,
    Source,
    claims_of,
    preferred_value,
)
from ftgraph.text import normalise_name

SOURCES_DIR = "sources"


class _LineMap(dict[str, Any]):
    """A YAML mapping that remembers the line of each key (1-based)."""

    line: int
    key_lines: dict[str, int]


class _LineList(list[Any]):
    line: int
    item_lines: list[int]


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML loader (libyaml's parser when available) that keeps line numbers and refuses duplicate keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        mapping = _LineMap()
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                raise yaml.constructor.ConstructorError(
                    None, None, f"keys must be text, found {key!r}", key_node.start_mark
                )
            if key in mapping:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key '{key}'", key_node.start_mark
                )
            mapping[key] = self.construct_object(value_node, deep=True)
            mapping.key_lines[key] = key_node.start_mark.line + 1
        return mapping

    def construct_sequence(self, node: yaml.SequenceNode, deep: bool = False) -> list[Any]:
        sequence = _LineList(self.construct_object(child, deep=True) for child in node.value)
        sequence.line = node.start_mark.line + 1
        sequence.item_lines = [child.start_mark.line + 1 for child in node.value]
        return sequence


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Loader.construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _Loader.construct_sequence)


@dataclass(frozen=True)
class Located:
    """A record and where it was written."""

    record: Record
    kind: str
    path: Path
    line: int
    raw: Any = field(repr=False, compare=False)

    def error(self, field_path: Sequence[str | int], message: str) -> DataError:
        return DataError(
            str(self.path), message, record=self.record.id, field=_dotted(field_path),
            line=_line_of(self.raw, field_path) or self.line,
        )


@dataclass
class Dataset:
    """Every curated record, by id, with its location."""

    records: dict[str, Located] = field(default_factory=dict)

    def of_kind(self, kind: str) -> Iterator[Located]:
        return (located for located in self.records.values() if located.kind == kind)

    def get(self, record_id: str) -> Record:
        return self.records[record_id].record

    def __len__(self) -> int:
        return len(self.records)


def _dotted(field_path: Sequence[str | int]) -> str:
    out = ""
    for part in field_path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _line_of(raw: Any, field_path: Sequence[str | int]) -> int | None:
    """Best line for a field path inside a raw YAML record."""
    line = getattr(raw, "line", None)
    node = raw
    for part in field_path:
        if isinstance(node, _LineMap) and isinstance(part, str) and part in node:
            line = node.key_lines[part]
            node = node[part]
        elif isinstance(node, _LineList) and isinstance(part, int) and part < len(node):
            line = node.item_lines[part]
            node = node[part]
        else:
            break
    return line


def data_files(data_dir: Path) -> list[Path]:
    """Every YAML file under ``data_dir``, in a stable order."""
    if not data_dir.is_dir():
        raise DataErrors([DataError(str(data_dir), "data directory not found")])
    return sorted(p for p in data_dir.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def _read_file(path: Path) -> tuple[list[Located], list[DataError]]:
    errors: list[DataError] = []
    located: list[Located] = []
    try:
        content = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except UnicodeDecodeError as exc:
        return [], [DataError(str(path), f"not UTF-8 text: {exc.reason} at byte {exc.start}")]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or str(exc)
        return [], [DataError(str(path), f"malformed YAML: {problem}", line=line)]
    except yaml.YAMLError as exc:
        return [], [DataError(str(path), f"malformed YAML: {exc}")]
    if content is None:
        return [], []
    if not isinstance(content, _LineMap):
        return [], [DataError(str(path), "the file must be a mapping of record kinds (sources:, places:, ...)", line=1)]
    for kind, items in content.items():
        kind_line = content.key_lines[kind]
        if kind not in KINDS:
            errors.append(DataError(
                str(path), f"unknown record kind '{kind}' (expected one of: {', '.join(KINDS)})", line=kind_line
            ))
            continue
        if kind == "sources" and path.parent.name != SOURCES_DIR:
            message = f"sources are declared only in data/{SOURCES_DIR}/*.yaml"
            errors.append(DataError(str(path), message, line=kind_line))
            continue
        if not isinstance(items, _LineList):
            errors.append(DataError(str(path), f"'{kind}' must be a list of records", line=kind_line))
            continue
        for index, raw in enumerate(items):
            line = items.item_lines[index]
            record_id = raw.get("id") if isinstance(raw, dict) else None
            if not isinstance(raw, _LineMap):
                errors.append(DataError(str(path), f"{kind}[{index}] must be a mapping of fields", line=line))
                continue
            try:
                record = KINDS[kind].model_validate(raw)
            except ValidationError as exc:
                for issue in exc.errors():
                    if not _relevant_branch(raw, issue["loc"]):
                        continue
                    loc = [part for part in issue["loc"] if not _is_union_branch(part)]
                    message = issue["msg"].removeprefix("Value error, ")
                    if issue["type"] == "extra_forbidden":
                        message = f"unknown field (not in the {kind} schema, see docs/data-format.md)"
                    elif issue["type"] == "missing":
                        message = "required field is missing"
                    errors.append(DataError(
                        str(path), message, record=str(record_id) if record_id else f"{kind}[{index}]",
                        field=_dotted(loc) or None, line=_line_of(raw, loc) or line,
                    ))
                continue
            located.append(Located(record, kind, path, line, raw))
    return located, _dedupe(errors)


def _is_union_branch(part: str | int) -> bool:
    """Pydantic names union branches in error locations ('Claim', 'list[Claim]', 'function-before[...]')."""
    return isinstance(part, str) and ("[" in part or part == "Claim")


def _relevant_branch(raw: Any, loc: tuple[str | int, ...]) -> bool:
    """For a sourced field, report only the errors of the form the curator used (value, mapping or list)."""
    node = raw
    for part in loc:
        if _is_union_branch(part):
            if isinstance(node, dict):
                return part == "Claim"
            if isinstance(node, list):
                return str(part).startswith("list[")
            return part != "Claim" and not str(part).startswith("list[")
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return True
    return True


def _dedupe(errors: list[DataError]) -> list[DataError]:
    """One error per (record, field): a union failing on each branch would otherwise repeat itself."""
    seen: dict[tuple[str | None, str | None, str], DataError] = {}
    for error in errors:
        seen.setdefault((error.record, error.field, error.path), error)
    return list(seen.values())


# Which kinds each reference may point to, and (for concepts) which scheme.
_AGENT = ("people", "organisations")


def _references(located: Located) -> Iterable[tuple[list[str | int], str, tuple[str, ...], str | None]]:
    """(field path, referenced id, allowed kinds, required concept scheme) for every reference."""
    record = located.record
    for index, source_id in enumerate(getattr(record, "sources", [])):
        yield ["sources", index], source_id, ("sources",), None
    for name in type(record).model_fields:
        value = getattr(record, name)
        if isinstance(value, list) and value and isinstance(value[0], Claim):
            for index, claim in enumerate(value):
                for source_index, source_id in enumerate(claim.sources):
                    yield [name, index, "sources", source_index], source_id, ("sources",), None
        elif isinstance(value, Claim):
            for source_index, source_id in enumerate(value.sources):
                yield [name, "sources", source_index], source_id, ("sources",), None
    for index, other in enumerate(getattr(record, "distinct_from", [])):
        yield ["distinct_from", index], other, (located.kind,), None
    match record:
        case Place():
            if record.within:
                yield ["within"], record.within, ("places",), None
        case Organisation():
            for path, target_id in _claimed_ids(record, "city"):
                yield path, target_id, ("places",), None
            if record.territory:
                yield ["territory"], record.territory, ("places",), None
            if record.flagship:
                yield ["flagship"], record.flagship, ("places", "organisations"), None
            for path, target_id in _claimed_ids(record, "replaced_by"):
                yield path, target_id, ("organisations",), None
        case Role():
            yield ["member"], record.member, _AGENT, None
            yield ["organisation"], record.organisation, ("organisations",), None
            yield ["role"], record.role, ("concepts",), "roles"
        case Event():
            if record.place:
                yield ["place"], record.place, ("places",), None
            for index, participant in enumerate(record.participants):
                yield ["participants", index, "agent"], participant.agent, _AGENT, None
                yield ["participants", index, "role"], participant.role, ("concepts",), "event-roles"
            for index, about in enumerate(record.about):
                yield ["about", index], about, tuple(KINDS), None
            if record.candidate:
                yield ["candidate"], record.candidate, ("organisations",), None
            if record.call:
                yield ["call"], record.call, ("events",), None
            if record.outcome:
                yield ["outcome"], record.outcome, ("concepts",), "outcomes"
            for index, criterion in enumerate(record.criteria):
                yield ["criteria", index], criterion, ("concepts",), "criteria"
            if record.label:
                yield ["label"], record.label, ("concepts",), None
        case Award():
            yield ["label"], record.label, ("concepts",), None
            yield ["awardee"], record.awardee, ("organisations",), None
            if record.decision:
                yield ["decision"], record.decision, ("events",), None
            if record.candidacy:
                yield ["candidacy"], record.candidacy, ("events",), None
        case Concept():
            if record.broader:
                yield ["broader"], record.broader, ("concepts",), None


def _a(noun: str) -> str:
    """The noun with its indefinite article, for messages."""
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


def _claimed_ids(record: Record, field: str) -> Iterator[tuple[list[str | int], str]]:
    """The ids a sourced id field refers to, each with the path of the value in the record."""
    value = getattr(record, field)
    for index, claim in enumerate(claims_of(value)):
        yield ([field, index, "value"] if isinstance(value, list) else [field]), claim.value


def _check_references(dataset: Dataset) -> list[DataError]:
    errors = []
    for located in dataset.records.values():
        for path, target_id, kinds, scheme in _references(located):
            target = dataset.records.get(target_id)
            if target is None:
                errors.append(located.error(path, f"unknown reference '{target_id}' (no record has this id)"))
            elif target.kind not in kinds:
                errors.append(located.error(
                    path, f"'{target_id}' is {_a(target.kind[:-1])}, expected {' or '.join(_a(k[:-1]) for k in kinds)}"
                ))
            elif scheme and isinstance(target.record, Concept) and target.record.scheme != scheme:
                errors.append(located.error(
                    path, f"'{target_id}' is a concept of the '{target.record.scheme}' scheme, expected '{scheme}'"
                ))
    return errors


def _check_duplicate_names(dataset: Dataset) -> list[DataError]:
    """Two ids of the same kind and type whose names (or alternative names) are equal once accents, case
    and punctuation are removed are one entity twice, unless a record declares them ``distinct_from``."""
    errors = []
    seen: dict[tuple[str, str, str], Located] = {}
    for located in dataset.records.values():
        record = located.record
        if not isinstance(record, Entity):
            continue
        kind_type = (located.kind, str(getattr(record, "type", "")))
        for name in dict.fromkeys(normalise_name(n) for n in (record.name, *record.alt_names)):
            first = seen.setdefault((*kind_type, name), located)
            other = first.record
            if first is located or not isinstance(other, Entity):
                continue
            if other.id in record.distinct_from or record.id in other.distinct_from:
                continue
            errors.append(located.error(["name"], (
                f"'{name}' is also a name of '{other.id}' ({first.path}:{first.line}): reuse that id, or declare "
                f"'distinct_from: [{other.id}]' if they are different")))
    return errors


def _check_consistency(dataset: Dataset) -> list[DataError]:
    """Rules across fields of one record: intervals in order, unique source URLs."""
    errors = []
    for located in dataset.records.values():
        record = located.record
        for start_name, end_name in (("start", "end"), ("date", "end"), ("valid_from", "valid_to")):
            start = preferred_value(getattr(record, start_name, None))
            end = preferred_value(getattr(record, end_name, None))
            if start and end and _as_bounds(end)[1] < _as_bounds(start)[0]:
                errors.append(located.error([end_name], f"'{end_name}' {end} is before '{start_name}' {start}"))
    errors += _check_successions(dataset)
    by_url: dict[str, Located] = {}
    for located in dataset.of_kind("sources"):
        assert isinstance(located.record, Source)
        first = by_url.setdefault(located.record.url, located)
        if first is not located:
            errors.append(located.error(
                ["url"], f"same URL as source '{first.record.id}' ({first.path}:{first.line}): declare it once"
            ))
    return errors


def _check_successions(dataset: Dataset) -> list[DataError]:
    """``replaced_by`` chains end: an organisation never succeeds itself, directly or through others."""
    successor = {
        located.record.id: preferred_value(located.record.replaced_by)
        for located in dataset.of_kind("organisations")
        if isinstance(located.record, Organisation) and located.record.replaced_by
    }
    errors = []
    for record_id in sorted(successor):
        chain = [record_id]
        while (following := successor.get(chain[-1])) and following not in chain:
            chain.append(following)
        if following == record_id:
            cycle = " → ".join([*chain, record_id])
            errors.append(dataset.records[record_id].error(["replaced_by"], f"succession cycle: {cycle}"))
    return errors


def _as_bounds(partial: str) -> tuple[str, str]:
    """Earliest and latest full dates a partial date can stand for, as sortable strings."""
    parts = partial.split("-")
    low = "-".join([*parts, *["01"] * (3 - len(parts))])
    high = "-".join([*parts, *["12", "31"][len(parts) - 1:]]) if len(parts) < 3 else partial
    return low, high


def load_dataset(data_dir: Path) -> Dataset:
    """Read and validate every record; raise :class:`DataErrors` listing every problem found."""
    dataset = Dataset()
    errors: list[DataError] = []
    for path in data_files(data_dir):
        located_records, file_errors = _read_file(path)
        errors.extend(file_errors)
        for located in located_records:
            first = dataset.records.setdefault(located.record.id, located)
            if first is not located:
                errors.append(located.error(
                    ["id"], f"duplicate id '{located.record.id}' (first defined at {first.path}:{first.line})"
                ))
    if not errors:
        errors = _check_references(dataset) + _check_consistency(dataset) + _check_duplicate_names(dataset)
    if errors:
        raise DataErrors(errors)
    return dataset
