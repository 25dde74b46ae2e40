"""Metrics back into RDF: W3C Data Cube observations, so they can be queried with SPARQL and exported.

Model (``docs/metrics.md``): one ``qb:DataSet`` whose structure has two dimensions, ``ftm:scope``
(the metropole's ecosystem organisation, or ``ftm:national``) and ``ftm:snapshot`` (the date the
ties are valid on, or every tie whatever its dates), plus ``qb:measureType`` (measure-dimension
form: one observation per measure). Each (scope, snapshot) is a ``qb:Slice`` carrying the status
("ok" / "insufficient data") and the method (seed, null draws, exact or sampled measures).
Scopes carry their ``rdfs:label``, so the observations can be queried on their own. Undefined values
have no observation. Every IRI is derived from names, so the output is identical for identical input.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, XSD

from ftgraph.mapping import KIND_PATHS
from ftgraph.namespaces import FTM, QB

if TYPE_CHECKING:
    from ftgraph.federation import Measure, Report, TimelinePoint

ALL_TIES = "all"


def camel(key: str) -> str:
    """``federation_index`` → ``federationIndex``."""
    head, *rest = key.split("_")
    return head + "".join(part.capitalize() for part in rest)


class Cube:
    """Accumulates a Data Cube data set of metrics under one base IRI."""

    def __init__(self, measures: Sequence[Measure], base_iri: str) -> None:
        self.base = base_iri
        self.measures = {measure.key: measure for measure in measures}
        self.triples: set[tuple[Any, Any, Any]] = set()  # a set of rdflib terms: ~5x faster than an rdflib Graph
        self.dataset = URIRef(f"{base_iri}metrics/dataset")
        self._structure()

    def add(self, *triple: Any) -> None:
        self.triples.add(triple)

    def ntriples(self) -> str:
        """The data set as N-Triples, one triple per line, lines sorted: identical for identical input."""
        return "".join(sorted(f"{_oxigraph(s)} {_oxigraph(p)} {_oxigraph(o)} .\n" for s, p, o in self.triples))

    def _structure(self) -> None:
        dsd = FTM.structure
        self.add(self.dataset, RDF.type, QB.DataSet)
        self.add(self.dataset, RDFS.label, Literal("ftgraph federation metrics", lang="en"))
        self.add(self.dataset, DCTERMS.description, Literal(
            "Network measures of how federated each French Tech metropole's local actors are (docs/metrics.md).",
            lang="en"))
        self.add(self.dataset, QB.structure, dsd)
        self.add(dsd, RDF.type, QB.DataStructureDefinition)
        self.add(dsd, QB.sliceKey, FTM.sliceByScopeAndSnapshot)
        self.add(FTM.sliceByScopeAndSnapshot, RDF.type, QB.SliceKey)
        components: list[tuple[str, URIRef, URIRef]] = [
            ("dimension", FTM.scope, QB.DimensionProperty), ("dimension", FTM.snapshot, QB.DimensionProperty),
            ("dimension", QB.measureType, QB.DimensionProperty),
            ("attribute", FTM.status, QB.AttributeProperty), ("attribute", FTM.seed, QB.AttributeProperty),
            ("attribute", FTM.nullDraws, QB.AttributeProperty), ("attribute", FTM.sampling, QB.AttributeProperty),
        ]
        components += [("measure", FTM[camel(key)], QB.MeasureProperty) for key in self.measures]
        for order, (role, prop, cls) in enumerate(components, start=1):
            spec = URIRef(f"{FTM}component-{prop.split('#')[-1]}")
            self.add(dsd, QB.component, spec)
            self.add(spec, QB[role], prop)
            self.add(spec, QB.order, Literal(order))
            if role == "attribute":
                self.add(spec, QB.componentAttachment, QB.Slice)
            if prop != QB.measureType:
                self.add(prop, RDF.type, cls)
        for prop in (FTM.scope, FTM.snapshot):
            self.add(FTM.sliceByScopeAndSnapshot, QB.componentProperty, prop)
        for key, measure in self.measures.items():
            prop = FTM[camel(key)]
            self.add(prop, RDFS.label, Literal(measure.label, lang="en"))
            self.add(prop, RDFS.comment, Literal(measure.definition, lang="en"))
            self.add(prop, RDFS.range, XSD.integer if measure.integer else XSD.double)

    def scope(self, scope: str) -> URIRef:
        return FTM.national if scope == "national" else URIRef(f"{self.base}{KIND_PATHS['organisations']}/{scope}")

    def snapshot(self, as_of: str | None, waves: Sequence[str] = ()) -> URIRef:
        node = URIRef(f"{self.base}metrics/snapshot/{as_of or ALL_TIES}")
        self.add(node, RDF.type, FTM.Snapshot)
        if as_of:
            self.add(node, FTM.asOf, Literal(as_of, datatype=XSD.date))
        else:
            self.add(node, RDFS.label, Literal("every tie, whatever its dates", lang="en"))
        for wave in waves:
            self.add(node, FTM.labelWave, URIRef(f"{self.base}{KIND_PATHS['events']}/{wave}"))
        return node

    def slice(self, scope: str, label: str, snapshot: URIRef, status: str, method: dict[str, Any],
              values: dict[str, Any]) -> None:
        """One slice (scope × snapshot) and an observation for each defined value."""
        scope_node = self.scope(scope)
        self.add(scope_node, RDFS.label, Literal(label))
        name = f"{scope}/{snapshot.rsplit('/', 1)[-1]}"
        slice_node = URIRef(f"{self.base}metrics/slice/{name}")
        self.add(self.dataset, QB.slice, slice_node)
        self.add(slice_node, RDF.type, QB.Slice)
        self.add(slice_node, QB.sliceStructure, FTM.sliceByScopeAndSnapshot)
        self.add(slice_node, FTM.scope, scope_node)
        self.add(slice_node, FTM.snapshot, snapshot)
        self.add(slice_node, FTM.status, Literal(status))
        self.add(slice_node, FTM.seed, Literal(method["seed"]))
        self.add(slice_node, FTM.nullDraws, Literal(method["null_draws"]))
        self.add(slice_node, FTM.sampling, Literal(method["sampling"]))
        for key, value in sorted(values.items()):
            if value is None or key not in self.measures:
                continue
            prop = FTM[camel(key)]
            observation = URIRef(f"{self.base}metrics/observation/{name}/{camel(key)}")
            self.add(slice_node, QB.observation, observation)
            self.add(observation, RDF.type, QB.Observation)
            self.add(observation, QB.dataSet, self.dataset)
            self.add(observation, FTM.scope, scope_node)
            self.add(observation, FTM.snapshot, snapshot)
            self.add(observation, QB.measureType, prop)
            datatype = XSD.integer if self.measures[key].integer else XSD.double
            self.add(observation, prop, Literal(value, datatype=datatype))


def _oxigraph(term: URIRef | Literal) -> ox.NamedNode | ox.Literal:
    """The pyoxigraph term of an rdflib IRI or literal (pyoxigraph writes them as N-Triples)."""
    if isinstance(term, URIRef):
        return ox.NamedNode(term)
    datatype = ox.NamedNode(term.datatype) if term.datatype is not None else None
    return ox.Literal(str(term), language=term.language, datatype=datatype)


def observations_ntriples(results: Iterable[Report | TimelinePoint], measures: Sequence[Measure],
                          base_iri: str) -> str:
    """The Data Cube of metropole and national reports and of timeline points, as sorted N-Triples."""
    cube = Cube(measures, base_iri)
    for result in results:
        waves = getattr(result, "waves", ())
        cube.slice(result.scope, result.label, cube.snapshot(result.as_of, waves), result.status, result.method,
                   result.values)
    return cube.ntriples()
