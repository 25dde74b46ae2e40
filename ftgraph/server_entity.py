"""Linked data: what the server answers for one entity IRI, computed in a query worker.

- :class:`EntityJob` gathers what the HTML page shows: label, classes, every fact with the sources
  that support it (a fact's own statement node's sources when it has one, else the record's
  ``prov:wasDerivedFrom``; see docs/data-format.md), the values only claimed by some sources
  (non-preferred statements), incoming links, the sources themselves and a small network of
  labelled neighbours. An ``owl:Ontology`` document also lists the terms defined under its IRI
  (``ONTOLOGY#Term``), so hash IRIs resolve to an anchor of that page.
- :class:`EntityRdfJob` serialises the entity's description for RDF clients: its triples, the
  triples pointing to it and its statement nodes (claims with their sources).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from ftgraph.engine import XSD, EmbeddedEngine
from ftgraph.server_sparql import GRAPH_FORMATS, Answer, project_prefixes, serialize_triples

__all__ = ["Entity", "EntityJob", "EntityRdfJob", "Fact", "Link", "Source", "Text", "local_href"]

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
PROV = "http://www.w3.org/ns/prov#"
_TYPE, _DERIVED_FROM, _SUBJECT = RDF + "type", PROV + "wasDerivedFrom", RDF + "subject"
#: Links that are not ties between entities: not drawn in the network view.
_NOT_TIES = frozenset({_TYPE, _DERIVED_FROM, _SUBJECT})
_NETWORK_NEIGHBOURS = 60

_PREFIXES = """PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX schema: <http://schema.org/>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX ft: <https://w3id.org/ftgraph/ontology#>
"""
_EXISTS = _PREFIXES + "ASK { { ?x ?p ?o } UNION { ?s ?p ?x } }"
_IS_ONTOLOGY = _PREFIXES + "ASK { ?x a owl:Ontology }"
_FACTS = _PREFIXES + "SELECT ?p ?o WHERE { ?x ?p ?o }"
_INCOMING = _PREFIXES + "SELECT ?s ?p WHERE { ?s ?p ?x FILTER(?p != rdf:subject) } ORDER BY ?p ?s LIMIT {limit}"
_CLAIMS = _PREFIXES + """SELECT ?claim ?p ?o ?source ?preferred ?note WHERE {
  ?claim rdf:subject ?x ; rdf:predicate ?p ; rdf:object ?o .
  OPTIONAL { ?claim prov:wasDerivedFrom ?source }
  OPTIONAL { ?claim ft:preferred ?preferred }
  OPTIONAL { ?claim rdfs:comment ?note }
}"""
_TERMS = _PREFIXES + "SELECT ?t ?p ?o WHERE { ?t ?p ?o FILTER(STRSTARTS(STR(?t), ?prefix)) } ORDER BY ?t"
_LABELS = _PREFIXES + """SELECT ?s ?label ?type WHERE {
  VALUES ?s { {iris} }
  OPTIONAL { ?s rdfs:label|skos:prefLabel|dcterms:title ?label }
  OPTIONAL { ?s a ?type }
}"""
_SOURCES = _PREFIXES + """SELECT ?s ?title ?publisher ?date ?url WHERE {
  VALUES ?s { {iris} }
  OPTIONAL { ?s dcterms:title ?title } OPTIONAL { ?s dcterms:publisher ?publisher }
  OPTIONAL { ?s dcterms:issued ?date } OPTIONAL { ?s schema:url ?url }
}"""
_DESCRIPTION = _PREFIXES + """CONSTRUCT { ?x ?p ?o . ?s ?q ?x . ?claim ?cp ?co }
WHERE { { ?x ?p ?o } UNION { ?s ?q ?x } UNION { ?claim rdf:subject ?x ; ?cp ?co } }"""
_TERM_DESCRIPTION = _PREFIXES + "CONSTRUCT { ?t ?p ?o } WHERE { ?t ?p ?o FILTER(STRSTARTS(STR(?t), ?prefix)) }"
#: Label languages in order of preference ("" is a plain literal: names of people and organisations).
_LANGUAGES = ("en", "", "fr")


def local_href(iri: str, base_iri: str) -> str | None:
    """Where a link to ``iri`` goes: this server's path for an IRI under ``base_iri``, the IRI
    itself for another web IRI, None for anything else (``javascript:``, ``urn:``...)."""
    if iri.startswith(base_iri):
        return "/" + iri[len(base_iri):]
    if iri.startswith(("http://", "https://")):
        return iri
    return None


@dataclass(frozen=True)
class Link:
    """An IRI as shown on a page."""

    iri: str
    label: str
    href: str | None
    kind: str = ""  #: short name of its class, when known


@dataclass(frozen=True)
class Text:
    """A literal as shown on a page: its text and its language tag or datatype."""

    value: str
    note: str = ""


@dataclass(frozen=True)
class Fact:
    """One statement about the entity and the numbers of its sources (see :attr:`Entity.sources`)."""

    predicate: Link
    value: Link | Text
    sources: tuple[int, ...] = ()
    preferred: bool | None = None  #: for claims: whether this value is the preferred one
    note: str = ""


@dataclass(frozen=True)
class Source:
    number: int
    link: Link
    title: str
    publisher: str
    date: str
    url: str | None  #: only http(s) URLs


@dataclass(frozen=True)
class Term:
    """A term defined in an ontology document (``DOCUMENT#name``)."""

    anchor: str
    link: Link
    facts: list[Fact]


@dataclass
class Entity:
    """Everything the entity page shows."""

    link: Link
    classes: list[Link]
    facts: list[Fact]
    claims: list[Fact]  #: values given by some sources but not preferred (only in statement nodes)
    incoming: list[tuple[Link, Link]]  #: (subject, predicate) of the links to this entity
    incoming_truncated: bool
    sources: list[Source]
    terms: list[Term] = field(default_factory=list)
    network: dict[str, Any] = field(default_factory=dict)


class _Namer:
    """Labels and short names of IRIs, looked up in batches."""

    def __init__(self, engine: EmbeddedEngine, base_iri: str) -> None:
        self.engine = engine
        self.base_iri = base_iri
        self.prefixes = sorted(project_prefixes().items(), key=lambda item: -len(item[1]))
        self.labels: dict[str, str] = {}
        self.kinds: dict[str, str] = {}

    def short(self, iri: str) -> str:
        """An IRI as a prefixed name (``ft:Startup``), a data IRI as its path under the base
        (``org/atos``), else the IRI itself."""
        for prefix, namespace in self.prefixes:
            if iri.startswith(namespace):
                return f"{prefix}:{iri[len(namespace):]}"
        if iri.startswith(self.base_iri):
            return iri[len(self.base_iri):]
        return iri

    def load(self, iris: Iterable[str]) -> None:
        """Fetch the labels and classes of ``iris`` (in chunks)."""
        todo = sorted({iri for iri in iris if iri not in self.labels})
        for start in range(0, len(todo), 400):
            chunk = todo[start:start + 400]
            query = _LABELS.replace("{iris}", " ".join(str(ox.NamedNode(iri)) for iri in chunk))
            labels: dict[str, list[ox.Literal]] = defaultdict(list)
            for row in self.engine.select_terms(query):
                iri = row["s"].value
                if isinstance(row["label"], ox.Literal):
                    labels[iri].append(row["label"])
                if isinstance(row["type"], ox.NamedNode) and iri not in self.kinds:
                    self.kinds[iri] = self.short(row["type"].value)
            for iri in chunk:
                self.labels[iri] = _best_label(labels.get(iri, [])) or self.short(iri)

    def link(self, iri: str) -> Link:
        return Link(iri, self.labels.get(iri) or self.short(iri), local_href(iri, self.base_iri),
                    self.kinds.get(iri, ""))

    def predicate(self, iri: str) -> Link:
        """A property by its prefixed name (what a SPARQL query writes)."""
        return Link(iri, self.short(iri), local_href(iri, self.base_iri))

    def has_label(self, iri: str) -> bool:
        return self.labels.get(iri, self.short(iri)) != self.short(iri)

    def value(self, term: ox.NamedNode | ox.BlankNode | ox.Literal) -> Link | Text:
        if isinstance(term, ox.NamedNode):
            return self.link(term.value)
        if isinstance(term, ox.BlankNode):
            return Text(f"_:{term.value}", "blank node")
        if term.language:
            return Text(term.value, f"@{term.language}")
        datatype = term.datatype.value
        return Text(term.value, "" if datatype == XSD + "string" else self.short(datatype))


def _best_label(labels: list[ox.Literal]) -> str:
    def rank(label: ox.Literal) -> int:
        language = label.language or ""
        return _LANGUAGES.index(language) if language in _LANGUAGES else len(_LANGUAGES)

    return min(labels, key=rank).value if labels else ""


def _subject(iri: str) -> dict[str, ox.NamedNode] | None:
    """The ``?x`` parameter for ``iri``; None when the requested path does not make a valid IRI."""
    try:
        return {"x": ox.NamedNode(iri)}
    except ValueError:
        return None


def _key(predicate: ox.NamedNode, value: ox.NamedNode | ox.BlankNode | ox.Literal) -> tuple[str, str]:
    return predicate.value, str(value)


@dataclass(frozen=True)
class EntityJob:
    """The entity page's content for ``iri`` (None when the graph does not mention it)."""

    iri: str
    base_iri: str
    max_links: int = 500

    def __call__(self, store: ox.Store) -> Entity | None:
        engine = EmbeddedEngine(store)
        x = _subject(self.iri)
        if x is None or not engine.ask(_EXISTS, x):
            return None
        facts = [(row["p"], row["o"]) for row in engine.select_terms(_FACTS, x)]
        incoming = [(row["s"], row["p"]) for row in
                    engine.select_terms(_INCOMING.replace("{limit}", str(self.max_links + 1)), x)]
        claims = engine.select_terms(_CLAIMS, x)
        terms = (engine.select_terms(_TERMS, {"prefix": ox.Literal(self.iri + "#")})
                 if engine.ask(_IS_ONTOLOGY, x) else [])
        namer = _Namer(engine, self.base_iri)
        mentioned = {self.iri} | {term.value for row in (*facts, *incoming) for term in row
                                  if isinstance(term, ox.NamedNode)}
        mentioned |= {row[name].value for row in (*claims, *terms) for name in ("p", "o", "t", "source")
                      if isinstance(row.get(name), ox.NamedNode)}
        namer.load(mentioned)

        record_sources = [o.value for p, o in facts if p.value == _DERIVED_FROM and isinstance(o, ox.NamedNode)]
        claim_sources: dict[tuple[str, str], list[str]] = defaultdict(list)
        for row in claims:
            if isinstance(row["source"], ox.NamedNode):
                claim_sources[_key(row["p"], row["o"])].append(row["source"].value)
        sources = self._sources(engine, namer, [*record_sources, *(s for ss in claim_sources.values() for s in ss)])
        number = {source.link.iri: source.number for source in sources}

        def numbers(iris: Iterable[str]) -> tuple[int, ...]:
            return tuple(sorted({number[iri] for iri in iris if iri in number}))

        shown = [(p, o) for p, o in facts if p.value not in (_TYPE, _DERIVED_FROM)]
        return Entity(
            link=namer.link(self.iri),
            classes=[namer.link(o.value) for p, o in facts if p.value == _TYPE and isinstance(o, ox.NamedNode)],
            facts=[Fact(namer.predicate(p.value), namer.value(o),
                        numbers(claim_sources.get(_key(p, o), record_sources)))
                   for p, o in sorted(shown, key=lambda fact: (namer.short(fact[0].value), str(fact[1])))],
            claims=self._claims(claims, namer, numbers),
            incoming=[(namer.link(s.value), namer.predicate(p.value)) for s, p in incoming[:self.max_links]
                      if isinstance(s, ox.NamedNode)],
            incoming_truncated=len(incoming) > self.max_links,
            sources=sources,
            terms=self._terms(terms, namer),
            network=self._network(facts, incoming, namer),
        )

    def _sources(self, engine: EmbeddedEngine, namer: _Namer, iris: list[str]) -> list[Source]:
        ordered = list(dict.fromkeys(iris))
        if not ordered:
            return []
        query = _SOURCES.replace("{iris}", " ".join(str(ox.NamedNode(iri)) for iri in ordered))
        details: dict[str, dict[str, str]] = defaultdict(dict)
        for row in engine.select_terms(query):
            for name in ("title", "publisher", "date", "url"):
                if row[name] is not None:
                    details[row["s"].value].setdefault(name, row[name].value)
        out = []
        for number, iri in enumerate(ordered, start=1):
            info = details.get(iri, {})
            url = info.get("url")
            out.append(Source(number, namer.link(iri), info.get("title", ""), info.get("publisher", ""),
                              info.get("date", ""), url if url and url.startswith(("http://", "https://")) else None))
        return out

    @staticmethod
    def _claims(claims: list[dict[str, Any]], namer: _Namer,
                numbers: Callable[[Iterable[str]], tuple[int, ...]]) -> list[Fact]:
        """The values that are only claimed (statement nodes with ``ft:preferred false``)."""
        grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in claims:
            grouped[row["claim"].value].append(row)
        out = []
        for rows in grouped.values():
            first = rows[0]
            if first["preferred"] is None or first["preferred"].value not in ("false", "0"):
                continue
            out.append(Fact(namer.predicate(first["p"].value), namer.value(first["o"]),
                            numbers(row["source"].value for row in rows if row["source"] is not None),
                            preferred=False, note=first["note"].value if first["note"] is not None else ""))
        return sorted(out, key=lambda fact: (fact.predicate.label, str(fact.value)))

    def _terms(self, rows: list[dict[str, Any]], namer: _Namer) -> list[Term]:
        by_term: dict[str, list[Fact]] = defaultdict(list)
        for row in rows:
            by_term[row["t"].value].append(Fact(namer.predicate(row["p"].value), namer.value(row["o"])))
        prefix = self.iri + "#"
        return [Term(iri[len(prefix):], namer.link(iri), sorted(facts, key=lambda f: (f.predicate.label, str(f.value))))
                for iri, facts in sorted(by_term.items())]

    def _network(self, facts: list[tuple[Any, Any]], incoming: list[tuple[Any, Any]], namer: _Namer) -> dict[str, Any]:
        """The entity and its labelled neighbours (ties only: no classes, sources or statements)."""
        edges: list[tuple[str, str, str]] = []
        for p, o in facts:
            if isinstance(o, ox.NamedNode) and p.value not in _NOT_TIES and namer.has_label(o.value):
                edges.append((self.iri, o.value, namer.short(p.value)))
        for s, p in incoming:
            if isinstance(s, ox.NamedNode) and p.value not in _NOT_TIES and namer.has_label(s.value):
                edges.append((s.value, self.iri, namer.short(p.value)))
        neighbours = list(dict.fromkeys(iri for edge in edges for iri in edge[:2] if iri != self.iri))
        kept = set(neighbours[:_NETWORK_NEIGHBOURS]) | {self.iri}
        nodes = [{"id": iri, "label": namer.link(iri).label, "href": namer.link(iri).href, "center": iri == self.iri}
                 for iri in [self.iri, *neighbours[:_NETWORK_NEIGHBOURS]]]
        links = [{"from": a, "to": b, "label": label}
                 for a, b, label in dict.fromkeys(edges) if a in kept and b in kept]
        return {"nodes": nodes, "edges": links, "more": max(0, len(neighbours) - _NETWORK_NEIGHBOURS)}


@dataclass(frozen=True)
class EntityRdfJob:
    """The entity's description in an RDF format (None when the graph does not mention it)."""

    iri: str
    base_iri: str
    format_name: str
    max_triples: int

    def __call__(self, store: ox.Store) -> Answer | None:
        engine = EmbeddedEngine(store)
        x = _subject(self.iri)
        if x is None or not engine.ask(_EXISTS, x):
            return None
        triples = engine.construct(_DESCRIPTION, x)
        if engine.ask(_IS_ONTOLOGY, x):
            triples += engine.construct(_TERM_DESCRIPTION, {"prefix": ox.Literal(self.iri + "#")})
        kept = sorted(triples, key=str)[:self.max_triples + 1]
        fmt = next(fmt for fmt in GRAPH_FORMATS if fmt.name == self.format_name)
        body = serialize_triples(kept[:self.max_triples], fmt, project_prefixes())
        return Answer(body, fmt.name, self.max_triples if len(kept) > self.max_triples else None)
