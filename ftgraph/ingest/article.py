"""French press articles to a review file: mentions of people, organisations and places, linked to the
entities of ``data/`` or proposed as new ones, and the facts the sentences state, each with its evidence.

Pipeline, for one article:

1. read it (plain text with optional YAML front matter, or saved HTML with its ``<meta>`` tags);
2. run spaCy's French pipeline (``fr_core_news_sm`` or ``_md``, optional extra ``ftgraph[nlp]``) for
   named entities, with a rule-based sentencizer (press sentences end with punctuation);
3. find the names of known entities (main and alternative names, accent-, case- and punctuation-
   insensitive; the longest name wins) and keep the named entities of the model that do not overlap them;
4. link the model's entities: same folded name, else the closest name by :func:`rapidfuzz.fuzz.ratio`
   above a threshold, else a proposed new entity (type guessed from the words before it);
5. read facts in sentences with French patterns: roles (fondateur, président, PDG, ...), membership
   (a rejoint, membre de), incubation (incubée par, hébergée à), seat (basée à) and founding (créée en);
6. keep the dates written near mentions as hints.

Nothing is written to ``data/`` here: :mod:`ftgraph.ingest.review` writes the review file, which a
curator edits and merges with ``ftgraph ingest accept``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from ftgraph.ingest.common import Candidate, EntityIndex, InputError, slugify
from ftgraph.records import Source
from ftgraph.text import normalise_name

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

DEFAULT_MODEL = "fr_core_news_sm"
DEFAULT_THRESHOLD = 90.0
ARTICLE_SUFFIXES = (".txt", ".md", ".html", ".htm")
#: Kinds of entity each spaCy label may stand for, most likely first.
KINDS_OF_LABEL = {"PER": ("people",), "ORG": ("organisations",), "LOC": ("places", "organisations"),
                  "MISC": ("organisations",)}
_KIND_PREFERENCE = ("organisations", "people", "places")
_MAX_NAME_WORDS = 10
_NEXT_TO_NAME = re.compile(r"\s*(?:[a-zàâçéèêëîïôûùüÿœ'’-]+\s+){0,2}")  # "la start-up [grenobloise] X"
_LOWER_WORDS = re.compile(r"^(?:[a-zàâçéèêëîïôûùüÿœ'’-]+\s+)+")
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)
_DETERMINER = re.compile(r"^(?:l['’]|le |la |les |du |des |de la |de l['’]|d['’]|au |aux )", re.IGNORECASE)
_MONTHS = {"janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7,
           "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "décembre": 12, "decembre": 12}
_DATE = re.compile(r"\b(?:(?P<day>1er|[0-3]?\d)\s+)?(?P<month>" + "|".join(_MONTHS) + r")\s+(?P<year>(?:19|20)\d{2})\b"
                   r"|\b(?P<year_only>(?:19|20)\d{2})\b", re.IGNORECASE)
#: Organisation type announced by the words just before a new organisation's name.
_TYPE_WORDS = [
    (re.compile(r"\b(?:start-?up|jeune pousse|pépite)\b", re.I), "startup"),
    (re.compile(r"\bincubateur\b", re.I), "incubator"),
    (re.compile(r"\baccélérateur\b", re.I), "accelerator"),
    (re.compile(r"\bpépinière\b", re.I), "pepiniere"),
    (re.compile(r"\b(?:espace de )?coworking\b", re.I), "coworking"),
    (re.compile(r"\b(?:pôle de compétitivité|cluster)\b", re.I), "cluster"),
    (re.compile(r"\bassociation\b", re.I), "association"),
    (re.compile(r"\b(?:fonds|investisseur|business angels)\b", re.I), "investor"),
    (re.compile(r"\b(?:laboratoire|labo|institut de recherche)\b", re.I), "research"),
    (re.compile(r"\b(?:école|université|IUT)\b", re.I), "school"),
    (re.compile(r"\b(?:société|entreprise|groupe|PME|ETI|éditeur)\b", re.I), "company"),
]
#: Role words (checked in this order: the first that matches a span of text wins it) and their concept.
ROLE_WORDS = [
    (r"co-?fondat(?:eur|rice)s?", "role-co-founder"),
    (r"fondat(?:eur|rice)s?", "role-founder"),
    (r"vice-président(?:e)?", "role-vice-president"),
    (r"(?:PDG|CEO|directeur général|directrice générale)", "role-ceo"),
    (r"président(?:e)?", "role-president"),
    (r"délégué(?:e)? général(?:e)?", "role-general-delegate"),
    (r"direct(?:eur|rice)", "role-managing-director"),
    (r"ambassad(?:eur|rice)", "role-ambassador"),
]
#: Roles said in the passive voice: the organisation is named before the words, the person after them.
PASSIVE_ROLE_WORDS = [
    (r"co-?fondée?s?(?: en [^,.;]{1,20}?)? par", "role-co-founder"),
    (r"(?:fondée?s?|créée?s?)(?: en [^,.;]{1,20}?)? par", "role-founder"),
    (r"dirigée?s? par", "role-ceo"),
    (r"présidée?s? par", "role-president"),
]
#: Ties between two organisations: the one named before the words is the member of the one after.
TIE_WORDS = [
    (r"(?:a|ont|avait|avaient) rejoint|rejoint|membre(?:s)? d[eu']|adhérent(?:e)?s? d[eu']", "role-member"),
    (r"incubée?s? (?:à|au|par|chez|dans)|accompagnée?s? par", "role-incubatee"),
    (r"hébergée?s? (?:à|au|par|chez|dans)|installée?s? (?:au sein d[eu']|dans les locaux d[eu'])", "role-hosted"),
]
_SEAT_WORDS = re.compile(r"\b(?:basée?s?|installée?s?|implantée?s?|située?s?|établie?s?|siège(?: social)?"
                         r"(?: est)?) (?:à|au|en)\b", re.I)
_FOUNDED_WORDS = re.compile(r"\b(?:fondée?s?|créée?s?|née?s?|lancée?s?) (?:en|le|au|début|fin)\b", re.I)
_SINCE = re.compile(r"\bdepuis\b", re.I)
_FACT_REACH = 90  # characters between a fact's words and the mentions it ties
_SINCE_REACH = 20  # characters between a name and the "depuis <date>" that dates its role
_GOVERNED_REACH = 30  # characters between role words and the name they govern ("fondateur de X")


@dataclass(frozen=True)
class Article:
    """An article's text and the metadata its source record needs."""

    path: Path
    text: str
    url: str | None
    title: str | None
    publisher: str | None
    date: str | None
    authors: tuple[str, ...] = ()

    def source(self, index: EntityIndex) -> Source:
        """The article's source record: the one already declared for its URL, else a new one."""
        missing = [name for name in ("url", "title", "publisher", "date") if not getattr(self, name)]
        if missing:
            raise InputError(f"{self.path}: no {', '.join(missing)} for the article's source: give them with "
                             f"{' '.join('--' + name for name in missing)}, in the text's front matter, or in "
                             "the HTML's <meta> tags")
        assert self.url and self.publisher and self.date and self.title
        source_id = index.source_by_url.get(self.url)
        if source_id is None:
            base = slugify(f"{self.publisher} {self.date} {self.title}", 90)
            source_id = index.free_id(base)
        try:
            return Source(id=source_id, url=self.url, title=self.title, publisher=self.publisher,
                          date=self.date, type="article", authors=list(self.authors))
        except ValueError as exc:
            raise InputError(f"{self.path}: unusable metadata for the article's source: {exc}") from None


def _iso_date(value: str | None) -> str | None:
    """``YYYY[-MM[-DD]]`` from a metadata date (``2014-11-12T08:00:00+01:00``, ``12 novembre 2014``)."""
    if not value:
        return None
    value = value.strip()
    iso = re.match(r"^(\d{4}(?:-\d{2}(?:-\d{2})?)?)", value)
    if iso:
        return iso.group(1)
    found = next(french_dates(value), None)
    return found[2] if found else value


def french_dates(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, partial ISO date) of each date written in French: ``12 novembre 2014`` → ``2014-11-12``,
    ``novembre 2014`` → ``2014-11``, ``2014`` → ``2014``."""
    for match in _DATE.finditer(text):
        if match.group("year_only"):
            yield match.start(), match.end(), match.group("year_only")
            continue
        month = _MONTHS[match.group("month").lower()]
        date = f"{match.group('year')}-{month:02d}"
        day = match.group("day")
        if day:
            date += f"-{1 if day == '1er' else int(day):02d}"
        yield match.start(), match.end(), date


def _read_html(path: Path, raw: str) -> tuple[str, dict[str, str | None]]:
    """Readable text (title, headings, paragraphs, list items of the article element) and <meta> data."""
    import lxml.html

    page = lxml.html.document_fromstring(raw)

    def meta(*keys: str) -> str | None:
        for key in keys:
            for attribute in ("property", "name", "itemprop"):
                found = page.xpath(f'//meta[@{attribute}="{key}"]/@content')
                if found and str(found[0]).strip():
                    return str(found[0]).strip()
        return None

    canonical = page.xpath('//link[@rel="canonical"]/@href')
    times = page.xpath("//time/@datetime")
    titles = page.xpath("//title/text()")
    metadata = {
        "url": meta("og:url") or (str(canonical[0]) if canonical else None),
        "title": meta("og:title", "twitter:title") or (str(titles[0]).strip() if titles else None),
        "publisher": meta("og:site_name", "publisher", "article:publisher"),
        "date": meta("article:published_time", "datePublished", "date", "DC.date.issued")
                or (str(times[0]) if times else None),
        "author": meta("author", "article:author"),
    }
    for element in page.xpath("//script|//style|//nav|//header|//footer|//aside|//form"):
        element.drop_tree()
    root = (page.xpath("//article") or page.xpath("//body") or [page])[0]
    blocks = [" ".join(block.text_content().split()) for block in root.xpath(".//h1|.//h2|.//h3|.//p|.//li")]
    return "\n\n".join(block for block in blocks if block), metadata


def read_article(path: Path, *, url: str | None = None, title: str | None = None, publisher: str | None = None,
                 date: str | None = None) -> Article:
    """Read an article; the metadata given here win over the file's own (front matter or <meta>)."""
    try:
        raw = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    metadata: dict[str, Any]
    if path.suffix.lower() in (".html", ".htm"):
        text, metadata = _read_html(path, raw)
    else:
        match = _FRONT_MATTER.match(raw)
        metadata, text = {}, raw
        if match:
            try:
                metadata = yaml.safe_load(match.group(1)) or {}
            except yaml.YAMLError as exc:
                raise InputError(f"{path}: malformed front matter: {exc}") from None
            if not isinstance(metadata, dict):
                raise InputError(f"{path}: the front matter must be a mapping (url:, title:, publisher:, date:)")
            text = raw[match.end():]
    authors = metadata.get("authors") or metadata.get("author") or []
    return Article(path, text, url or _text_or_none(metadata.get("url")), title or _text_or_none(metadata.get("title")),
                   publisher or _text_or_none(metadata.get("publisher")),
                   _iso_date(date or _text_or_none(metadata.get("date"))),
                   tuple([authors] if isinstance(authors, str) else map(str, authors)))


def _text_or_none(value: Any) -> str | None:
    return str(value).strip() if value not in (None, "") else None


def article_files(path: Path) -> list[Path]:
    """The article itself, or the articles of a folder (by suffix, sorted)."""
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.suffix.lower() in ARTICLE_SUFFIXES and p.is_file())
        if not found:
            raise InputError(f"{path}: no article ({', '.join(ARTICLE_SUFFIXES)}) in this folder")
        return found
    if not path.is_file():
        raise InputError(f"{path}: no such file or folder")
    return [path]


@functools.lru_cache(maxsize=2)
def load_nlp(model: str = DEFAULT_MODEL) -> Language:
    """The French spaCy pipeline (named entities) with a rule-based sentencizer; loaded once per process."""
    hint = "install the optional extra: pip install 'ftgraph[nlp]'"
    try:
        import spacy
    except ImportError:
        raise InputError(f"the article loader needs spaCy: {hint}") from None
    try:
        nlp = spacy.load(model, exclude=["parser", "lemmatizer", "senter"])
    except OSError:
        raise InputError(f"the spaCy model {model!r} is not installed: {hint} (or pip install "
                         f"{model.replace('_', '-')})") from None
    nlp.add_pipe("sentencizer", first=True)
    return nlp


@dataclass
class Mention:
    """A name in the text and the entity it stands for (``entity_id`` None: a new entity)."""

    start: int
    end: int
    text: str
    kind: str
    sentence: tuple[int, int]
    entity_id: str | None
    method: str  # "known name", "exact", "fuzzy", "new"
    score: float | None = None
    candidates: tuple[str, ...] = ()
    type: str | None = None  # guessed type of a new organisation or place

    @property
    def key(self) -> tuple[str, str]:
        """Mentions with the same key are one entity of the article."""
        return (self.kind, self.entity_id or "new:" + normalise_name(self.text))


@dataclass
class Fact:
    """A fact a sentence states, between mentions (by index in :attr:`Analysis.mentions`)."""

    kind: str  # "role", "city", "founded"
    sentence: tuple[int, int]
    member: int | None = None
    organisation: int | None = None
    place: int | None = None
    role: str | None = None
    title: str | None = None
    date: str | None = None


@dataclass
class Analysis:
    article: Article
    mentions: list[Mention] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)

    def dates_near(self, mention: Mention) -> list[str]:
        start, end = mention.sentence
        return [date for _, _, date in french_dates(self.article.text[start:end])]


class Linker:
    """Names of the dataset's entities, for exact lookup in a text and fuzzy linking of a name."""

    def __init__(self, index: EntityIndex, threshold: float = DEFAULT_THRESHOLD) -> None:
        self.index = index
        self.threshold = threshold
        self.max_words = min(_MAX_NAME_WORDS, max((len(name.split()) for name in index.names), default=1))
        self.choices: dict[str, list[str]] = {}
        for folded, candidates in index.names.items():
            for kind in {candidate.kind for candidate in candidates}:
                self.choices.setdefault(kind, []).append(folded)

    @staticmethod
    def choose(candidates: list[Candidate]) -> tuple[Candidate, tuple[str, ...]]:
        """The most likely of the entities a name may stand for, and all their ids: a main name before an
        alternative one, then an organisation before a person before a place ("Bordeaux Métropole" the
        authority rather than its territory; "Station F" the incubator rather than its building)."""
        ranked = sorted(candidates, key=lambda c: (not c.primary, _KIND_PREFERENCE.index(c.kind)))
        return ranked[0], tuple(dict.fromkeys(candidate.id for candidate in ranked))

    def known_names(self, doc: Doc) -> list[tuple[int, int, list[Candidate]]]:
        """(start token, end token, candidates) of known names, not overlapping: the longest text wins
        ("French Tech Grenoble" over "la French Tech"), then the earliest."""
        windows = []
        for length in range(self.max_words, 0, -1):
            for start in range(len(doc) - length + 1):
                end = start + length
                if any(token.is_punct or token.is_space for token in (doc[start], doc[end - 1])):
                    continue
                span = doc[start:end]
                candidates = self.index.names.get(normalise_name(span.text))
                if candidates and _case_fits(span.text, candidates):
                    windows.append((start, end, candidates))
        windows.sort(key=lambda window: (-len(doc[window[0]:window[1]].text), window[0]))
        taken = [False] * len(doc)
        found = []
        for start, end, candidates in windows:
            if not any(taken[start:end]):
                found.append((start, end, candidates))
                taken[start:end] = [True] * (end - start)
        return sorted(found, key=lambda window: window[0])

    def link(self, text: str, kinds: tuple[str, ...]) -> tuple[str | None, str, float | None, tuple[str, ...]]:
        """(id, method, score, candidate ids) of a name the model found: exact folded name, else fuzzy."""
        from rapidfuzz import fuzz, process

        folded = normalise_name(text)
        exact = [c for c in self.index.names.get(folded, []) if c.kind in kinds]
        if exact:
            chosen, ids = self.choose(exact)
            return chosen.id, "exact", 100.0, ids
        best: tuple[str, float] | None = None
        for kind in kinds:
            match = process.extractOne(folded, self.choices.get(kind, []), scorer=fuzz.ratio,
                                       score_cutoff=self.threshold)
            if match and (best is None or match[1] > best[1]):
                best = (match[0], match[1])
        if best is None:
            return None, "new", None, ()
        chosen, ids = self.choose([c for c in self.index.names[best[0]] if c.kind in kinds])
        return chosen.id, "fuzzy", round(best[1], 1), ids


def _case_fits(text: str, candidates: list[Candidate]) -> bool:
    """A name written in lower case in the text is a common word ("orange", "métro"), not the entity."""
    return any(char.isupper() for char in text) or not any(
        any(char.isupper() for char in candidate.name) for candidate in candidates)


def _trim(doc: Doc, start: int, end: int) -> tuple[int, int] | None:
    """Character offsets of a model's entity from its first capitalised word (not "la start-up X", "d'X"),
    without trailing punctuation; ``None`` when what is left is not a proper name."""
    text = doc.text[start:end]
    determiner = _DETERMINER.match(text)
    if determiner:
        start += determiner.end()
        text = text[determiner.end():]
    leading_common_words = _LOWER_WORDS.match(text)
    if leading_common_words:
        start += leading_common_words.end()
        text = text[leading_common_words.end():]
    stripped = text.rstrip(" ,.;:!?»\"'’)")
    end = start + len(stripped)
    if len(stripped) < 2 or not (stripped[0].isupper() or stripped[0].isdigit()):
        return None
    return start, end


def _type_before(text: str, start: int) -> str | None:
    """The organisation type announced just before a name ("la start-up grenobloise X", "l'incubateur X")."""
    before = text[max(0, start - 60):start]
    best: tuple[int, str] | None = None
    for pattern, entity_type in _TYPE_WORDS:
        for match in pattern.finditer(before):
            if _NEXT_TO_NAME.fullmatch(before[match.end():]) and (best is None or match.end() > best[0]):
                best = (match.end(), entity_type)
    return best[1] if best else None


def find_mentions(doc: Doc, linker: Linker) -> list[Mention]:
    """Known names first, then the model's entities that do not overlap them, linked or new."""
    sentence_of = {token.i: (token.sent.start_char, token.sent.end_char) for token in doc}
    mentions = []
    known = linker.known_names(doc)
    for start, end, candidates in known:
        span = doc[start:end]
        chosen, ids = linker.choose(candidates)
        start_char = _without_determiner(span.text, chosen.id, linker.index) + span.start_char
        mentions.append(Mention(start_char, span.end_char, doc.text[start_char:span.end_char], chosen.kind,
                                sentence_of[start], chosen.id, "known name", 100.0, ids))
    for ent in doc.ents:
        trimmed = _trim(doc, ent.start_char, ent.end_char)
        if trimmed is None:
            continue
        start_char, end_char = trimmed
        overlapping = [m for m in mentions if m.start < end_char and start_char < m.end]
        if overlapping:
            if not _extends(doc.text, start_char, end_char, overlapping):
                continue
            mentions = [m for m in mentions if m not in overlapping]  # "Grenoble INP" is not "Grenoble"
        text = doc.text[start_char:end_char]
        entity_type = _type_before(doc.text, start_char)
        kinds = ("organisations",) if entity_type else KINDS_OF_LABEL.get(ent.label_, ())
        if not kinds:
            continue
        entity_id, method, score, ids = linker.link(text, kinds)
        kind = linker.index.kinds.get(entity_id, kinds[0]) if entity_id else kinds[0]
        if entity_id is None and ent.label_ == "MISC" and not entity_type:
            continue  # unknown MISC names are mostly events, products and titles
        new_type = (entity_type or "company") if kind == "organisations" else "commune" if kind == "places" else None
        mentions.append(Mention(start_char, end_char, text, kind, sentence_of[ent.start], entity_id, method, score,
                                ids, None if entity_id else new_type))
    mentions += _repeated_new_names(doc, mentions)
    return _unify_new_entities(sorted(mentions, key=lambda mention: mention.start))


def _extends(text: str, start: int, end: int, inner: list[Mention]) -> bool:
    """Whether the model's entity ``text[start:end]`` is a longer name around the known names it overlaps:
    it covers them whole and adds a capitalised word to them ("Grenoble INP" around "Grenoble")."""
    if any(m.start < start or m.end > end for m in inner):
        return False
    rest = text[start:end]
    for mention in sorted(inner, key=lambda m: m.start, reverse=True):
        rest = rest[:mention.start - start] + " " + rest[mention.end - start:]
    return any(word[:1].isupper() for word in rest.split())


def _without_determiner(text: str, entity_id: str, index: EntityIndex) -> int:
    """Offset of a known name without its leading article when the rest is a name of the same entity
    ("La French Tech Nantes" → "French Tech Nantes"): names are compared without determiners."""
    determiner = _DETERMINER.match(text)
    if determiner and any(c.id == entity_id for c in index.names.get(normalise_name(text[determiner.end():]), [])):
        return determiner.end()
    return 0


def _repeated_new_names(doc: Doc, mentions: list[Mention]) -> list[Mention]:
    """Other occurrences of the new names the model found once: a name keeps its sense in one article,
    even where the model missed it ("cofondatrice de Garonne Spatial")."""
    taken = [False] * len(doc.text)
    for mention in mentions:
        taken[mention.start:mention.end] = [True] * (mention.end - mention.start)
    repeated = []
    for mention in [m for m in mentions if m.entity_id is None]:
        for match in re.finditer(rf"(?<!\w){re.escape(mention.text)}(?!\w)", doc.text):
            if any(taken[match.start():match.end()]):
                continue
            span = doc.char_span(match.start(), match.end(), alignment_mode="expand")
            if span is None:
                continue
            repeated.append(Mention(match.start(), match.end(), mention.text, mention.kind,
                                    (span.sent.start_char, span.sent.end_char), None, "new", None, (), mention.type))
            taken[match.start():match.end()] = [True] * (match.end() - match.start())
    return repeated


def _unify_new_entities(mentions: list[Mention]) -> list[Mention]:
    """Mentions of one new name are one entity: an organisation when one of them is announced as such
    ("la start-up X"), else the kind most of them have."""
    by_name: dict[str, list[Mention]] = {}
    for mention in mentions:
        if mention.entity_id is None:
            by_name.setdefault(normalise_name(mention.text), []).append(mention)
    for group in by_name.values():
        announced = next((m.type for m in group if m.kind == "organisations" and m.type != "company"), None)
        kinds = [m.kind for m in group]
        kind = "organisations" if announced else max(kinds, key=kinds.count)
        entity_type = announced or next((m.type for m in group if m.kind == kind), None)
        for mention in group:
            mention.kind, mention.type = kind, entity_type
    return mentions


def _nearest(mentions: list[tuple[int, Mention]], position: int, kinds: tuple[str, ...], *, after: bool | None,
             reach: int = _FACT_REACH) -> int | None:
    """Index of the mention of one of ``kinds`` nearest to ``position`` (only after / before it if asked)."""
    best: tuple[int, int] | None = None
    for index, mention in mentions:
        if mention.kind not in kinds:
            continue
        if (after is True and mention.start < position) or (after is False and mention.end > position):
            continue
        distance = mention.start - position if mention.start >= position else position - mention.end
        if distance <= reach and (best is None or distance < best[0]):
            best = (distance, index)
    return best[1] if best else None


def _role_spans(sentence: str, table: list[tuple[str, str]]) -> Iterator[tuple[int, int, str]]:
    """(start, end, role concept) of the words of ``table``, without overlaps (the first pattern wins a span)."""
    taken: list[tuple[int, int]] = []
    for pattern, role in table:
        for match in re.finditer(rf"\b{pattern}\b", sentence, re.IGNORECASE):
            if any(match.start() < end and start < match.end() for start, end in taken):
                continue
            taken.append((match.start(), match.end()))
            yield match.start(), match.end(), role


def _since(dates: list[tuple[int, str]], governed: Mention) -> str | None:
    """The date of a "depuis <date>" written right after the name a fact's words govern."""
    return next((date for at, date in dates if 0 <= at - governed.end <= _SINCE_REACH), None)


def find_facts(text: str, mentions: list[Mention]) -> list[Fact]:
    """Facts stated by each sentence, between the mentions it holds."""
    facts: list[Fact] = []
    by_sentence: dict[tuple[int, int], list[tuple[int, Mention]]] = {}
    for index, mention in enumerate(mentions):
        by_sentence.setdefault(mention.sentence, []).append((index, mention))
    for (start, end), inside in by_sentence.items():
        sentence = text[start:end]
        since = [(start + at, date) for at, _, date in french_dates(sentence)
                 if _SINCE.search(sentence[max(0, at - 10):at])]

        for word_start, word_end, role in _role_spans(sentence, ROLE_WORDS):
            person = _nearest(inside, start + word_start, ("people",), after=None)
            organisation = _nearest(inside, start + word_end, ("organisations",), after=True, reach=_GOVERNED_REACH)
            if person is None or organisation is None:
                continue
            if start + word_end <= mentions[person].start < mentions[organisation].start:
                continue  # "son PDG, X, explique que Y": Y is not what the words govern
            facts.append(Fact("role", (start, end), member=person, organisation=organisation, role=role,
                              title=sentence[word_start:word_end], date=_since(since, mentions[organisation])))
        for word_start, word_end, role in _role_spans(sentence, PASSIVE_ROLE_WORDS):
            organisation = _nearest(inside, start + word_start, ("organisations",), after=False)
            person = _nearest(inside, start + word_end, ("people",), after=True, reach=_GOVERNED_REACH)
            if person is not None and organisation is not None:
                facts.append(Fact("role", (start, end), member=person, organisation=organisation, role=role,
                                  date=_since(since, mentions[person])))
        for pattern, role in TIE_WORDS:
            for match in re.finditer(rf"\b(?:{pattern})", sentence, re.IGNORECASE):
                member = _nearest(inside, start + match.start(), ("organisations",), after=False)
                organisation = _nearest(inside, start + match.end(), ("organisations",), after=True)
                if member is not None and organisation is not None:
                    facts.append(Fact("role", (start, end), member=member, organisation=organisation, role=role,
                                      date=_since(since, mentions[organisation])))
        for match in _SEAT_WORDS.finditer(sentence):
            organisation = _nearest(inside, start + match.start(), ("organisations",), after=False)
            place = _nearest(inside, start + match.end(), ("places",), after=True)
            if organisation is not None and place is not None:
                facts.append(Fact("city", (start, end), organisation=organisation, place=place))
        for match in _FOUNDED_WORDS.finditer(sentence):
            organisation = _nearest(inside, start + match.start(), ("organisations",), after=False)
            date = next((d for s, _, d in french_dates(sentence) if 0 <= s - match.end() <= 25), None)
            if organisation is not None and date is not None:
                facts.append(Fact("founded", (start, end), organisation=organisation, date=date))
    return facts


def analyse(article: Article, nlp: Language, linker: Linker) -> Analysis:
    """Mentions and facts of one article."""
    doc = nlp(article.text)
    mentions = find_mentions(doc, linker)
    return Analysis(article, mentions, find_facts(article.text, mentions))
