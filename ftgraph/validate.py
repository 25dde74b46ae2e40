"""SHACL validation of the built graph against ``ontology/shapes.ttl``."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from ftgraph.namespaces import SH


@dataclass(frozen=True, order=True)
class Violation:
    focus: str
    path: str
    message: str
    severity: str
    value: str

    def __str__(self) -> str:
        value = f" (value {self.value})" if self.value else ""
        path = f" {self.path}" if self.path else ""
        return f"{self.severity}: <{self.focus}>{path}: {self.message}{value}"


@dataclass(frozen=True)
class ValidationReport:
    conforms: bool
    violations: list[Violation]

    def summary(self, limit: int = 50) -> str:
        if self.conforms:
            return "SHACL validation: the graph conforms to every shape."
        lines = [f"SHACL validation: {len(self.violations)} violation(s):"]
        lines += [f"  {violation}" for violation in self.violations[:limit]]
        if len(self.violations) > limit:
            lines.append(f"  ... and {len(self.violations) - limit} more")
        return "\n".join(lines)


def _short(graph: Graph, node: object) -> str:
    if node is None:
        return ""
    if isinstance(node, URIRef):
        try:
            return graph.namespace_manager.normalizeUri(node)
        except Exception:
            return str(node)
    return str(node)


def check_shapes(graph: Graph, shapes: Graph) -> ValidationReport:
    """Validate ``graph`` (data with its ontology) against ``shapes``, without copying it: no inference,
    no SHACL-AF, so pyshacl only reads it."""
    import pyshacl  # ~1 s to import: only commands that validate pay for it

    conforms, results, _text = pyshacl.validate(
        graph, shacl_graph=shapes, inference="none", advanced=False,
        allow_warnings=False, abort_on_first=False, inplace=True,
    )
    assert isinstance(results, Graph)
    violations = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        message = results.value(result, SH.resultMessage) or results.value(result, SH.sourceConstraintComponent)
        severity = _short(results, results.value(result, SH.resultSeverity))
        violations.append(Violation(
            focus=str(results.value(result, SH.focusNode)),
            path=_short(graph, results.value(result, SH.resultPath)),
            message=str(message),
            severity=severity.rsplit("#", 1)[-1].removeprefix("sh:"),
            value=_short(graph, results.value(result, SH.value)),
        ))
    return ValidationReport(bool(conforms), sorted(set(violations)))
