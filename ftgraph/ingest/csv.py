"""A researcher's table (CSV) to records, through a small declarative column mapping.

The mapping (YAML) names the output, the record kind, and where each field comes from::

    name: startups-grenoble              # data/ingested/startups-grenoble.yaml
    kind: organisations                  # organisations | people | places
    encoding: utf-8                      # optional (else detected, and reported)
    delimiter: ";"                       # optional (else detected, and reported)
    fields:
      name: Nom                          # a column ...
      type: {value: startup}             # ... or a constant
      city: {column: Ville, lookup: places}          # a name (or id) resolved to an existing id
      founded: {column: Création, date_format: ["%d/%m/%Y", "%m/%Y", "%Y"]}
      sectors: {column: Secteur, split: ","}
    roles:                               # optional: ties of the row's entity to organisations
      - {organisation: {column: Écosystème, lookup: organisations}, role: role-member}
    source:                              # every row's facts come from the row's source
      url: URL source
      title: Titre source
      publisher: Éditeur
      date: {column: Date, date_format: "%d/%m/%Y"}
      type: {value: article}

Rows are matched to existing records on ``wikidata`` / ``siren``, then on names (accent- and
case-insensitive), then get the slug of their name as id. Errors name the row, its line and the column.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import charset_normalizer
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from ftgraph.errors import DataError, DataErrors
from ftgraph.ingest.common import Batch, EntityIndex, InputError, read_yaml, slugify
from ftgraph.progress import Progress
from ftgraph.records import ID_PATTERN, KINDS, Id, Record, Role, Source

EntityKind = Literal["organisations", "people", "places"]
_CANDIDATE_DELIMITERS = ",;\t|"
_NAMED_DELIMITERS = {"tab": "\t", "\\t": "\t"}  # what a shell lets one type for a tab
_WHITESPACE = re.compile(r"\s+")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rule(_Strict):
    """Where a field's value comes from: a ``column`` (optionally split, parsed as a date, or looked up
    among existing entities) or a constant ``value``."""

    column: str | None = None
    value: Any = None
    split: str | None = None
    lookup: EntityKind | None = None
    date_format: str | list[str] | None = None  # strptime formats, tried in order

    @model_validator(mode="before")
    @classmethod
    def _column_shorthand(cls, data: Any) -> Any:
        return {"column": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _one_origin(self) -> Rule:
        if (self.column is None) == (self.value is None):
            raise ValueError("give exactly one of 'column' or 'value'")
        return self


class RoleRule(_Strict):
    organisation: Rule
    role: Id
    title: Rule | None = None
    start: Rule | None = None


class SourceRules(_Strict):
    url: Rule
    title: Rule
    publisher: Rule
    date: Rule
    type: Rule = Rule(value="webpage")


class Mapping(_Strict):
    name: Id
    kind: EntityKind
    encoding: str | None = None
    delimiter: str | None = None
    id: Rule | None = None
    fields: dict[str, Rule]
    roles: list[RoleRule] = []
    source: SourceRules

    @field_validator("fields")
    @classmethod
    def _known_fields(cls, fields: dict[str, Rule]) -> dict[str, Rule]:
        if "name" not in fields:
            raise ValueError("'name' must be mapped")
        for reserved in ("id", "sources"):
            if reserved in fields:
                raise ValueError(f"'{reserved}' is not mapped under 'fields' (see the 'id' and 'source' keys)")
        return fields

    @model_validator(mode="after")
    def _fields_of_kind(self) -> Mapping:
        known = KINDS[self.kind].model_fields
        unknown = [name for name in self.fields if name not in known]
        if unknown:
            raise ValueError(f"fields not in the {self.kind} schema: {', '.join(unknown)} "
                             f"(known: {', '.join(n for n in known if n not in ('id', 'sources'))})")
        return self

    def columns(self) -> list[str]:
        rules = [self.id, *self.fields.values(), *vars(self.source).values()]
        for role in self.roles:
            rules += [role.organisation, role.title, role.start]
        return list(dict.fromkeys(rule.column for rule in rules if rule is not None and rule.column))


def read_mapping(path: Path) -> Mapping:
    """Read and check a mapping file."""
    raw = read_yaml(path)
    try:
        return Mapping.model_validate(raw)
    except ValidationError as exc:
        raise DataErrors([DataError(str(path), issue["msg"].removeprefix("Value error, "),
                                    field=".".join(str(part) for part in issue["loc"]) or None)
                          for issue in exc.errors()]) from None


@dataclass(frozen=True)
class Table:
    """A decoded CSV table and how it was read."""

    header: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (line of the row's end in the file, cells by column)
    encoding: str
    encoding_detected: bool
    delimiter: str
    delimiter_detected: bool

    def describe(self) -> str:
        how = ("detected" if self.encoding_detected else "given", "detected" if self.delimiter_detected else "given")
        return (f"{len(self.rows)} rows, encoding {self.encoding} ({how[0]}), "
                f"delimiter {self.delimiter!r} ({how[1]})")


def decode(raw: bytes, path: Path, encoding: str | None) -> tuple[str, str, bool]:
    """(text, encoding, detected): the given encoding, else UTF-8 when the bytes are valid UTF-8, else the
    best guess of charset-normalizer; an undecodable file is an error, never read with replacements."""
    if encoding:
        try:
            return raw.decode(encoding), encoding, False
        except LookupError:
            raise InputError(f"{path}: unknown encoding {encoding!r}") from None
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise InputError(f"{path}:{line}: not {encoding} text ({exc.reason} at byte {exc.start}); "
                             "give the right --encoding") from None
    try:
        return raw.decode("utf-8-sig"), "utf-8", True
    except UnicodeDecodeError:
        pass
    guess = charset_normalizer.from_bytes(raw).best()
    if guess is None:
        raise InputError(f"{path}: cannot detect the text encoding; give it with --encoding")
    return str(guess), guess.encoding, True


def read_table(path: Path, encoding: str | None = None, delimiter: str | None = None) -> Table:
    """Decode and split a CSV file; rows whose number of cells differs from the header's are errors."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    text, used_encoding, encoding_detected = decode(raw, path, encoding)
    delimiter = _NAMED_DELIMITERS.get(delimiter, delimiter) if delimiter is not None else None
    if delimiter is not None and len(delimiter) != 1:
        raise InputError(f"delimiter {delimiter!r}: one character is expected (or 'tab')")
    delimiter_detected = delimiter is None
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(text[:65536], delimiters=_CANDIDATE_DELIMITERS).delimiter
        except csv.Error:
            raise InputError(f"{path}: cannot detect the delimiter (tried {_CANDIDATE_DELIMITERS!r}); "
                             "give it with --delimiter") from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [cell.strip() for cell in next(reader)]
    except StopIteration:
        raise InputError(f"{path}: empty file, a header row is expected") from None
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise InputError(f"{path}:1: duplicate column names in the header: {', '.join(duplicates)}")
    rows: list[tuple[int, dict[str, str]]] = []
    errors: list[DataError] = []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            errors.append(DataError(str(path), f"{len(cells)} cells where the header has {len(header)} "
                                    f"(delimiter {delimiter!r})", record=f"row {len(rows) + len(errors) + 1}",
                                    line=reader.line_num))
            continue
        rows.append((reader.line_num, dict(zip(header, cells, strict=True))))
    if errors:
        raise DataErrors(errors)
    return Table(header, rows, used_encoding, encoding_detected, delimiter, delimiter_detected)


class _CellError(Exception):
    def __init__(self, column: str | None, message: str) -> None:
        super().__init__(message)
        self.column = column


def _date(text: str, date_format: str) -> str:
    """A cell parsed with ``date_format``, kept at the precision the format gives (day, month or year)."""
    parsed = dt.datetime.strptime(text, date_format).date()
    if "%d" in date_format or "%j" in date_format:
        return parsed.isoformat()
    if any(directive in date_format for directive in ("%m", "%b", "%B")):
        return parsed.strftime("%Y-%m")
    return parsed.strftime("%Y")


class _RowReader:
    """Applies a mapping's rules to one row."""

    def __init__(self, mapping: Mapping, index: EntityIndex, cells: dict[str, str]) -> None:
        self.mapping, self.index, self.cells = mapping, index, cells

    def value(self, rule: Rule, field_name: str) -> Any:
        if rule.value is not None:
            return rule.value
        assert rule.column is not None
        text = self.cells[rule.column].strip()
        if not text:
            return None
        parts = [part.strip() for part in text.split(rule.split)] if rule.split else [text]
        values = [self._one(rule, field_name, part) for part in parts if part]
        return values if rule.split else values[0]

    def _one(self, rule: Rule, field_name: str, text: str) -> Any:
        if field_name == "siren":
            text = _WHITESPACE.sub("", text)
        if rule.date_format:
            formats = [rule.date_format] if isinstance(rule.date_format, str) else rule.date_format
            for date_format in formats:
                try:
                    return _date(text, date_format)
                except ValueError:
                    continue
            raise _CellError(rule.column, f"{text!r} does not match the date format(s) {', '.join(formats)}")
        if rule.lookup:
            return self._lookup(rule, text)
        return text

    def _lookup(self, rule: Rule, text: str) -> str:
        assert rule.lookup is not None
        if re.fullmatch(ID_PATTERN, text) and self.index.kinds.get(text) == rule.lookup:
            return text
        candidates = self.index.by_name(text, [rule.lookup])
        ids = list(dict.fromkeys(candidate.id for candidate in candidates))
        if not ids:
            raise _CellError(rule.column,
                             f"no {rule.lookup[:-1]} named {text!r} in data/ (add it first, or give its id)")
        primary = [candidate.id for candidate in candidates if candidate.primary]
        if len(ids) > 1 and len(primary) != 1:
            raise _CellError(rule.column, f"{text!r} names several {rule.lookup}: {', '.join(ids)} (give the id)")
        return primary[0] if len(ids) > 1 else ids[0]


def _column_of(mapping: Mapping, field_name: str) -> str | None:
    rule = mapping.fields.get(field_name)
    return rule.column if rule is not None else None


def _validate(model: type[Record], raw: dict[str, Any], columns: dict[str, str | None]) -> Record:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        issue = exc.errors()[0]
        field_name = str(issue["loc"][0]) if issue["loc"] else ""
        message = "required field is missing" if issue["type"] == "missing" else issue["msg"]
        column = columns.get(field_name)
        where = f"(field '{field_name}'{', a constant of the mapping' if column is None else ''})"
        raise _CellError(column, f"{message.removeprefix('Value error, ')} {where}") from None


class CsvLoader:
    """Turns the rows of one table into a :class:`Batch`, resolving ids against ``index``."""

    def __init__(self, mapping: Mapping, index: EntityIndex, origin: str) -> None:
        self.mapping = mapping
        self.index = index
        self.batch = Batch(mapping.name, origin)
        self.first_row_of: dict[str, int] = {}
        self.sources_by_url: dict[str, tuple[Source, int]] = {}

    def row(self, number: int, cells: dict[str, str]) -> None:
        reader = _RowReader(self.mapping, self.index, cells)
        source = self._source(number, reader)
        values = {name: reader.value(rule, name) for name, rule in self.mapping.fields.items()}
        raw = {name: value for name, value in values.items() if value is not None}
        model = KINDS[self.mapping.kind]
        record_id = self._record_id(reader, raw)
        raw.update(id=record_id, sources=[source.id])
        columns = {name: rule.column for name, rule in self.mapping.fields.items()}
        record = _validate(model, raw, columns)
        first = self.first_row_of.setdefault(record.id, number)
        if first != number:
            raise _CellError(_column_of(self.mapping, "name"), f"same entity '{record.id}' as row {first}")
        self.batch.add(self.mapping.kind, record)
        self.index.add(self.mapping.kind, record)
        for role_rule in self.mapping.roles:
            self._roles(reader, role_rule, record.id, source.id)

    def _record_id(self, reader: _RowReader, raw: dict[str, Any]) -> str:
        given = reader.value(self.mapping.id, "id") if self.mapping.id else None
        name = raw.get("name")
        if not isinstance(name, str):
            raise _CellError(_column_of(self.mapping, "name"), "required field is missing (field 'name')")
        if given is not None:
            if not re.fullmatch(ID_PATTERN, str(given)):
                raise _CellError(self.mapping.id.column if self.mapping.id else None,
                                 f"{given!r} is not an id (lower-case ASCII words joined by '-')")
            taken_as = self.index.kinds.get(str(given))
            if taken_as not in (None, self.mapping.kind):
                raise _CellError(self.mapping.id.column if self.mapping.id else None,
                                 f"'{given}' is already the id of a {taken_as[:-1]}")
            return str(given)
        identifiers: dict[str, str] = {key: str(raw[key]) for key in ("wikidata", "siren") if key in raw}
        record_id, homonyms = self.index.resolve(self.mapping.kind, name, identifiers, raw.get("type"))
        if homonyms:
            raw["distinct_from"] = [*raw.get("distinct_from", []), *homonyms]
        return record_id

    def _source(self, number: int, reader: _RowReader) -> Source:
        rules = self.mapping.source
        raw = {name: reader.value(rule, name) for name, rule in vars(rules).items()}
        columns = {name: rule.column for name, rule in vars(rules).items()}
        url = raw.get("url")
        if not url:
            raise _CellError(rules.url.column, "every row needs the URL of its source")
        if url in self.sources_by_url:
            source, first = self.sources_by_url[url]
            for name, value in raw.items():
                if value is not None and name != "url" and getattr(source, name) != value:
                    raise _CellError(columns[name], f"same source URL as row {first} but another {name}: "
                                                    f"{value!r} (row {first}: {getattr(source, name)!r})")
            return source
        source_id = self.index.source_by_url.get(str(url))
        if source_id is None:
            label = " ".join(str(raw.get(key) or "") for key in ("publisher", "date", "title"))
            source_id = self.index.free_id(slugify(label))
        candidate = _validate(Source, {"id": source_id, **{k: v for k, v in raw.items() if v is not None}}, columns)
        assert isinstance(candidate, Source)
        self.sources_by_url[str(url)] = (candidate, number)
        self.index.add("sources", candidate)
        self.batch.add_source(candidate)
        return candidate

    def _roles(self, reader: _RowReader, rule: RoleRule, member: str, source_id: str) -> None:
        organisations = reader.value(rule.organisation, "organisation")
        for organisation in organisations if isinstance(organisations, list) else [organisations]:
            if organisation is None:
                continue
            raw: dict[str, Any] = {
                "id": self.index.role_id(member, rule.role, organisation),
                "member": member, "organisation": organisation, "role": rule.role, "sources": [source_id],
                "title": reader.value(rule.title, "title") if rule.title else None,
                "start": reader.value(rule.start, "start") if rule.start else None,
            }
            columns = {"organisation": rule.organisation.column, "title": rule.title.column if rule.title else None,
                       "start": rule.start.column if rule.start else None}
            role = _validate(Role, {key: value for key, value in raw.items() if value is not None}, columns)
            self.batch.add("roles", role)


def load_csv(path: Path, mapping: Mapping, index: EntityIndex, *, encoding: str | None = None,
             delimiter: str | None = None, progress: Progress | None = None) -> tuple[Batch, Table]:
    """Read ``path`` with ``mapping`` into a batch; every bad cell is reported (row, line, column)."""
    table = read_table(path, encoding or mapping.encoding, delimiter or mapping.delimiter)
    missing = [column for column in mapping.columns() if column not in table.header]
    if missing:
        raise InputError(f"{path}:1: the mapping's columns {', '.join(map(repr, missing))} are not in the header "
                         f"{table.header} (read with delimiter {table.delimiter!r})")
    loader = CsvLoader(mapping, index, origin=f"the table {path.name} (mapping '{mapping.name}')")
    errors = []
    rows = enumerate(table.rows, start=1)
    for number, (line, cells) in progress.iterate(rows, "rows", len(table.rows)) if progress else rows:
        try:
            loader.row(number, cells)
        except _CellError as exc:
            errors.append(DataError(str(path), str(exc), record=f"row {number}", field=exc.column, line=line))
    if errors:
        raise DataErrors(errors)
    return loader.batch, table
