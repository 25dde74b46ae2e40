"""RDF namespaces used by ftgraph, bound explicitly (rdflib's defaults for schema.org and WGS84 are https)."""

from __future__ import annotations

from rdflib import Graph, Namespace
from rdflib.namespace import (
    DCAT,
    DCTERMS,
    FOAF,
    ORG,
    OWL,
    PROV,
    RDF,
    RDFS,
    SKOS,
    TIME,
    VOID,
    XSD,
    DefinedNamespace,
)

#: The ontology namespace does not move with ``--base-iri``: only data IRIs do.
FT = Namespace("https://w3id.org/ftgraph/ontology#")
DEFAULT_BASE_IRI = "https://w3id.org/ftgraph/"

SCHEMA = Namespace("http://schema.org/")  # http, as most published RDF (rdflib's SDO is https)
ROV = Namespace("http://www.w3.org/ns/regorg#")
IGEO = Namespace("http://rdf.insee.fr/def/geo#")
WD = Namespace("http://www.wikidata.org/entity/")
QB = Namespace("http://purl.org/linked-data/cube#")
SH = Namespace("http://www.w3.org/ns/shacl#")
#: Terms of the metrics model (measure properties, dimensions, attributes of the Data Cube).
FTM = Namespace("https://w3id.org/ftgraph/metric#")

PREFIXES: dict[str, Namespace | type[DefinedNamespace]] = {
    "ft": FT,
    "org": ORG,
    "rov": ROV,
    "schema": SCHEMA,
    "foaf": FOAF,
    "prov": PROV,
    "dcterms": DCTERMS,
    "time": TIME,
    "skos": SKOS,
    "igeo": IGEO,
    "owl": OWL,
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
    "void": VOID,
    "dcat": DCAT,
    "wd": WD,
    "qb": QB,
    "sh": SH,
    "ftm": FTM,
}


def bind_prefixes(graph: Graph, base_iri: str = DEFAULT_BASE_IRI) -> Graph:
    """Bind every project prefix (replacing rdflib's defaults) plus ``ftr:`` for data IRIs."""
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True, replace=True)
    graph.bind("ftr", Namespace(base_iri), override=True, replace=True)
    return graph


def sparql_prologue(base_iri: str = DEFAULT_BASE_IRI) -> str:
    """PREFIX declarations for every project prefix, for queries written without them."""
    lines = [f"PREFIX {prefix}: <{namespace}>" for prefix, namespace in PREFIXES.items()]
    lines.append(f"PREFIX ftr: <{base_iri}>")
    return "\n".join(lines) + "\n"
