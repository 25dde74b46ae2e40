"""Schema of the curated records in ``data/`` (see docs/data-format.md).

Pydantic models with ``extra="forbid"`` so that a property the schema does not know is an error.
Cross-record checks (references, duplicate ids) live in :mod:`ftgraph.loader`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Generic, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

ID_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_IRI_FORBIDDEN = re.compile(r'[\s<>"{}|\\^`]')


def _partial_date(value: Any) -> str:
    """Accept YYYY, YYYY-MM, YYYY-MM-DD (YAML may already have parsed them as int or date)."""
    if isinstance(value, dt.datetime):
        raise ValueError("a date, not a timestamp, is expected (YYYY, YYYY-MM or YYYY-MM-DD)")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError("a date is expected (YYYY, YYYY-MM or YYYY-MM-DD)")
    match = _DATE.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a date of the form YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = match.groups()
    try:
        dt.date(int(year), int(month or 1), int(day or 1))
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a valid date: {exc}") from None
    if not 1800 <= int(year) <= 2100:
        raise ValueError(f"{value!r} is outside the plausible range 1800-2100")
    return value


def _iri(value: Any) -> str:
    """An absolute http(s) URL usable as an IRI, kept exactly as written."""
    if not isinstance(value, str):
        raise ValueError("a URL is expected")
    if _IRI_FORBIDDEN.search(value):
        raise ValueError(f"{value!r} is not a valid IRI (spaces or characters such as <>\"{{}}|\\^`)")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{value!r} is not an absolute http(s) URL")
    return value


def _text(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        if not value:
            raise ValueError("must not be empty")
    return value


PartialDate = Annotated[str, BeforeValidator(_partial_date)]
Url = Annotated[str, BeforeValidator(_iri)]
Text = Annotated[str, BeforeValidator(_text)]
Id = Annotated[str, Field(pattern=ID_PATTERN)]

def _digits_as_text(value: Any) -> Any:
    """YAML reads unquoted codes as numbers; codes are text (and keep their leading zeros when quoted)."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


# INSEE codes: commune (5 characters, Corsica 2A/2B), département (2-3), region (2), EPCI SIREN (9).
Insee = Annotated[str, BeforeValidator(_digits_as_text), Field(pattern=r"^(\d{5}|2[AB]\d{3}|\d{2,3}|\d{9})$")]
Siren = Annotated[str, BeforeValidator(_digits_as_text), Field(pattern=r"^\d{9}$")]
Qid = Annotated[str, Field(pattern=r"^Q[1-9]\d*$")]

T = TypeVar("T")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Claim(Strict, Generic[T]):
    """A field value with its own sources (sourced form), possibly one of several conflicting values."""

    value: T
    sources: list[Id] = Field(min_length=1)
    preferred: bool = False
    note: Text | None = None


# A field in sourced form: a plain value, one claim, or conflicting claims (exactly one preferred).
SourcedDate = PartialDate | Claim[PartialDate] | list[Claim[PartialDate]]
SourcedId = Id | Claim[Id] | list[Claim[Id]]
SourcedUrl = Url | Claim[Url] | list[Claim[Url]]
SourcedInsee = Insee | Claim[Insee] | list[Claim[Insee]]
SourcedSiren = Siren | Claim[Siren] | list[Claim[Siren]]
SourcedQid = Qid | Claim[Qid] | list[Claim[Qid]]


def claims_of(field_value: Any) -> list[Claim[Any]]:
    """Normalise a sourced field to its claims; a plain value becomes one preferred claim without sources
    of its own (the record's sources support it)."""
    if field_value is None:
        return []
    if isinstance(field_value, list):
        return field_value
    if isinstance(field_value, Claim):
        return [field_value.model_copy(update={"preferred": True})]
    return [Claim[Any].model_construct(value=field_value, sources=[], preferred=True, note=None)]


def preferred_value(field_value: Any) -> Any:
    """The value a fact takes by default (the preferred claim)."""
    for claim in claims_of(field_value):
        if claim.preferred:
            return claim.value
    return None


class Record(Strict):
    id: Id
    note: Text | None = None

    @model_validator(mode="after")
    def _one_preferred_per_conflict(self) -> Record:
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, list) and value and isinstance(value[0], Claim):
                preferred = sum(claim.preferred for claim in value)
                if preferred != 1:
                    raise ValueError(
                        f"field '{name}' lists {len(value)} conflicting values: exactly one must have "
                        f"'preferred: true' (found {preferred})"
                    )
        return self


class SourcedRecord(Record):
    sources: list[Id] = Field(min_length=1)


class Entity(SourcedRecord):
    """A named thing. ``distinct_from`` declares that another record with a similar name is a different
    entity (otherwise names that collide once accents and case are removed are reported as duplicates)."""

    name: Text
    alt_names: list[Text] = []
    distinct_from: list[Id] = []


class Source(Record):
    url: Url
    title: Text
    publisher: Text
    date: PartialDate
    date_basis: Text | None = None
    type: Literal["article", "official", "report", "dataset", "webpage"]
    authors: list[Text] = []
    language: Annotated[str, Field(pattern=r"^[a-z]{2}$")] = "fr"


class Place(Entity):
    type: Literal["commune", "intercommunalite", "departement", "region", "country", "building", "site"]
    insee: SourcedInsee | None = None
    within: Id | None = None
    wikidata: SourcedQid | None = None


OrganisationType = Literal[
    "ecosystem",
    "french-tech-association",
    "association",
    "cluster",
    "startup",
    "company",
    "incubator",
    "accelerator",
    "pepiniere",
    "coworking",
    "investor",
    "public-body",
    "ministry",
    "local-authority",
    "research",
    "school",
    "media",
    "network",
]


class Organisation(Entity):
    type: OrganisationType
    city: SourcedId | None = None
    territory: Id | None = None
    flagship: Id | None = None
    founded: SourcedDate | None = None
    dissolved: SourcedDate | None = None
    #: The organisation that continued this one (renamed, merged into, absorbed by).
    replaced_by: SourcedId | None = None
    website: SourcedUrl | None = None
    siren: SourcedSiren | None = None
    wikidata: SourcedQid | None = None
    sectors: list[Text] = []


class Person(Entity):
    wikidata: SourcedQid | None = None


class Role(SourcedRecord):
    member: Id
    organisation: Id
    role: Id
    title: Text | None = None
    start: SourcedDate | None = None
    end: SourcedDate | None = None


class Participant(Strict):
    agent: Id
    role: Id


EventType = Literal[
    "label-call",
    "candidacy",
    "labelling-decision",
    "visit",
    "launch",
    "ceremony",
    "conference",
    "announcement",
    "appointment",
    "report",
]


class Event(SourcedRecord):
    name: Text
    type: EventType
    date: SourcedDate
    end: SourcedDate | None = None
    place: Id | None = None
    participants: list[Participant] = []
    about: list[Id] = []
    candidate: Id | None = None
    call: Id | None = None
    outcome: Id | None = None
    criteria: list[Id] = []
    label: Id | None = None

    @model_validator(mode="after")
    def _candidacy_fields(self) -> Event:
        if self.type == "candidacy":
            missing = [name for name in ("candidate", "outcome") if getattr(self, name) is None]
            if missing:
                raise ValueError(f"a candidacy needs {' and '.join(missing)}")
        return self


class Award(SourcedRecord):
    label: Id
    awardee: Id
    decision: Id | None = None
    candidacy: Id | None = None
    date: SourcedDate
    valid_from: SourcedDate | None = None
    valid_to: SourcedDate | None = None


SCHEMES_NEEDING_SOURCES = ("labels", "criteria", "thematic-networks", "sectors")


class Concept(Record):
    scheme: Literal["labels", "criteria", "roles", "event-roles", "outcomes", "sectors", "thematic-networks"]
    label_fr: Text
    label_en: Text
    alt_labels: list[Text] = []
    definition_fr: Text | None = None
    definition_en: Text | None = None
    broader: Id | None = None
    notation: Text | None = None
    sources: list[Id] = []

    @model_validator(mode="after")
    def _sources_for_facts(self) -> Concept:
        if not self.sources and self.scheme in SCHEMES_NEEDING_SOURCES:
            raise ValueError(f"concepts of the '{self.scheme}' scheme state facts: 'sources' is required")
        return self


#: Record kinds, in the order the loader checks them (sources first: everything cites them).
KINDS: dict[str, type[Record]] = {
    "sources": Source,
    "concepts": Concept,
    "places": Place,
    "organisations": Organisation,
    "people": Person,
    "roles": Role,
    "events": Event,
    "awards": Award,
}
