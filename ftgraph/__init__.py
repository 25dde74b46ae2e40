"""ftgraph: a sourced linked-data knowledge graph of the French Tech ecosystem."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph

from ftgraph.build import Paths, build_graph
from ftgraph.engine import rdflib_graph, store_from_graph
from ftgraph.namespaces import DEFAULT_BASE_IRI, bind_prefixes

__all__ = ["load"]
__version__ = "0.1.0"


def load(data_dir: str | Path | None = None, base_iri: str = DEFAULT_BASE_IRI) -> Graph:
    """Build the graph (data + ontology) from the curated records and return it as an rdflib Graph
    backed by the embedded engine (pyoxigraph through oxrdflib): ``graph.query(...)`` runs in
    pyoxigraph, the rest of the rdflib API works as usual (``len(graph)`` counts in the store; plain
    literals come back typed ``xsd:string``, as RDF 1.1 has them).
    Run library queries on it with ``ftgraph.query.rows(name, engine=EmbeddedEngine(graph.store._inner))``.

    Raises :class:`ftgraph.errors.DataErrors` on bad input and :class:`ftgraph.errors.ValidationFailed`
    when the graph violates the SHACL shapes.
    """
    paths = Paths.default(data=Path(data_dir) if data_dir else None)
    graph = rdflib_graph(store_from_graph(build_graph(paths, base_iri).combined))
    return bind_prefixes(graph, base_iri)
