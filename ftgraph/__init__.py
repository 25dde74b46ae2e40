"""ftgraph: a sourced linked-data knowledge graph of the French Tech ecosystem."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph

from ftgraph.build import Paths, build_graph
from ftgraph.namespaces import DEFAULT_BASE_IRI

__all__ = ["load"]
__version__ = "0.1.0"


def load(data_dir: str | Path | None = None, base_iri: str = DEFAULT_BASE_IRI) -> Graph:
    """Build the graph (data + ontology) from the curated records and return it as an rdflib Graph.

    Raises :class:`ftgraph.errors.DataErrors` on bad input and :class:`ftgraph.errors.ValidationFailed`
    when the graph violates the SHACL shapes.
    """
    paths = Paths.default(data=Path(data_dir) if data_dir else None)
    return build_graph(paths, base_iri).combined
