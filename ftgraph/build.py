"""Build the graph from ``data/`` and ``ontology/``: load, map, validate, serialise deterministically."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pyoxigraph
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from ftgraph.errors import FtgraphError, ValidationFailed
from ftgraph.loader import Dataset, load_dataset
from ftgraph.mapping import dataset_to_graph
from ftgraph.namespaces import DEFAULT_BASE_IRI, PREFIXES, bind_prefixes
from ftgraph.validate import ValidationReport, check_shapes

if TYPE_CHECKING:
    from ftgraph.engine import EmbeddedEngine
    from ftgraph.projection import ActorData

ONTOLOGY_FILE = "ftgraph.ttl"
SHAPES_FILE = "shapes.ttl"
GRAPH_NT = "graph.nt"
GRAPH_TTL = "graph.ttl"


def project_root() -> Path:
    """The folder holding ``data/`` and ``ontology/``: the working directory when it has them, else the
    repository this package was installed from (editable install)."""
    cwd = Path.cwd()
    if (cwd / "ontology" / ONTOLOGY_FILE).is_file():
        return cwd
    return Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Paths:
    data: Path
    ontology: Path
    out: Path

    @classmethod
    def default(cls, data: Path | None = None, out: Path | None = None, ontology: Path | None = None) -> Paths:
        root = project_root()
        return cls(data or root / "data", ontology or root / "ontology", out or root / "out")


def check_base_iri(base_iri: str) -> str:
    parts = urlsplit(base_iri)
    if parts.scheme not in ("http", "https") or not parts.netloc or not base_iri.endswith(("/", "#")):
        raise FtgraphError(f"--base-iri {base_iri!r}: expected an absolute http(s) IRI ending with '/' or '#'")
    if any(char in base_iri for char in ' <>"{}|\\^`'):
        raise FtgraphError(f"--base-iri {base_iri!r}: not a valid IRI")
    return base_iri


def read_turtle(path: Path) -> Graph:
    try:
        return Graph().parse(path, format="turtle")
    except FileNotFoundError:
        raise FtgraphError(f"{path}: file not found") from None
    except Exception as exc:  # rdflib raises several parser-specific types
        raise FtgraphError(f"{path}: invalid Turtle: {exc}") from None


@dataclass
class BuiltGraph:
    """The result of a build, in memory."""

    dataset: Dataset
    data: Graph
    ontology: Graph
    report: ValidationReport
    base_iri: str
    combined: Graph = field(init=False)

    def __post_init__(self) -> None:
        self.combined = bind_prefixes(Graph(), self.base_iri)
        for triple in self.ontology:
            self.combined.add(triple)
        for triple in self.data:
            self.combined.add(triple)

    @cached_property
    def engine(self) -> EmbeddedEngine:
        """An embedded engine over :attr:`combined`, loaded once and shared by the stages that query it."""
        from ftgraph.engine import EmbeddedEngine, store_from_graph  # ftgraph.engine imports this module

        return EmbeddedEngine(store_from_graph(self.combined))

    @cached_property
    def actor_data(self) -> ActorData:
        """The projection's input (:func:`ftgraph.projection.load_actor_data` on :attr:`engine`), read
        once and shared by the stages that draw or measure the actor graph."""
        from ftgraph.projection import load_actor_data  # ftgraph.projection imports ftgraph.engine

        return load_actor_data(self.engine)


def check_built(built: BuiltGraph, ontology_dir: Path) -> ValidationReport:
    """The SHACL report of ``built`` against ``ontology_dir/shapes.ttl``. The shapes see data + ontology
    (sh:class follows rdfs:subClassOf): the combined graph."""
    return check_shapes(built.combined, read_turtle(ontology_dir / SHAPES_FILE))


def accept(built: BuiltGraph, report: ValidationReport) -> None:
    """Record ``report`` in ``built``; raise :class:`ValidationFailed` when the graph violates the shapes."""
    built.report = report
    if not report.conforms:
        raise ValidationFailed(report.summary())


def build_graph(paths: Paths, base_iri: str = DEFAULT_BASE_IRI, *, validate: bool = True) -> BuiltGraph:
    """Load and validate the records, map them to RDF and check the SHACL shapes.

    Raises :class:`~ftgraph.errors.DataErrors` for bad input and :class:`ValidationFailed` when the
    graph violates the shapes.
    """
    check_base_iri(base_iri)
    dataset = load_dataset(paths.data)
    ontology = read_turtle(paths.ontology / ONTOLOGY_FILE)
    built = BuiltGraph(dataset, dataset_to_graph(dataset, base_iri), ontology, ValidationReport(True, []), base_iri)
    if validate:
        accept(built, check_built(built, paths.ontology))
    return built


def to_sorted_ntriples(graph: Graph) -> str:
    """N-Triples with one triple per line, lines sorted: byte-identical for identical graphs."""
    text = graph.serialize(format="nt", encoding="utf-8").decode("utf-8")
    # Split on "\n" only: str.splitlines() also cuts at U+2028, U+0085, \v... that literals may hold unescaped.
    lines = sorted({line for line in text.split("\n") if line.strip()})
    return "\n".join(lines) + "\n"


def to_turtle(sorted_ntriples: str) -> str:
    """Readable Turtle with the project's prefixes, in the order of the sorted N-Triples (deterministic).

    pyoxigraph groups consecutive triples of one subject; it is ~20x faster than rdflib's serializer. Data
    IRIs stay in full: their paths hold '/', which a prefixed name could only write escaped.
    """
    triples = pyoxigraph.parse(sorted_ntriples.encode("utf-8"), format=pyoxigraph.RdfFormat.N_TRIPLES)
    prefixes = {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}
    turtle = pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.TURTLE, prefixes=prefixes)
    assert turtle is not None  # serialize() returns the bytes when given no output
    text = turtle.decode("utf-8")
    # pyoxigraph writes the prefixes in hash order: sort them so that the output is byte-stable.
    lines = text.split("\n")
    header = sorted(line for line in lines if line.startswith("@prefix "))
    return "\n".join(header + lines[len(header):])


def class_counts(graph: Graph) -> Counter[URIRef]:
    return Counter(o for o in graph.objects(None, RDF.type) if isinstance(o, URIRef))


def property_counts(graph: Graph) -> Counter[URIRef]:
    return Counter(p for p in graph.predicates() if isinstance(p, URIRef))


def write_graph_files(built: BuiltGraph, out_dir: Path) -> list[Path]:
    """Write graph.nt and graph.ttl (data + ontology) into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    ntriples = to_sorted_ntriples(built.combined)
    for name, text in ((GRAPH_NT, ntriples), (GRAPH_TTL, to_turtle(ntriples))):
        path = out_dir / name
        path.write_text(text, encoding="utf-8", newline="\n")
        written.append(path)
    return written
