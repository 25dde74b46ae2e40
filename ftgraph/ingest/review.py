"""The review file: what the article loader proposes, row by row, for a curator to accept, reject or fix.

One YAML file holds one or more articles; each article has its source record and its rows:

- ``fact: entity`` rows: a person, organisation or place the article names, with the mentions as
  evidence (character offsets of the mention and of its sentence in the article's text). ``id`` is the
  existing entity it was linked to (``match: known name | exact | fuzzy``) or a proposed new id
  (``match: new``, with a guessed ``type``). Fix a wrong link by changing ``id``.
- ``fact: role | city | founded`` rows: a fact a sentence states, between entity rows (``member``,
  ``organisation``, ``place`` hold row keys such as ``e3``).

Every row starts ``decision: pending``. ``ftgraph ingest accept`` merges the rows set to ``accept`` into
``data/ingested/articles.yaml`` (and the sources into ``data/sources/ingested-articles.yaml``): new
entities, roles, and the ``city`` / ``founded`` of organisations (in sourced form, citing the article).
A fact row needs its entity rows accepted too. Facts about an entity curated elsewhere are reported,
never written into the curators' files. Accepting the same file again changes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ftgraph.atomic import write_text_atomic
from ftgraph.errors import DataError, DataErrors
from ftgraph.ingest.article import Analysis, Fact, Mention
from ftgraph.ingest.common import (
    Batch,
    EntityIndex,
    InputError,
    MergeReport,
    dump_yaml,
    merge_into_data,
    read_yaml,
    record_dict,
    slugify,
)
from ftgraph.loader import Dataset, load_dataset
from ftgraph.records import KINDS, Id, PartialDate, Role, Source, Text

FORMAT: Literal["ftgraph-review/1"] = "ftgraph-review/1"
INGESTED_NAME = "articles"
Decision = Literal["pending", "accept", "reject"]
EntityKind = Literal["people", "organisations", "places"]
_HEADER = """\
# Review file written by `ftgraph ingest article`. For each row, set `decision` to accept or reject
# (fix the values first if needed: an entity row's `id` is the entity it stands for, an existing id or a
# new one), then merge the accepted rows into data/ with: ftgraph ingest accept THIS_FILE
# Evidence offsets are character offsets in the article's text (for HTML: its extracted text).
"""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Evidence(_Strict):
    sentence: tuple[int, int]
    mention: tuple[int, int] | None = None
    quote: str


class EntityRow(_Strict):
    row: str
    fact: Literal["entity"]
    decision: Decision
    kind: EntityKind
    id: Id
    name: Text
    type: str | None = None
    match: Literal["known name", "exact", "fuzzy", "new"]
    score: float | None = None
    candidates: list[Id] = []
    dates: list[PartialDate] = []
    evidence: list[Evidence]


class RoleRow(_Strict):
    row: str
    fact: Literal["role"]
    decision: Decision
    member: str
    organisation: str
    role: Id
    title: Text | None = None
    start: PartialDate | None = None
    evidence: Evidence


class CityRow(_Strict):
    row: str
    fact: Literal["city"]
    decision: Decision
    organisation: str
    place: str
    evidence: Evidence


class FoundedRow(_Strict):
    row: str
    fact: Literal["founded"]
    decision: Decision
    organisation: str
    date: PartialDate
    evidence: Evidence


Row = Annotated[EntityRow | RoleRow | CityRow | FoundedRow, Field(discriminator="fact")]


class ArticleReview(_Strict):
    file: str
    source: Source
    rows: list[Row]


class Review(_Strict):
    format: Literal["ftgraph-review/1"]
    articles: list[ArticleReview]


def _evidence(text: str, sentence: tuple[int, int], mention: tuple[int, int] | None = None) -> Evidence:
    return Evidence(sentence=sentence, mention=mention, quote=" ".join(text[sentence[0]:sentence[1]].split()))


def _entity_row(key: str, analysis: Analysis, mentions: list[Mention], index: EntityIndex) -> EntityRow:
    first = mentions[0]
    text = analysis.article.text
    dates = list(dict.fromkeys(date for mention in mentions for date in analysis.dates_near(mention)))
    entity_id = first.entity_id or index.free_id(slugify(first.text))
    return EntityRow(row=key, fact="entity", decision="pending", kind=first.kind, id=entity_id,  # type: ignore[arg-type]
                     name=first.text,
                     type=first.type, match=first.method, score=first.score,  # type: ignore[arg-type]
                     candidates=list(first.candidates[1:]) if first.entity_id else [], dates=dates,
                     evidence=[_evidence(text, m.sentence, (m.start, m.end)) for m in mentions])


def _fact_row(key: str, fact: Fact, row_of: dict[int, str], text: str) -> Row:
    evidence = _evidence(text, fact.sentence)
    if fact.kind == "role":
        assert fact.member is not None and fact.organisation is not None and fact.role
        return RoleRow(row=key, fact="role", decision="pending", member=row_of[fact.member],
                       organisation=row_of[fact.organisation], role=fact.role, title=fact.title, start=fact.date,
                       evidence=evidence)
    assert fact.organisation is not None
    if fact.kind == "city":
        assert fact.place is not None
        return CityRow(row=key, fact="city", decision="pending", organisation=row_of[fact.organisation],
                       place=row_of[fact.place], evidence=evidence)
    assert fact.date is not None
    return FoundedRow(row=key, fact="founded", decision="pending", organisation=row_of[fact.organisation],
                      date=fact.date, evidence=evidence)


def article_review(analysis: Analysis, index: EntityIndex) -> ArticleReview:
    """The rows proposed for one analysed article: one per entity it names, one per fact."""
    groups: dict[tuple[str, str], list[int]] = {}
    for position, mention in enumerate(analysis.mentions):
        groups.setdefault(mention.key, []).append(position)
    rows: list[Row] = []
    row_of: dict[int, str] = {}
    for number, positions in enumerate(groups.values(), start=1):
        key = f"e{number}"
        rows.append(_entity_row(key, analysis, [analysis.mentions[p] for p in positions], index))
        row_of.update(dict.fromkeys(positions, key))
    facts: dict[tuple[Any, ...], Row] = {}
    for fact in analysis.facts:
        fact_row = _fact_row(f"f{len(facts) + 1}", fact, row_of, analysis.article.text)
        identity = tuple(fact_row.model_dump(exclude={"row", "evidence", "title", "start"}).items())
        first = facts.setdefault(identity, fact_row)
        if isinstance(first, RoleRow) and isinstance(fact_row, RoleRow) and first is not fact_row:
            first.title, first.start = first.title or fact_row.title, first.start or fact_row.start
    rows += facts.values()
    return ArticleReview(file=str(analysis.article.path), source=analysis.article.source(index), rows=rows)


def write_review(path: Path, articles: list[ArticleReview], *, overwrite: bool = False) -> None:
    """Write a review file (never over a file a curator may have edited, unless ``overwrite``)."""
    if path.exists() and not overwrite:
        raise InputError(f"{path} exists (a curator may have edited it): choose another file or give --force")
    review = Review(format=FORMAT, articles=articles)
    body = dump_yaml(review.model_dump(mode="json", exclude_defaults=True))
    write_text_atomic(path, _HEADER + body)


def read_review(path: Path) -> Review:
    raw = read_yaml(path)
    try:
        return Review.model_validate(raw)
    except ValidationError as exc:
        errors = []
        for issue in exc.errors():
            loc = list(issue["loc"])
            record = None
            if len(loc) >= 4 and loc[0] == "articles" and loc[2] == "rows" and isinstance(raw, dict):
                try:
                    record = f"article {loc[1]}, row {raw['articles'][loc[1]]['rows'][loc[3]]['row']}"
                except (KeyError, IndexError, TypeError):
                    record = f"article {loc[1]}, row #{loc[3]}"
                loc = loc[5:] if len(loc) > 4 and loc[4] in ("entity", "role", "city", "founded") else loc[4:]
            errors.append(DataError(str(path), issue["msg"].removeprefix("Value error, "), record=record,
                                    field=".".join(map(str, loc)) or None))
        raise DataErrors(errors) from None


class _Acceptor:
    """Turns the accepted rows of one article into records of a batch."""

    def __init__(self, path: Path, dataset: Dataset, index: EntityIndex, batch: Batch) -> None:
        self.path, self.dataset, self.index, self.batch = path, dataset, index, batch
        self.errors: list[DataError] = []

    def error(self, row: str, message: str, field: str | None = None) -> None:
        self.errors.append(DataError(str(self.path), message, record=f"row {row}", field=field))

    def article(self, review: ArticleReview) -> None:
        accepted = [row for row in review.rows if row.decision == "accept"]
        if not accepted:
            return
        source = review.source
        existing_source = self.index.source_by_url.get(source.url)
        if existing_source:
            source = source.model_copy(update={"id": existing_source})
        elif source.id in self.index.kinds:
            self.error("source", f"id '{source.id}' is already taken: give the source another id", "id")
            return
        self.batch.add_source(source)
        self.index.add("sources", source)
        entities: dict[str, EntityRow] = {}
        for row in accepted:
            if isinstance(row, EntityRow) and self._entity(row, source.id):
                entities[row.row] = row
        keys = {row.row for row in review.rows}
        for row in accepted:
            if not isinstance(row, EntityRow):
                self._fact(row, entities, keys, source.id)

    def _entity(self, row: EntityRow, source_id: str) -> bool:
        known_kind = self.index.kinds.get(row.id)
        if known_kind is not None and known_kind != row.kind:
            self.error(row.row, f"'{row.id}' is a {known_kind[:-1]} in data/, the row says {row.kind}", "id")
            return False
        if known_kind is not None and row.id not in {record.id for _, record in self.batch.records}:
            return True  # an existing entity: nothing to write, its facts refer to it
        raw: dict[str, Any] = {"id": row.id, "name": row.name, "sources": [source_id]}
        if row.kind != "people":
            raw["type"] = row.type
        try:
            record = KINDS[row.kind].model_validate(raw)
        except ValidationError as exc:
            for issue in exc.errors():
                self.error(row.row, issue["msg"], ".".join(map(str, issue["loc"])))
            return False
        self.batch.add(row.kind, record)
        self.index.add(row.kind, record)
        return True

    def _fact(self, row: Row, entities: dict[str, EntityRow], keys: set[str], source_id: str) -> None:
        ends = {name: getattr(row, name) for name in ("member", "organisation", "place") if hasattr(row, name)}
        for name, key in ends.items():
            if key not in keys:
                self.error(row.row, f"no row '{key}' in this article", name)
                return
            if key not in entities:
                self.error(row.row, f"row '{key}' is not accepted: accept it too, or reject this row", name)
                return
        ids = {name: entities[key].id for name, key in ends.items()}
        if isinstance(row, RoleRow):
            role_id = self.index.role_id(ids["member"], row.role, ids["organisation"])
            raw = {"id": role_id, "member": ids["member"], "organisation": ids["organisation"], "role": row.role,
                   "title": row.title, "start": row.start, "sources": [source_id]}
            self.batch.add("roles", Role.model_validate({k: v for k, v in raw.items() if v is not None}))
        elif isinstance(row, CityRow):
            self._field(row.row, ids["organisation"], "city", ids["place"], source_id)
        elif isinstance(row, FoundedRow):
            self._field(row.row, ids["organisation"], "founded", row.date, source_id)

    def _field(self, row_key: str, organisation_id: str, name: str, value: str, source_id: str) -> None:
        """The organisation's record with ``name`` set (sourced form: the article is its source)."""
        current = next((record for _, record in self.batch.records if record.id == organisation_id), None)
        if current is None and organisation_id in self.dataset.records:
            current = self.dataset.get(organisation_id)
        if current is None:
            self.error(row_key, f"'{organisation_id}' is not an organisation of data/ nor of this review")
            return
        claim = {"value": value, "sources": [source_id]}
        self.batch.add("organisations", type(current).model_validate({**record_dict(current), name: claim}))


def accept_review(review_path: Path, data_dir: Path, *, dry_run: bool = False) -> tuple[MergeReport, int]:
    """Merge the accepted rows of a review file into ``data_dir``; returns the report and the number of
    rows still pending."""
    review = read_review(review_path)
    dataset = load_dataset(data_dir)
    index = EntityIndex(dataset)
    batch = Batch(INGESTED_NAME, "reviewed press articles (ftgraph ingest article, then accept)")
    acceptor = _Acceptor(review_path, dataset, index, batch)
    for article in review.articles:
        acceptor.article(article)
    if acceptor.errors:
        raise DataErrors(acceptor.errors)
    pending = sum(row.decision == "pending" for article in review.articles for row in article.rows)
    return merge_into_data(data_dir, batch, dry_run=dry_run), pending

