"""Precision and recall of the article loader against hand-annotated articles (``ftgraph ingest evaluate``).

The gold file lists, for each article, the names of every person, organisation and place it mentions,
with the id of the entity of ``data/`` each stands for (or ``kind`` alone: an entity ``data/`` lacks),
and the facts it states. Every occurrence of an annotated name in the text is a gold mention (longest
names first, without overlaps). Scores, micro-averaged over the articles:

- mention detection: a predicted mention is right when its character span is a gold mention's span;
- linking: among predicted mentions linked to an existing entity, those linked to the gold entity
  (precision), over the gold mentions of existing entities (recall);
- new entities: predicted new (unlinked) mentions at the span of a gold mention of an entity ``data/`` lacks;
- facts: the facts of the review rows, ends identified by id (or folded name for new entities).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict

from ftgraph.atomic import write_text_atomic
from ftgraph.ingest.article import Analysis, Linker, analyse, read_article
from ftgraph.ingest.common import EntityIndex, InputError
from ftgraph.ingest.review import CityRow, EntityRow, FoundedRow, RoleRow, article_review
from ftgraph.loader import Dataset
from ftgraph.text import normalise_name

BEGIN_MARK = "<!-- BEGIN ftgraph ingest evaluate -->"
END_MARK = "<!-- END ftgraph ingest evaluate -->"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GoldMention(_Strict):
    text: str
    id: str | None = None
    kind: Literal["people", "organisations", "places"] | None = None


class GoldArticle(_Strict):
    file: str
    set: Literal["development", "held-out"] = "development"
    mentions: list[GoldMention]
    facts: list[dict[str, str]] = []


class Gold(_Strict):
    articles: list[GoldArticle]


@dataclass
class Score:
    """Right predictions, predictions, expected items."""

    right: int = 0
    predicted: int = 0
    expected: int = 0
    right_expected: int = 0  # expected items found (differs from ``right`` when one item is predicted twice)

    @property
    def precision(self) -> float:
        return self.right / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.right_expected / self.expected if self.expected else 1.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    def add(self, other: Score) -> None:
        self.right += other.right
        self.predicted += other.predicted
        self.expected += other.expected
        self.right_expected += other.right_expected


@dataclass
class ArticleScores:
    file: str
    set: str
    scores: dict[str, Score] = field(default_factory=dict)


MEASURES = ("mention detection", "linking", "new entities", "facts")


def gold_spans(text: str, mentions: list[GoldMention]) -> dict[tuple[int, int], GoldMention]:
    """Every occurrence of every annotated name, longest names first, without overlaps."""
    spans: dict[tuple[int, int], GoldMention] = {}
    taken = [False] * len(text)
    for mention in sorted(mentions, key=lambda m: -len(m.text)):
        for match in re.finditer(rf"(?<!\w){re.escape(mention.text)}(?!\w)", text):
            if not any(taken[match.start():match.end()]):
                spans[(match.start(), match.end())] = mention
                taken[match.start():match.end()] = [True] * (match.end() - match.start())
    return spans


def _count(predicted: list[Any], expected: list[Any]) -> Score:
    expected_set = set(expected)
    return Score(right=sum(item in expected_set for item in predicted), predicted=len(predicted),
                 expected=len(expected), right_expected=len(expected_set & set(predicted)))


def _fact_keys(analysis: Analysis, index: EntityIndex) -> list[tuple[str, ...]]:
    review = article_review(analysis, index)
    entity = {row.row: (row.id if row.match != "new" else normalise_name(row.name))
              for row in review.rows if isinstance(row, EntityRow)}
    keys: list[tuple[str, ...]] = []
    for row in review.rows:
        if isinstance(row, RoleRow):
            keys.append(("role", row.role, entity[row.member], entity[row.organisation]))
        elif isinstance(row, CityRow):
            keys.append(("city", entity[row.organisation], entity[row.place]))
        elif isinstance(row, FoundedRow):
            keys.append(("founded", entity[row.organisation], row.date))
    return keys


def _gold_fact_key(fact: dict[str, str], index: EntityIndex) -> tuple[str, ...]:
    def end(name: str, kinds: list[str]) -> str:
        """An id, or the name of an entity ``data/`` lacked (its id if curators have added it since)."""
        value = fact[name]
        if re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", value):
            return value
        added = index.by_name(value, kinds)
        return added[0].id if added else normalise_name(value)

    organisation = end("organisation", ["organisations"])
    if fact["fact"] == "role":
        return ("role", fact["role"], end("member", ["people", "organisations"]), organisation)
    if fact["fact"] == "city":
        return ("city", organisation, end("place", ["places"]))
    return ("founded", organisation, str(fact["date"]))


def expected_id(mention: GoldMention, index: EntityIndex) -> str | None:
    """The gold entity of a mention; for one that ``data/`` lacked when annotated, the entity curators
    have added since under that very name, if any (the data keeps growing)."""
    if mention.id or not mention.kind:
        return mention.id
    return next((candidate.id for candidate in index.by_name(mention.text, [mention.kind])), None)


def score_article(analysis: Analysis, gold: GoldArticle, index: EntityIndex) -> ArticleScores:
    spans = {span: expected_id(mention, index) for span, mention in
             gold_spans(analysis.article.text, gold.mentions).items()}
    predicted = {(m.start, m.end): m for m in analysis.mentions}
    linked = [(span, m.entity_id) for span, m in predicted.items() if m.entity_id]
    new = [span for span, m in predicted.items() if not m.entity_id]
    return ArticleScores(gold.file, gold.set, {
        "mention detection": _count(list(predicted), list(spans)),
        "linking": _count(linked, [(span, entity) for span, entity in spans.items() if entity]),
        "new entities": _count(new, [span for span, entity in spans.items() if not entity]),
        "facts": _count(_fact_keys(analysis, index), [_gold_fact_key(fact, index) for fact in gold.facts]),
    })


def read_gold(path: Path) -> Gold:
    try:
        return Gold.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except OSError as exc:
        raise InputError(f"{path}: cannot read the gold annotations: {exc.strerror}") from None
    except (yaml.YAMLError, ValueError) as exc:
        raise InputError(f"{path}: invalid gold annotations: {exc}") from None


def check_gold(gold: Gold, dataset: Dataset) -> None:
    """Gold ids must exist in the data the loader links to, else the scores would be meaningless."""
    missing = sorted({m.id for article in gold.articles for m in article.mentions
                      if m.id and m.id not in dataset.records})
    if missing:
        raise InputError(f"gold ids not in data/: {', '.join(missing)}")


def evaluate(gold_path: Path, dataset: Dataset, nlp: Any, threshold: float) -> list[ArticleScores]:
    """Scores of each annotated article (files relative to the gold file's folder)."""
    gold = read_gold(gold_path)
    check_gold(gold, dataset)
    index = EntityIndex(dataset)
    linker = Linker(index, threshold)
    results = []
    for article_gold in gold.articles:
        article = read_article(gold_path.parent / article_gold.file)
        results.append(score_article(analyse(article, nlp, linker), article_gold, index))
    return results


def totals(results: list[ArticleScores]) -> dict[str, Score]:
    summed = {measure: Score() for measure in MEASURES}
    for result in results:
        for measure, score in result.scores.items():
            summed[measure].add(score)
    return summed


def markdown_table(results: list[ArticleScores], model: str, threshold: float) -> str:
    """The totals of each set of articles as a Markdown table (deterministic: no date, no timing)."""
    sets = {"development": [r for r in results if r.set == "development"],
            "held-out": [r for r in results if r.set == "held-out"], "all": results}
    counts = ", ".join(f"{len(group)} {name}" for name, group in sets.items() if name != "all")
    lines = [f"Model `{model}`, fuzzy threshold {threshold:g}; articles: {counts}.", "",
             "| articles | measure | precision | recall | F1 | right / predicted / expected |",
             "|---|---|---|---|---|---|"]
    for name, group in sets.items():
        if not group:
            continue
        for measure, score in totals(group).items():
            lines.append(f"| {name} | {measure} | {score.precision:.3f} | {score.recall:.3f} | {score.f1:.3f} | "
                         f"{score.right} / {score.predicted} / {score.expected} |")
    return "\n".join(lines)


def write_into_doc(doc: Path, table: str) -> None:
    """Replace the text between the evaluation marks of ``doc`` with ``table``."""
    text = doc.read_text(encoding="utf-8")
    if BEGIN_MARK not in text or END_MARK not in text:
        raise InputError(f"{doc}: the marks {BEGIN_MARK} and {END_MARK} are missing")
    before, rest = text.split(BEGIN_MARK, 1)
    _, after = rest.split(END_MARK, 1)
    write_text_atomic(doc, f"{before}{BEGIN_MARK}\n{table}\n{END_MARK}{after}")
