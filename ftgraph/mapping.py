"""Turn validated records into RDF, following the mapping table of docs/data-format.md."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, ORG, OWL, PROV, RDF, RDFS, SKOS, TIME, XSD
from rdflib.term import Node

from ftgraph.loader import Dataset
from ftgraph.namespaces import FT, IGEO, SCHEMA, WD, bind_prefixes
from ftgraph.records import (
    Award,
    Claim,
    Concept,
    Event,
    Organisation,
    Person,
    Place,
    Record,
    Role,
    Source,
    claims_of,
)

#: IRI path segment of each record kind.
KIND_PATHS = {
    "sources": "source",
    "concepts": "concept",
    "places": "place",
    "organisations": "org",
    "people": "person",
    "roles": "membership",
    "events": "event",
    "awards": "award",
}

SOURCE_CLASSES = {
    "article": SCHEMA.NewsArticle,
    "official": SCHEMA.WebPage,
    "webpage": SCHEMA.WebPage,
    "report": SCHEMA.Report,
    "dataset": SCHEMA.Dataset,
}
PLACE_CLASSES = {
    "commune": FT.City,
    "intercommunalite": FT.Territory,
    "departement": FT.Departement,
    "region": FT.Region,
    "country": FT.Country,
    "building": FT.Building,
    "site": FT.Site,
}
ORGANISATION_CLASSES = {
    "ecosystem": FT.Ecosystem,
    "french-tech-association": FT.FrenchTechAssociation,
    "association": FT.Association,
    "cluster": FT.Cluster,
    "startup": FT.Startup,
    "company": FT.Company,
    "incubator": FT.Incubator,
    "accelerator": FT.Accelerator,
    "pepiniere": FT.Pepiniere,
    "coworking": FT.Coworking,
    "investor": FT.Investor,
    "public-body": FT.PublicBody,
    "ministry": FT.Ministry,
    "local-authority": FT.LocalAuthority,
    "research": FT.ResearchBody,
    "school": FT.School,
    "media": FT.Media,
    "network": FT.Network,
}
EVENT_CLASSES = {
    "label-call": FT.LabelCall,
    "candidacy": FT.Candidacy,
    "labelling-decision": FT.LabellingDecision,
    "visit": FT.OfficialVisit,
    "launch": FT.Launch,
    "ceremony": FT.Ceremony,
    "conference": FT.Conference,
    "announcement": FT.Announcement,
    "appointment": FT.Appointment,
    "report": FT.Reportage,
}
SCHEMES = {
    "labels": FT.LabelScheme,
    "criteria": FT.CriterionScheme,
    "roles": FT.RoleScheme,
    "event-roles": FT.EventRoleScheme,
    "outcomes": FT.OutcomeScheme,
    "sectors": FT.SectorScheme,
    "thematic-networks": FT.ThematicNetworkScheme,
}
FOUNDER_ROLES = ("role-founder", "role-co-founder")


def date_literal(partial: str) -> Literal:
    """xsd:gYear, xsd:gYearMonth or xsd:date, by the precision the source gave."""
    datatype = {1: XSD.gYear, 2: XSD.gYearMonth, 3: XSD.date}[len(partial.split("-"))]
    return Literal(partial, datatype=datatype)


def _instant_property(partial: str) -> URIRef:
    return {1: TIME.inXSDgYear, 2: TIME.inXSDgYearMonth, 3: TIME.inXSDDate}[len(partial.split("-"))]


class Mapper:
    """Accumulates the triples of a dataset under one base IRI."""

    def __init__(self, dataset: Dataset, base_iri: str) -> None:
        self.dataset = dataset
        self.base = base_iri
        self.graph = bind_prefixes(Graph(), base_iri)

    def iri(self, record_id: str) -> URIRef:
        kind = self.dataset.records[record_id].kind
        return URIRef(f"{self.base}{KIND_PATHS[kind]}/{record_id}")

    def add(self, subject: Node, predicate: Node, obj: Node) -> None:
        self.graph.add((subject, predicate, obj))

    def provenance(self, node: URIRef, sources: Iterable[str]) -> None:
        for source_id in sources:
            self.add(node, PROV.wasDerivedFrom, self.iri(source_id))

    def sourced(self, record: Record, node: URIRef, field: str, predicate: URIRef, to_rdf: Any) -> None:
        """Assert the preferred value of a sourced field; every value with sources of its own also gets a
        statement node carrying them (so conflicting values stay queryable with their sources)."""
        for index, claim in enumerate(claims_of(getattr(record, field))):
            obj = to_rdf(claim.value)
            if claim.preferred:
                self.add(node, predicate, obj)
            if isinstance(claim, Claim) and claim.sources:
                statement = URIRef(f"{node}/claim/{field}/{index + 1}")
                self.statement(statement, (node, predicate, obj), claim.sources)
                self.add(statement, FT.preferred, Literal(claim.preferred))
                if claim.note:
                    self.add(statement, RDFS.comment, Literal(claim.note, lang="en"))

    def statement(self, statement: URIRef, triple: tuple[URIRef, URIRef, Node], sources: Iterable[str]) -> None:
        """A reified statement carrying the sources of one triple whose subject has other sources."""
        subject, predicate, obj = triple
        self.add(statement, RDF.type, RDF.Statement)
        self.add(statement, RDF.subject, subject)
        self.add(statement, RDF.predicate, predicate)
        self.add(statement, RDF.object, obj)
        self.provenance(statement, sources)

    def shortcut(self, owner: URIRef, name: str, triple: tuple[URIRef, URIRef, Node], sources: list[str]) -> None:
        """Materialise a direct link derived from an n-ary record, sourced by that record."""
        self.add(*triple)
        self.statement(URIRef(f"{owner}/shortcut/{name}"), triple, sources)

    def names(self, record: Place | Organisation | Person, node: URIRef) -> None:
        self.add(node, RDFS.label, Literal(record.name))
        for alt in record.alt_names:
            self.add(node, SKOS.altLabel, Literal(alt))
        for other in record.distinct_from:
            self.add(node, OWL.differentFrom, self.iri(other))

    def wikidata(self, record: Record, node: URIRef) -> None:
        self.sourced(record, node, "wikidata", OWL.sameAs, lambda qid: WD[qid])

    def interval(self, owner: URIRef, predicate: URIRef, start: Any, end: Any, sources: list[str]) -> None:
        """An OWL-Time interval with IRIs derived from its owner (no blank nodes)."""
        begin, finish = (claims_of(value) for value in (start, end))
        if not begin and not finish:
            return
        interval = URIRef(f"{owner}/interval")
        self.add(owner, predicate, interval)
        self.add(interval, RDF.type, TIME.Interval)
        self.provenance(interval, sources)
        for claims, link, suffix in ((begin, TIME.hasBeginning, "start"), (finish, TIME.hasEnd, "end")):
            value = next((claim.value for claim in claims if claim.preferred), None)
            if value is None:
                continue
            instant = URIRef(f"{owner}/{suffix}")
            self.add(interval, link, instant)
            self.add(instant, RDF.type, TIME.Instant)
            self.add(instant, _instant_property(value), date_literal(value))
            self.provenance(instant, sources)

    # One method per record kind -------------------------------------------------------------------

    def source(self, record: Source, node: URIRef) -> None:
        for cls in (FT.Source, PROV.Entity, SOURCE_CLASSES[record.type]):
            self.add(node, RDF.type, cls)
        self.add(node, SCHEMA.url, URIRef(record.url))
        self.add(node, DCTERMS.title, Literal(record.title, lang=record.language))
        self.add(node, DCTERMS.publisher, Literal(record.publisher))
        self.add(node, DCTERMS.issued, date_literal(record.date))
        self.add(node, DCTERMS.language, Literal(record.language))
        if record.date_basis:
            self.add(node, FT.dateBasis, Literal(record.date_basis, lang="en"))
        for author in record.authors:
            self.add(node, DCTERMS.creator, Literal(author))

    def concept(self, record: Concept, node: URIRef) -> None:
        self.add(node, RDF.type, SKOS.Concept)
        if record.scheme in ("roles", "event-roles"):
            self.add(node, RDF.type, ORG.Role)
        self.add(node, SKOS.inScheme, SCHEMES[record.scheme])
        self.add(node, SKOS.prefLabel, Literal(record.label_fr, lang="fr"))
        self.add(node, SKOS.prefLabel, Literal(record.label_en, lang="en"))
        for alt in record.alt_labels:
            self.add(node, SKOS.altLabel, Literal(alt))
        if record.definition_fr:
            self.add(node, SKOS.definition, Literal(record.definition_fr, lang="fr"))
        if record.definition_en:
            self.add(node, SKOS.definition, Literal(record.definition_en, lang="en"))
        if record.broader:
            self.add(node, SKOS.broader, self.iri(record.broader))
        if record.notation:
            self.add(node, SKOS.notation, Literal(record.notation))

    def place(self, record: Place, node: URIRef) -> None:
        self.add(node, RDF.type, PLACE_CLASSES[record.type])
        self.names(record, node)
        self.sourced(record, node, "insee", IGEO.codeINSEE, Literal)
        if record.within:
            self.add(node, SCHEMA.containedInPlace, self.iri(record.within))
        self.wikidata(record, node)

    def organisation(self, record: Organisation, node: URIRef) -> None:
        self.add(node, RDF.type, ORG.Organization)
        self.add(node, RDF.type, ORGANISATION_CLASSES[record.type])
        self.names(record, node)
        self.sourced(record, node, "city", SCHEMA.location, self.iri)
        if record.territory:
            self.add(node, DCTERMS.spatial, self.iri(record.territory))
        if record.flagship:
            self.add(node, FT.flagshipBuilding, self.iri(record.flagship))
        self.sourced(record, node, "founded", SCHEMA.foundingDate, date_literal)
        self.sourced(record, node, "dissolved", SCHEMA.dissolutionDate, date_literal)
        self.sourced(record, node, "replaced_by", DCTERMS.isReplacedBy, self.iri)
        self.sourced(record, node, "website", FOAF.homepage, URIRef)
        self.sourced(record, node, "siren", FT.siren, Literal)
        self.wikidata(record, node)
        for sector in record.sectors:
            self.add(node, FT.sector, Literal(sector))

    def person(self, record: Person, node: URIRef) -> None:
        self.add(node, RDF.type, FOAF.Person)
        self.names(record, node)
        self.wikidata(record, node)

    def role(self, record: Role, node: URIRef) -> None:
        member, organisation = self.iri(record.member), self.iri(record.organisation)
        self.add(node, RDF.type, ORG.Membership)
        self.add(node, ORG.member, member)
        self.add(node, ORG.organization, organisation)
        self.add(node, ORG.role, self.iri(record.role))
        self.shortcut(node, "memberOf", (member, ORG.memberOf, organisation), record.sources)
        if record.role in FOUNDER_ROLES:
            self.shortcut(node, "founder", (organisation, SCHEMA.founder, member), record.sources)
        if record.title:
            self.add(node, FT.roleTitle, Literal(record.title, lang="fr"))
        self.sourced(record, node, "start", SCHEMA.startDate, date_literal)
        self.sourced(record, node, "end", SCHEMA.endDate, date_literal)
        self.interval(node, ORG.memberDuring, record.start, record.end, record.sources)

    def event(self, record: Event, node: URIRef) -> None:
        for cls in (FT.Event, PROV.Activity, EVENT_CLASSES[record.type]):
            self.add(node, RDF.type, cls)
        self.add(node, RDFS.label, Literal(record.name))
        self.sourced(record, node, "date", SCHEMA.startDate, date_literal)
        self.sourced(record, node, "end", SCHEMA.endDate, date_literal)
        if record.place:
            self.add(node, SCHEMA.location, self.iri(record.place))
        for participant in record.participants:
            agent = self.iri(participant.agent)
            association = URIRef(f"{node}/participant/{participant.agent}")
            self.add(node, PROV.wasAssociatedWith, agent)
            self.add(node, PROV.qualifiedAssociation, association)
            self.add(association, RDF.type, PROV.Association)
            self.add(association, PROV.agent, agent)
            self.add(association, PROV.hadRole, self.iri(participant.role))
            self.provenance(association, record.sources)
        for about in record.about:
            self.add(node, SCHEMA.about, self.iri(about))
        links = ((record.candidate, FT.candidate), (record.call, FT.answers), (record.outcome, FT.outcome),
                 (record.label, FT.label))
        for target, predicate in links:
            if target:
                self.add(node, predicate, self.iri(target))
        for criterion in record.criteria:
            self.add(node, FT.criterion, self.iri(criterion))

    def award(self, record: Award, node: URIRef) -> None:
        self.add(node, RDF.type, FT.LabelAward)
        self.add(node, RDF.type, PROV.Entity)
        self.add(node, FT.label, self.iri(record.label))
        self.add(node, FT.awardee, self.iri(record.awardee))
        if record.decision:
            self.add(node, PROV.wasGeneratedBy, self.iri(record.decision))
        if record.candidacy:
            self.add(node, FT.candidacy, self.iri(record.candidacy))
        self.sourced(record, node, "date", DCTERMS.date, date_literal)
        self.sourced(record, node, "valid_from", SCHEMA.startDate, date_literal)
        self.sourced(record, node, "valid_to", SCHEMA.endDate, date_literal)
        self.interval(node, FT.validDuring, record.valid_from, record.valid_to, record.sources)


_HANDLERS = {
    "sources": Mapper.source,
    "concepts": Mapper.concept,
    "places": Mapper.place,
    "organisations": Mapper.organisation,
    "people": Mapper.person,
    "roles": Mapper.role,
    "events": Mapper.event,
    "awards": Mapper.award,
}


def dataset_to_graph(dataset: Dataset, base_iri: str) -> Graph:
    """The RDF graph of every curated record (without the ontology)."""
    mapper = Mapper(dataset, base_iri)
    for record_id in sorted(dataset.records):
        located = dataset.records[record_id]
        node = mapper.iri(record_id)
        _HANDLERS[located.kind](mapper, located.record, node)  # type: ignore[operator]
        mapper.provenance(node, getattr(located.record, "sources", []))
        if located.record.note:
            mapper.add(node, SKOS.editorialNote, Literal(located.record.note, lang="en"))
    return mapper.graph
