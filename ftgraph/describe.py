"""Dataset description (VoID + DCAT), generated from the graph itself.

The description says what the dataset is (title, description, licence, creators, version, dates,
temporal and spatial coverage), what it holds (triple and entity counts, one class partition per class
and one property partition per property, with counts), where it is (one distribution per export file,
with its media type, size and SHA-256 checksum), how it links out (a ``void:Linkset`` of the
``owl:sameAs`` links to Wikidata), which named graphs the N-Quads/TriG exports hold (one
``void:subset`` per curated file, with its triple count) and which sources it rests on
(``dcterms:source``, one per ``ft:Source``).

Counts are read off the exported triples, so they are the real counts of the files; the tests
recompute them with SPARQL on a parsed export. Every node of the description has an IRI under
``BASE dataset``, so the description is deterministic like the exports.

An *entity* (``void:entities``) is a curated record: a node whose IRI is ``BASE <kind>/<id>`` (see
``void:uriRegexPattern``); intervals, claims, participations and shortcuts are parts of records.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox
from rdflib import Namespace
from rdflib.namespace import DCTERMS, FOAF, OWL, RDF, VOID, XSD

from ftgraph.export import Exporter, curated_files, file_graph_name, prefixes, serialize
from ftgraph.mapping import KIND_PATHS
from ftgraph.namespaces import FT, WD

DCAT = Namespace("http://www.w3.org/ns/dcat#")  # rdflib's DCAT lacks DCAT 3 terms (dcat:version)
SPDX = "http://spdx.org/rdf/terms#"
DESCRIPTION_PREFIXES = {"spdx": SPDX}
LICENCE = "https://creativecommons.org/licenses/by/4.0/"
TITLE = {
    "en": "ftgraph: a sourced knowledge graph of the French Tech ecosystem",
    "fr": "ftgraph : graphe de connaissances sourcé de l'écosystème French Tech",
}
DESCRIPTION = {
    "en": "The French Tech metropoles and communities, their local actors (startups, associations, "
          "incubators, public bodies, research), the people and their dated roles, the events and the "
          "labels awarded since 2013. Every fact is linked to the press article or official page it "
          "comes from.",
    "fr": "Les métropoles et communautés French Tech, leurs acteurs locaux (startups, associations, "
          "incubateurs, organismes publics, recherche), les personnes et leurs rôles datés, les "
          "événements et les labels attribués depuis 2013. Chaque fait est relié à l'article de presse "
          "ou à la page officielle dont il provient.",
}
CREATOR_NAME = "ftgraph contributors"
KEYWORDS = ("French Tech", "startups", "entrepreneurial ecosystem", "innovation policy", "France",
            "knowledge graph", "linked data")
LANGUAGES = ("FRA", "ENG")  # EU publications office authority table
EU_LANGUAGE = "http://publications.europa.eu/resource/authority/language/"
FRANCE = WD["Q142"]
#: External datasets that ``owl:sameAs`` links point into: namespace → (slug, title, homepage).
LINK_TARGETS: dict[str, tuple[str, str, str]] = {
    str(WD): ("wikidata", "Wikidata", "https://www.wikidata.org/"),
}
#: Date properties whose values bound the temporal coverage.
COVERAGE_DATES = ("http://schema.org/startDate", "http://schema.org/endDate", str(DCTERMS.date))


@dataclass(frozen=True)
class Distribution:
    """One downloadable file of a release."""

    file_name: str
    title: str
    media_type: str
    byte_size: int
    sha256: str
    #: Whether the file is an RDF dump of the whole dataset (``void:dataDump``).
    rdf_dump: bool

    @classmethod
    def of_file(cls, path: Path, title: str, media_type: str, rdf_dump: bool) -> Distribution:
        data = path.read_bytes()
        return cls(path.name, title, media_type, len(data), hashlib.sha256(data).hexdigest(), rdf_dump)


def _iri(value: str) -> ox.NamedNode:
    return ox.NamedNode(str(value))


def _text(value: str, language: str | None = None) -> ox.Literal:
    return ox.Literal(value, language=language) if language else ox.Literal(value)


def _count(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=_iri(XSD.integer))


def slug(iri: str, base_iri: str) -> str:
    """A readable, IRI-safe name for a term: ``ft-Startup`` for ``ft:Startup``."""
    for prefix, namespace in sorted(prefixes(base_iri).items(), key=lambda item: -len(item[1])):
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}-{quote(iri[len(namespace):], safe='')}"
    return quote(iri, safe="")


def entity_pattern(base_iri: str) -> str:
    """Regular expression of the IRIs of curated records (the dataset's entities)."""
    kinds = "|".join(sorted(KIND_PATHS.values()))
    return f"^{re.escape(base_iri)}({kinds})/[^/]+$"


@dataclass(frozen=True)
class Statistics:
    """Counts read off the triples of the graph."""

    triples: int
    entities: int
    distinct_subjects: int
    distinct_objects: int
    classes: Counter[str]  # class IRI → number of distinct instances
    properties: Counter[str]  # property IRI → number of triples
    links: Counter[str]  # target namespace → number of owl:sameAs triples into it
    coverage: tuple[ox.Literal, ox.Literal] | None  # earliest and latest date of the facts
    sources: list[ox.NamedNode]
    examples: list[ox.NamedNode]


def _dates(triples: Iterable[ox.Triple]) -> Iterator[ox.Literal]:
    for triple in triples:
        if triple.predicate.value in COVERAGE_DATES and isinstance(triple.object, ox.Literal):
            yield triple.object


def _instances(triples: list[ox.Triple], cls: str) -> list[ox.NamedNode]:
    return sorted({t.subject for t in triples if t.predicate.value == str(RDF.type)
                   and isinstance(t.object, ox.NamedNode) and t.object.value == cls
                   and isinstance(t.subject, ox.NamedNode)}, key=str)


def statistics(triples: list[ox.Triple], base_iri: str) -> Statistics:
    """Triple, entity, class, property and link counts of ``triples``."""
    is_entity = re.compile(entity_pattern(base_iri)).match
    instances: dict[str, set[str]] = {}
    for triple in triples:
        if triple.predicate.value == str(RDF.type) and isinstance(triple.object, ox.NamedNode):
            instances.setdefault(triple.object.value, set()).add(str(triple.subject))
    links = Counter(
        namespace for triple in triples
        if triple.predicate.value == str(OWL.sameAs) and isinstance(triple.object, ox.NamedNode)
        for namespace in LINK_TARGETS if triple.object.value.startswith(namespace)
    )
    dates = sorted(_dates(triples), key=lambda literal: literal.value)
    return Statistics(
        triples=len(triples),
        entities=len({t.subject.value for t in triples if isinstance(t.subject, ox.NamedNode)
                      and is_entity(t.subject.value)}),
        distinct_subjects=len({str(t.subject) for t in triples}),
        distinct_objects=len({str(t.object) for t in triples}),
        classes=Counter({cls: len(members) for cls, members in instances.items()}),
        properties=Counter(t.predicate.value for t in triples),
        links=links,
        coverage=(dates[0], dates[-1]) if dates else None,
        sources=_instances(triples, str(FT.Source)),
        examples=_instances(triples, str(FT.Ecosystem)),
    )


class _Description:
    """Accumulates the triples of the description."""

    def __init__(self, base_iri: str) -> None:
        self.base = base_iri
        self.dataset = _iri(f"{base_iri}dataset")
        self.triples: list[ox.Triple] = []

    def node(self, path: str) -> ox.NamedNode:
        return _iri(f"{self.dataset.value}/{path}")

    def add(self, subject: ox.NamedNode, predicate: str, obj: ox.NamedNode | ox.Literal) -> None:
        self.triples.append(ox.Triple(subject, _iri(predicate), obj))

    def typed(self, subject: ox.NamedNode, *classes: str) -> ox.NamedNode:
        for cls in classes:
            self.add(subject, RDF.type, _iri(cls))
        return subject


def describe(exporter: Exporter, distributions: Iterable[Distribution], *, version: str, issued: dt.date,
             download_base: str) -> list[ox.Triple]:
    """VoID + DCAT description of the exported graph; distribution files are under ``download_base``."""
    base = exporter.built.base_iri
    stats = statistics(exporter.triples, base)
    out = _Description(base)
    dataset = out.typed(out.dataset, VOID.Dataset, DCAT.Dataset)
    _describe_metadata(out, version, issued, stats)
    for name, value in (("triples", stats.triples), ("entities", stats.entities),
                        ("classes", len(stats.classes)), ("properties", len(stats.properties)),
                        ("distinctSubjects", stats.distinct_subjects), ("distinctObjects", stats.distinct_objects)):
        out.add(dataset, VOID[name], _count(value))
    out.add(dataset, VOID.uriSpace, _text(base))
    out.add(dataset, VOID.uriRegexPattern, _text(entity_pattern(base)))
    for example in stats.examples:
        out.add(dataset, VOID.exampleResource, example)
    for vocabulary in sorted(_vocabularies(stats, base)):
        out.add(dataset, VOID.vocabulary, _iri(vocabulary))
    for cls, count in sorted(stats.classes.items()):
        partition = out.typed(out.node(f"class/{slug(cls, base)}"), VOID.Dataset)
        out.add(dataset, VOID.classPartition, partition)
        out.add(partition, VOID["class"], _iri(cls))
        out.add(partition, VOID.entities, _count(count))
    for prop, count in sorted(stats.properties.items()):
        partition = out.typed(out.node(f"property/{slug(prop, base)}"), VOID.Dataset)
        out.add(dataset, VOID.propertyPartition, partition)
        out.add(partition, VOID.property, _iri(prop))
        out.add(partition, VOID.triples, _count(count))
    _describe_linksets(out, stats)
    _describe_named_graphs(out, exporter)
    for source in stats.sources:
        out.add(dataset, DCTERMS.source, source)
    for distribution in distributions:
        _describe_distribution(out, distribution, download_base)
    return out.triples


def _describe_metadata(out: _Description, version: str, issued: dt.date, stats: Statistics) -> None:
    dataset = out.dataset
    for language, title in TITLE.items():
        out.add(dataset, DCTERMS.title, _text(title, language))
    for language, description in DESCRIPTION.items():
        out.add(dataset, DCTERMS.description, _text(description, language))
    out.add(dataset, DCTERMS.license, _iri(LICENCE))
    creator = out.typed(out.node("creator"), FOAF.Organization)
    out.add(creator, FOAF.name, _text(CREATOR_NAME))
    out.add(dataset, DCTERMS.creator, creator)
    out.add(dataset, DCTERMS.publisher, creator)
    out.add(dataset, DCAT.version, _text(version))
    out.add(dataset, OWL.versionInfo, _text(version))
    day = ox.Literal(issued.isoformat(), datatype=_iri(XSD.date))
    out.add(dataset, DCTERMS.issued, day)
    out.add(dataset, DCTERMS.modified, day)
    out.add(dataset, DCTERMS.conformsTo, _iri(str(FT)[:-1]))
    out.add(dataset, DCTERMS.spatial, _iri(FRANCE))
    for keyword in KEYWORDS:
        out.add(dataset, DCAT.keyword, _text(keyword, "en"))
    for language in LANGUAGES:
        out.add(dataset, DCTERMS.language, _iri(EU_LANGUAGE + language))
    if stats.coverage:
        period = out.typed(out.node("period"), DCTERMS.PeriodOfTime)
        out.add(dataset, DCTERMS.temporal, period)
        out.add(period, DCAT.startDate, stats.coverage[0])
        out.add(period, DCAT.endDate, stats.coverage[1])


def _vocabularies(stats: Statistics, base_iri: str) -> set[str]:
    """Namespaces (among the project's prefixes) of the classes and properties used."""
    namespaces = [namespace for prefix, namespace in prefixes(base_iri).items() if prefix != "ftr"]
    return {namespace for term in (*stats.classes, *stats.properties) for namespace in namespaces
            if term.startswith(namespace)}


def _describe_linksets(out: _Description, stats: Statistics) -> None:
    for namespace, count in sorted(stats.links.items()):
        name, title, homepage = LINK_TARGETS[namespace]
        target = out.typed(out.node(f"target/{name}"), VOID.Dataset)
        out.add(target, DCTERMS.title, _text(title))
        out.add(target, FOAF.homepage, _iri(homepage))
        out.add(target, VOID.uriSpace, _text(namespace))
        linkset = out.typed(out.node(f"linkset/{name}"), VOID.Linkset)
        out.add(out.dataset, VOID.subset, linkset)
        out.add(linkset, VOID.linkPredicate, _iri(OWL.sameAs))
        out.add(linkset, VOID.subjectsTarget, out.dataset)
        out.add(linkset, VOID.objectsTarget, target)
        out.add(linkset, VOID.triples, _count(count))


def _describe_named_graphs(out: _Description, exporter: Exporter) -> None:
    """One subset per named graph of the N-Quads/TriG exports, with its triple count."""
    base = exporter.built.base_iri
    files = {file_graph_name(base, path): path for path in set(curated_files(exporter.built).values())}
    counts = Counter(quad.graph_name for quad in exporter.quads if isinstance(quad.graph_name, ox.NamedNode))
    for graph, count in sorted(counts.items(), key=lambda item: str(item[0])):
        subset = out.typed(graph, VOID.Dataset)
        out.add(out.dataset, VOID.subset, subset)
        out.add(subset, VOID.triples, _count(count))
        title = f"curated file {files[graph.value]}" if graph.value in files else "ontology"
        out.add(subset, DCTERMS.title, _text(title, "en"))


def _describe_distribution(out: _Description, distribution: Distribution, download_base: str) -> None:
    node = out.typed(out.node(f"distribution/{quote(distribution.file_name)}"), DCAT.Distribution)
    url = _iri(download_base + quote(distribution.file_name))
    out.add(out.dataset, DCAT.distribution, node)
    if distribution.rdf_dump:
        out.add(out.dataset, VOID.dataDump, url)
    out.add(node, DCTERMS.title, _text(distribution.title, "en"))
    out.add(node, DCAT.downloadURL, url)
    out.add(node, DCAT.accessURL, url)
    out.add(node, DCAT.mediaType, _iri(f"https://www.iana.org/assignments/media-types/{distribution.media_type}"))
    out.add(node, DCAT.byteSize, ox.Literal(str(distribution.byte_size), datatype=_iri(XSD.nonNegativeInteger)))
    out.add(node, DCTERMS.license, _iri(LICENCE))
    checksum = out.typed(_iri(f"{node.value}/checksum"), SPDX + "Checksum")
    out.add(node, SPDX + "checksum", checksum)
    out.add(checksum, SPDX + "algorithm", _iri(SPDX + "checksumAlgorithm_sha256"))
    out.add(checksum, SPDX + "checksumValue", ox.Literal(distribution.sha256, datatype=_iri(XSD.hexBinary)))


def description_turtle(triples: list[ox.Triple]) -> str:
    """The description as Turtle, deterministic like the exports."""
    return serialize(triples, ox.RdfFormat.TURTLE, DESCRIPTION_PREFIXES)
