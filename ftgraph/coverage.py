"""Data coverage report (``docs/data.md``), generated from the built graph by ``ftgraph coverage``.

Every number comes from SPARQL over the graph or from the metrics projection (the same rule for a
metropole's local actors as the metrics use), never from hand-written text: per metropole and per
class coverage, the list of sources, the known gaps (labelled ecosystems under the targets, with the
curators' notes) and the conflicts between sources (statements with a non-preferred value).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from ftgraph.atomic import write_text_atomic
from ftgraph.build import Paths, build_graph
from ftgraph.clikit import base_option, data_option, stdout, user_errors
from ftgraph.engine import Engine
from ftgraph.namespaces import sparql_prologue
from ftgraph.progress import Progress
from ftgraph.projection import actor_graph, load_actor_data, local_subgraph, metropole_graph

#: Targets of the dataset issue for every labelled metropole.
TARGET_ACTORS = 10
TARGET_TIES = 15

_LABELLED = """
SELECT ?ecosystem ?name (GROUP_CONCAT(DISTINCT ?award; separator="|") AS ?awards) WHERE {
  ?a a ft:LabelAward ; ft:awardee ?ecosystem ; ft:label/skos:prefLabel ?labelName ; dcterms:date ?date .
  ?ecosystem a ft:Ecosystem ; rdfs:label ?name .
  FILTER(lang(?labelName) = "en")
  BIND(CONCAT(?labelName, " ", SUBSTR(STR(?date), 1, 4)) AS ?award)
} GROUP BY ?ecosystem ?name"""

_CLASSES = """
SELECT ?class (COUNT(DISTINCT ?entity) AS ?count) WHERE {
  ?entity a ?class . FILTER(STRSTARTS(STR(?class), STR(ft:)) || ?class IN (foaf:Person, org:Membership))
} GROUP BY ?class"""

_RELATIONS = """
SELECT ?kind (COUNT(DISTINCT ?relation) AS ?count) ?sourced WHERE {
  { ?relation a org:Membership . BIND("roles (org:Membership)" AS ?kind) }
  UNION { ?relation a prov:Association . BIND("event participations (prov:Association)" AS ?kind) }
  UNION { ?relation a ft:LabelAward . BIND("label awards (ft:LabelAward)" AS ?kind) }
  BIND(EXISTS { ?relation prov:wasDerivedFrom ?source } AS ?sourced)
} GROUP BY ?kind ?sourced"""

_SOURCES = """
SELECT ?source ?url ?title ?publisher ?issued (COUNT(DISTINCT ?node) AS ?cited) WHERE {
  ?source a ft:Source ; schema:url ?url ; dcterms:title ?title ; dcterms:publisher ?publisher ;
          dcterms:issued ?issued .
  OPTIONAL { ?node prov:wasDerivedFrom ?source }
} GROUP BY ?source ?url ?title ?publisher ?issued"""

_CONFLICTS = """
SELECT ?subject ?subjectName ?predicate ?value ?preferred ?source ?note WHERE {
  ?statement a rdf:Statement ; ft:preferred ?preferred ; rdf:subject ?subject ; rdf:predicate ?predicate ;
             rdf:object ?value ; prov:wasDerivedFrom ?source .
  FILTER EXISTS { ?other rdf:subject ?subject ; rdf:predicate ?predicate ; ft:preferred false }
  OPTIONAL { ?subject rdfs:label ?subjectName }
  OPTIONAL { ?statement rdfs:comment ?note }
}"""

_ENTITIES = """
SELECT (COUNT(DISTINCT ?entity) AS ?count) WHERE {
  { ?entity a org:Organization } UNION { ?entity a foaf:Person } UNION { ?entity a ft:Event }
  UNION { ?entity a ?place . ?place rdfs:subClassOf schema:Place }
}"""

_NOTES = """
SELECT ?ecosystem ?note WHERE { ?ecosystem a ft:Ecosystem ; skos:editorialNote ?note }"""


@dataclass(frozen=True)
class MetropoleCoverage:
    id: str
    name: str
    labels: str
    local_organisations: int
    local_people: int
    local_ties: int
    outside_ties: int
    sources: int

    @property
    def local_actors(self) -> int:
        return self.local_organisations + self.local_people

    @property
    def meets_targets(self) -> bool:
        return self.local_actors >= TARGET_ACTORS and self.local_ties >= TARGET_TIES


def _rows(engine: Engine, query: str) -> list[dict[str, Any]]:
    return engine.select(sparql_prologue() + query)


def _local_id(iri: str) -> str:
    return iri.rsplit("/", 1)[-1]


def metropole_coverage(engine: Engine) -> list[MetropoleCoverage]:
    """Local actors and ties of every labelled ecosystem (all dates), by the metrics' own rule."""
    data = load_actor_data(engine)
    national = actor_graph(data)
    rows = []
    for row in _rows(engine, _LABELLED):
        ecosystem = data.ecosystems.get(_local_id(str(row["ecosystem"])))
        if ecosystem is None:
            continue
        around = metropole_graph(national, ecosystem)
        local = local_subgraph(around)
        people = sum(1 for _, agent in local.nodes(data="agent") if agent == "person")
        sources = {source for _, _, tie_sources in around.edges(data="sources") for source in tie_sources or ()}
        rows.append(MetropoleCoverage(
            id=ecosystem.id, name=str(row["name"]), labels=", ".join(sorted(str(row["awards"]).split("|"))),
            local_organisations=local.number_of_nodes() - people, local_people=people,
            local_ties=local.number_of_edges(), outside_ties=around.number_of_edges() - local.number_of_edges(),
            sources=len(sources),
        ))
    return sorted(rows, key=lambda m: (-m.local_ties, m.id))


def _conflicts(engine: Engine) -> list[dict[str, Any]]:
    """One row per conflicting value, its sources sorted (SPARQL's GROUP_CONCAT order is not stable)."""
    values: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in _rows(engine, _CONFLICTS):
        key = (str(row["subject"]), str(row["predicate"]), str(row["value"]))
        entry = values.setdefault(key, {**row, "sources": set()})
        entry["sources"].add(_local_id(str(row["source"])))
    rows = [{**entry, "sources": ", ".join(sorted(entry["sources"]))} for entry in values.values()]
    return sorted(rows, key=lambda r: (str(r["subjectName"]), str(r["predicate"]),
                                       r["preferred"] not in (True, "true"), str(r["value"])))


def _table(header: list[str], rows: list[list[object]]) -> list[str]:
    def cell(value: object) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return lines


def _short(iri: str) -> str:
    for namespace, prefix in (("https://w3id.org/ftgraph/ontology#", "ft:"), ("http://schema.org/", "schema:"),
                              ("http://xmlns.com/foaf/0.1/", "foaf:"), ("http://www.w3.org/ns/org#", "org:"),
                              ("http://rdf.insee.fr/def/geo#", "igeo:"), ("http://purl.org/dc/terms/", "dcterms:")):
        if iri.startswith(namespace):
            return prefix + iri[len(namespace):]
    return iri


def coverage_markdown(engine: Engine) -> str:
    """The whole ``docs/data.md`` page."""
    metropoles = metropole_coverage(engine)
    classes = sorted(((_short(str(r["class"])), int(r["count"])) for r in _rows(engine, _CLASSES)),
                     key=lambda item: (-item[1], item[0]))
    relations: Counter[tuple[str, bool]] = Counter()
    for row in _rows(engine, _RELATIONS):
        relations[(str(row["kind"]), row["sourced"] in (True, "true"))] += int(row["count"])
    sources = sorted(_rows(engine, _SOURCES), key=lambda r: (str(r["publisher"]), str(r["issued"]), str(r["url"])))
    conflicts = _conflicts(engine)
    notes = {_local_id(str(r["ecosystem"])): str(r["note"]) for r in _rows(engine, _NOTES)}
    entities = int(_rows(engine, _ENTITIES)[0]["count"])
    total_relations = sum(relations.values())
    sourced_relations = sum(n for (_, sourced), n in relations.items() if sourced)

    out = ["# Data coverage", "",
           "Generated from the graph by `ftgraph coverage --output docs/data.md`; do not edit by hand.", "",
           "## Summary", "",
           f"- Entities (organisations, people, places, events): {entities}",
           f"- Relations (roles, event participations, label awards): {total_relations}, of which sourced: "
           f"{sourced_relations}",
           f"- Sources: {len(sources)} from {len({str(s['publisher']) for s in sources})} publishers",
           f"- Labelled ecosystems: {len(metropoles)}; meeting the targets (≥ {TARGET_ACTORS} local actors and "
           f"≥ {TARGET_TIES} ties among them): {sum(m.meets_targets for m in metropoles)}",
           f"- Conflicting values kept with their sources: "
           f"{len({(str(r['subject']), str(r['predicate'])) for r in conflicts})}", "",
           "## Coverage per labelled ecosystem", "",
           "Local actors and ties follow the metrics' rule (docs/metrics.md), all dates included. "
           "*Outside ties* join a local actor to a non-local one.", ""]
    out += _table(["ecosystem", "labels", "local orgs", "local people", "ties among local actors", "outside ties",
                   "sources", "targets met"],
                  [[f"{m.name} (`{m.id}`)", m.labels, m.local_organisations, m.local_people, m.local_ties,
                    m.outside_ties, m.sources, "yes" if m.meets_targets else "**no**"] for m in metropoles])
    out += ["", "## Coverage per class", ""]
    out += _table(["class", "entities"], [[c, n] for c, n in classes])
    out += ["", "## Relations", ""]
    out += _table(["relation", "count", "with a source"],
                  [[kind, relations[(kind, True)] + relations[(kind, False)], relations[(kind, True)]]
                   for kind in sorted({kind for kind, _ in relations})])
    out += ["", "## Known gaps", "",
            "Labelled ecosystems under the targets, with the curators' notes (what the press does not give).", ""]
    under = [m for m in metropoles if not m.meets_targets]
    out += [f"- **{m.name}** (`{m.id}`): {m.local_actors} local actors, {m.local_ties} ties"
            + (f". Note: {notes[m.id]}" if m.id in notes else "") for m in under] or ["- none"]
    out += ["", "## Conflicts between sources", "",
            "Each value with its sources; the preferred value is the one the graph asserts directly.", ""]
    out += _table(["entity", "property", "value", "preferred", "sources", "note"],
                  [[r["subjectName"] or _local_id(str(r["subject"])), _short(str(r["predicate"])),
                    _local_id(str(r["value"])) if str(r["value"]).startswith("http") else r["value"],
                    "yes" if r["preferred"] in (True, "true") else "no", r["sources"], r["note"] or ""]
                   for r in conflicts])
    out += ["", "## Sources", ""]
    out += _table(["publisher", "date", "title", "facts citing it"],
                  [[s["publisher"], s["issued"], f"[{s['title']}]({s['url']})", s["cited"]] for s in sources])
    return "\n".join(out) + "\n"


@click.command("coverage")
@data_option
@base_option
@click.option("--output", type=click.Path(path_type=Path), default=Path("docs/data.md"), show_default=True,
              help="Where to write the coverage report.")
@click.pass_obj
@user_errors
def coverage_command(progress: Progress, data_dir: Path | None, base_iri: str, output: Path) -> None:
    """Write the data coverage report (docs/data.md) from a fresh build of the curated data."""
    with progress.step("build the graph"):
        built = build_graph(Paths.default(data=data_dir), base_iri)
    with progress.step("coverage per metropole, class and source"):
        text = coverage_markdown(built.engine)
    write_text_atomic(output, text)
    stdout.print(f"Wrote {output}")
