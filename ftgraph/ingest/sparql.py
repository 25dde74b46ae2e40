"""Organisations and people of the graph's cities from a Wikidata-shaped SPARQL endpoint.

1. The graph's cities (places of type ``commune``) are found on the endpoint: by their ``wikidata`` field
   when curators pinned it, else by their French label among communes of France (``wd:Q484170``);
   unresolved and ambiguous names are reported, never guessed.
2. A named query (``queries/<NAME>.rq``: ``organisations`` or ``people``) runs for batches of those cities.
   Its rows use fixed variable names (``?item ?itemLabel ?city ?class ?inception ?inceptionPrecision
   ?industryLabel ?siren ?website ?person ?personLabel ?personRole``).
3. Rows become organisations (P159 → ``city``, P571 → ``founded`` at the precision Wikidata gives, P452 →
   ``sectors``, P1616 → ``siren``, P856 → ``website``, the item → ``wikidata``, i.e. ``owl:sameAs``),
   people (``wikidata``) and roles (P112 founder, P169 chief executive, P488 chair), all sourced by one
   ``dataset`` source: the endpoint, the query and the retrieval date.

The client is polite: a user agent naming the project, at most one request per ``min_interval`` seconds,
retries with exponential back-off (honouring ``Retry-After``) on 429 / 5xx / network errors, and a local
cache of answers (``max_age``), so that re-running an ingestion asks the endpoint nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time
import urllib.error
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources
from importlib.metadata import version
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import urlsplit

import pyoxigraph
from pydantic import ValidationError
from SPARQLWrapper import GET, JSON, POST, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import EndPointInternalError, QueryBadFormed, SPARQLWrapperException

from ftgraph.atomic import write_text_atomic
from ftgraph.ingest.common import Batch, EntityIndex, InputError, record_dict, slugify
from ftgraph.loader import Dataset
from ftgraph.progress import Progress
from ftgraph.records import Organisation, Person, Place, Record, Role, Source, preferred_value

WIKIDATA_ENDPOINT = "https://query.wikidata.org/sparql"
WD = "http://www.wikidata.org/entity/"
WDT = "http://www.wikidata.org/prop/direct/"
USER_AGENT = (f"ftgraph/{version('ftgraph')} (https://w3id.org/ftgraph; sourced knowledge graph of the French "
              "Tech ecosystem) SPARQLWrapper")
#: Role concept of each people property of the queries.
ROLE_OF_PROPERTY = {f"{WDT}P112": "role-founder", f"{WDT}P169": "role-ceo", f"{WDT}P488": "role-president"}
#: Organisation type of a few Wikidata classes (P31); other classes give ``company``.
TYPE_OF_CLASS = {
    "Q4830453": "company",  # business
    "Q891723": "company",  # public company
    "Q3918": "school",  # university
    "Q31855": "research",  # research institute
    "Q163740": "association",  # nonprofit organization
    "Q48204": "association",  # voluntary association
}
DEFAULT_TYPE = "company"
#: Length of the ISO date kept for each Wikidata time precision (9 year, 10 month, 11 day).
_DATE_LENGTH = {9: 4, 10: 7, 11: 10}
_RETRIED_HTTP_CODES = (429, 502, 503, 504)
_MAX_RETRY_AFTER = 300.0


def query_names() -> list[str]:
    """The named queries shipped with ftgraph (``ftgraph/ingest/queries/*.rq``), but the city resolver."""
    folder = resources.files("ftgraph.ingest") / "queries"
    return sorted(p.name.removesuffix(".rq") for p in folder.iterdir() if p.name.endswith(".rq")
                  and p.name != "cities.rq")


def query_template(name: str) -> Template:
    path = resources.files("ftgraph.ingest") / "queries" / f"{name}.rq"
    if not path.is_file():
        raise InputError(f"unknown query {name!r} (known: {', '.join(query_names())})")
    return Template(path.read_text(encoding="utf-8"))


def default_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ftgraph" / "sparql"


@dataclass(frozen=True)
class Politeness:
    """How the client treats an endpoint."""

    user_agent: str = USER_AGENT
    min_interval: float = 1.0  # seconds between two requests
    retries: int = 4
    backoff: float = 2.0  # first retry delay, doubled at each retry (unless the server says Retry-After)
    timeout: float = 60.0
    max_age: dt.timedelta = dt.timedelta(days=7)  # cached answers younger than this are reused


@dataclass(frozen=True)
class Answer:
    bindings: list[dict[str, dict[str, str]]]
    retrieved: dt.datetime
    from_cache: bool


def _retry_after(exc: BaseException) -> float | None:
    header = exc.headers.get("Retry-After") if isinstance(exc, urllib.error.HTTPError) and exc.headers else None
    try:
        return min(float(header), _MAX_RETRY_AFTER) if header is not None else None
    except ValueError:
        return None


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, urllib.error.HTTPError):
        return exc.code in _RETRIED_HTTP_CODES
    return isinstance(exc, EndPointInternalError | urllib.error.URLError | TimeoutError | ConnectionError)


class PoliteEndpoint:
    """A SPARQL endpoint asked through SPARQLWrapper, politely, with a local cache of JSON answers."""

    def __init__(self, url: str, cache_dir: Path | None = None, politeness: Politeness = Politeness(), *,
                 refresh: bool = False, sleep: Callable[[float], None] = time.sleep) -> None:
        self.url = url
        self.cache_dir = cache_dir
        self.politeness = politeness
        self.refresh = refresh
        self.sleep = sleep
        self.requests = 0
        self._last_request: float | None = None

    def select(self, query: str) -> Answer:
        """The bindings of a SELECT query, from the cache when fresh enough."""
        cached = None if self.refresh else self._cached(query)
        if cached is not None:
            return cached
        bindings = self._fetch(query)
        retrieved = dt.datetime.now(dt.UTC).replace(microsecond=0)
        if self.cache_dir is not None:
            entry = {"endpoint": self.url, "query": query, "retrieved": retrieved.isoformat(), "bindings": bindings}
            write_text_atomic(self._cache_path(query), json.dumps(entry, ensure_ascii=False, indent=1))
        return Answer(bindings, retrieved, from_cache=False)

    def _cache_path(self, query: str) -> Path:
        assert self.cache_dir is not None
        key = hashlib.sha256(f"{self.url}\n{query}".encode()).hexdigest()
        return self.cache_dir / f"{key}.json"

    def _cached(self, query: str) -> Answer | None:
        if self.cache_dir is None or not self._cache_path(query).is_file():
            return None
        try:
            entry = json.loads(self._cache_path(query).read_text(encoding="utf-8"))
            retrieved = dt.datetime.fromisoformat(entry["retrieved"])
            bindings = entry["bindings"]
        except (ValueError, KeyError, TypeError):
            return None  # a damaged cache entry is asked again
        if dt.datetime.now(dt.UTC) - retrieved > self.politeness.max_age:
            return None
        return Answer(bindings, retrieved, from_cache=True)

    def _wait_turn(self) -> None:
        if self._last_request is not None:
            wait = self.politeness.min_interval - (time.monotonic() - self._last_request)
            if wait > 0:
                self.sleep(wait)
        self._last_request = time.monotonic()

    def _fetch(self, query: str) -> list[dict[str, dict[str, str]]]:
        politeness = self.politeness
        for attempt in range(politeness.retries + 1):
            self._wait_turn()
            client = SPARQLWrapper(self.url, agent=politeness.user_agent)
            client.setQuery(query)
            client.setReturnFormat(JSON)
            client.setMethod(POST if len(query) > 1500 else GET)
            client.setTimeout(int(politeness.timeout))
            self.requests += 1
            try:
                result = client.queryAndConvert()
            except QueryBadFormed as exc:
                raise InputError(f"{self.url}: the endpoint rejected the query: {exc}") from None
            except (SPARQLWrapperException, urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                if not _retryable(exc) or attempt == politeness.retries:
                    raise InputError(f"{self.url}: no answer after {attempt + 1} request(s): {exc}") from None
                delay = _retry_after(exc)
                self.sleep(politeness.backoff * 2**attempt if delay is None else delay)
                continue
            if not isinstance(result, dict) or not isinstance(result.get("results", {}).get("bindings"), list):
                raise InputError(f"{self.url}: the answer is not SPARQL JSON results")
            return result["results"]["bindings"]
        raise AssertionError("unreachable")


def _value(row: dict[str, dict[str, str]], name: str) -> str | None:
    cell = row.get(name)
    return cell.get("value") if cell else None


def _qid(iri: str | None) -> str | None:
    return iri.removeprefix(WD) if iri and iri.startswith(WD) else None


def _batches(items: list[Any], size: int) -> list[list[Any]]:
    return [items[start:start + size] for start in range(0, len(items), size)]


def partial_date(time_value: str, precision: str | None) -> str | None:
    """A Wikidata time value at the precision Wikidata gives (year, month or day); coarser or BCE: ``None``.

    >>> partial_date("2006-01-01T00:00:00Z", "9")
    '2006'
    """
    length = _DATE_LENGTH.get(int(precision)) if precision and precision.isdigit() else None
    if length is None or time_value.startswith("-"):
        return None
    return time_value.lstrip("+")[:length]


@dataclass
class CityResolution:
    """The graph's cities on the endpoint."""

    place_of: dict[str, str] = field(default_factory=dict)  # Wikidata item IRI -> place id
    found_by_label: dict[str, str] = field(default_factory=dict)  # place id -> Qid (not pinned in data/)
    unresolved: list[str] = field(default_factory=list)
    ambiguous: dict[str, list[str]] = field(default_factory=dict)


def resolve_cities(endpoint: PoliteEndpoint, dataset: Dataset, *, batch_size: int = 40,
                   progress: Progress | None = None) -> tuple[CityResolution, list[Answer]]:
    """Find the graph's communes on the endpoint (pinned ``wikidata`` first, else French label)."""
    resolution = CityResolution()
    by_name: dict[str, list[Place]] = {}
    for located in dataset.of_kind("places"):
        place = located.record
        if not isinstance(place, Place) or place.type != "commune":
            continue
        pinned = preferred_value(place.wikidata)
        if pinned:
            resolution.place_of[WD + pinned] = place.id
        else:
            by_name.setdefault(place.name, []).append(place)
    answers = []
    found: dict[str, set[str]] = {}
    names = sorted(by_name)
    batches = _batches(names, batch_size)
    for names_batch in progress.iterate(batches, "cities", len(batches)) if progress else batches:
        values = " ".join(str(pyoxigraph.Literal(name, language="fr")) for name in names_batch)
        answer = endpoint.select(query_template("cities").substitute(names=values))
        answers.append(answer)
        for row in answer.bindings:
            name, city = _value(row, "name"), _value(row, "city")
            if name and city:
                found.setdefault(name, set()).add(city)
    for name in names:
        cities = sorted(found.get(name, ()))
        for place in by_name[name]:
            if len(cities) == 1 and len(by_name[name]) == 1:
                resolution.place_of[cities[0]] = place.id
                resolution.found_by_label[place.id] = cities[0].removeprefix(WD)
            elif cities:
                resolution.ambiguous[place.id] = [city.removeprefix(WD) for city in cities]
            else:
                resolution.unresolved.append(place.id)
    return resolution, answers


@dataclass
class _Item:
    """What the rows say about one Wikidata item (an organisation)."""

    qid: str
    labels: set[str] = field(default_factory=set)
    cities: set[str] = field(default_factory=set)
    classes: set[str] = field(default_factory=set)
    inceptions: set[str] = field(default_factory=set)
    industries: set[str] = field(default_factory=set)
    sirens: set[str] = field(default_factory=set)
    websites: set[str] = field(default_factory=set)
    people: set[tuple[str, str, str]] = field(default_factory=set)  # (Qid, label, role concept)


def group_rows(bindings: Iterable[dict[str, dict[str, str]]], place_of: dict[str, str]) -> dict[str, _Item]:
    """Rows (one per combination of optional values) grouped by organisation item."""
    items: dict[str, _Item] = {}
    for row in bindings:
        qid, city = _qid(_value(row, "item")), place_of.get(_value(row, "city") or "")
        if qid is None or city is None:
            continue
        item = items.setdefault(qid, _Item(qid))
        item.cities.add(city)
        for variable, values in (("itemLabel", item.labels), ("industryLabel", item.industries),
                                 ("website", item.websites)):
            value = _value(row, variable)
            if value:
                values.add(value.strip())
        if klass := _qid(_value(row, "class")):
            item.classes.add(klass)
        if siren := _value(row, "siren"):
            item.sirens.add("".join(siren.split()))
        if inception := _value(row, "inception"):
            date = partial_date(inception, _value(row, "inceptionPrecision"))
            if date:
                item.inceptions.add(date)
        person, label = _qid(_value(row, "person")), _value(row, "personLabel")
        role = ROLE_OF_PROPERTY.get(_value(row, "personRole") or "")
        if person and label and role:
            item.people.add((person, label.strip(), role))
    return items


class _Mapper:
    """Items to records, with ids resolved against the index (identifiers first)."""

    def __init__(self, index: EntityIndex, batch: Batch, source_id: str) -> None:
        self.index, self.batch, self.source_id = index, batch, source_id
        self.warnings: list[str] = []

    def _validated(self, model: type[Record], kind: str, raw: dict[str, Any], qid: str) -> Record | None:
        """The record; a field the endpoint filled with an unusable value is dropped with a warning."""
        for _ in range(len(raw)):
            try:
                record = model.model_validate(raw)
            except ValidationError as exc:
                bad = {str(issue["loc"][0]) for issue in exc.errors() if issue["loc"]}
                droppable = bad - {"id", "name", "type", "sources", "member", "organisation", "role"}
                if not droppable:
                    self.warnings.append(f"{qid}: skipped, unusable {kind[:-1]}: {exc.errors()[0]['msg']}")
                    return None
                for name in sorted(droppable):
                    self.warnings.append(f"{qid}: dropped {name}={raw.pop(name)!r} (not valid in the data format)")
                continue
            self.batch.add(kind, record)
            self.index.add(kind, record)
            return record
        return None

    def organisation(self, item: _Item) -> str | None:
        name = sorted(item.labels)[0]
        entity_type = next((TYPE_OF_CLASS[c] for c in sorted(item.classes) if c in TYPE_OF_CLASS), DEFAULT_TYPE)
        siren = sorted(item.sirens)[0] if item.sirens else None
        record_id, homonyms = self.index.resolve("organisations", name, {"wikidata": item.qid, "siren": siren or ""},
                                                 entity_type)
        for facts, what in ((item.sirens, "SIREN"), (item.websites, "website"), (item.inceptions, "inception"),
                            (item.cities, "headquarters")):
            if len(facts) > 1:
                self.warnings.append(f"{item.qid}: several values of {what} ({', '.join(sorted(facts))}): kept "
                                     f"{sorted(facts)[0]}")
        raw: dict[str, Any] = {
            "id": record_id, "name": name, "type": entity_type, "city": sorted(item.cities)[0],
            "founded": min(item.inceptions) if item.inceptions else None, "siren": siren,
            "website": sorted(item.websites)[0] if item.websites else None, "wikidata": item.qid,
            "sectors": sorted(item.industries), "distinct_from": homonyms, "sources": [self.source_id],
        }
        record = self._validated(Organisation, "organisations", {k: v for k, v in raw.items() if v}, item.qid)
        return record.id if record else None

    def people(self, item: _Item, organisation_id: str) -> None:
        for qid, label, role in sorted(item.people):
            person_id, homonyms = self.index.resolve("people", label, {"wikidata": qid})
            raw = {"id": person_id, "name": label, "wikidata": qid, "sources": [self.source_id],
                   "distinct_from": homonyms}
            person = self._validated(Person, "people", {k: v for k, v in raw.items() if v}, qid)
            if person is None:
                continue
            role_id = self.index.role_id(person.id, role, organisation_id)
            self._validated(Role, "roles", {"id": role_id, "member": person.id, "organisation": organisation_id,
                                            "role": role, "sources": [self.source_id]}, qid)

    def city_link(self, place: Place, qid: str) -> None:
        """The curated city with its ``owl:sameAs`` (reported by the merge: curated places are not rewritten)."""
        sourced = {"value": qid, "sources": [self.source_id]}
        self.batch.add("places", Place.model_validate({**record_dict(place), "wikidata": sourced}))


@dataclass
class SparqlResult:
    batch: Batch
    cities: CityResolution
    warnings: list[str]
    requests: int
    cached_answers: int


def source_for(endpoint_url: str, query_name: str, retrieved: dt.date, index: EntityIndex) -> Source:
    """The ``dataset`` source of a query's results: the endpoint (with the query's name) and retrieval date."""
    url = f"{endpoint_url}#{query_name}"
    host = urlsplit(endpoint_url).hostname or endpoint_url
    publisher = "Wikidata" if host.endswith("wikidata.org") else host
    return Source(id=index.source_by_url.get(url) or f"sparql-{slugify(host)}-{query_name}", url=url,
                  title=f"{publisher} SPARQL query results: {query_name} of the cities of ftgraph",
                  publisher=publisher, date=retrieved.isoformat(), type="dataset",
                  date_basis="retrieval date of the query results (ftgraph ingest sparql)")


def load_sparql(endpoint: PoliteEndpoint, query_name: str, dataset: Dataset, index: EntityIndex, *,
                batch_size: int = 25, progress: Progress | None = None) -> SparqlResult:
    """Run query ``query_name`` for the graph's cities and map its rows to a batch of records."""
    template = query_template(query_name)
    cities, answers = resolve_cities(endpoint, dataset, progress=progress)
    if not cities.place_of:
        raise InputError(f"{endpoint.url}: none of the graph's communes was found on the endpoint "
                         f"({len(cities.unresolved)} unresolved, {len(cities.ambiguous)} ambiguous)")
    bindings: list[dict[str, dict[str, str]]] = []
    city_iris = sorted(cities.place_of)
    batches = _batches(city_iris, batch_size)
    for city_batch in progress.iterate(batches, f"query {query_name}", len(batches)) if progress else batches:
        values = " ".join(str(pyoxigraph.NamedNode(iri)) for iri in city_batch)
        answer = endpoint.select(template.substitute(cities=values))
        answers.append(answer)
        bindings += answer.bindings
    retrieved = max(answer.retrieved for answer in answers).date()
    source = source_for(endpoint.url, query_name, retrieved, index)
    batch = Batch(f"sparql-{query_name}", f"the SPARQL query '{query_name}' on {endpoint.url}")
    batch.add_source(source)
    index.add("sources", source)
    mapper = _Mapper(index, batch, source.id)
    for place_id, qid in sorted(cities.found_by_label.items()):
        place = dataset.get(place_id)
        assert isinstance(place, Place)
        mapper.city_link(place, qid)
    for item in group_rows(bindings, cities.place_of).values():
        if not item.labels:
            continue
        organisation_id = mapper.organisation(item)
        if organisation_id:
            mapper.people(item, organisation_id)
    cached = sum(answer.from_cache for answer in answers)
    return SparqlResult(batch, cities, mapper.warnings, endpoint.requests, cached)
