"""Federation reports, ranking, timeline, files, Data Cube observations and the ``ftgraph metrics``
command, on small graphs written here (exact values) and on stable facts of the curated data."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, URIRef, namespace
from rdflib.namespace import DCTERMS, FOAF, ORG, PROV, RDF, RDFS

from ftgraph import federation as f
from ftgraph import projection as p
from ftgraph.build import GRAPH_NT, BuiltGraph
from ftgraph.cli import cli
from ftgraph.engine import EmbeddedEngine, store_from_graph
from ftgraph.namespaces import DEFAULT_BASE_IRI, FT, FTM, SCHEMA

BASE = DEFAULT_BASE_IRI
CLASSES = ("Startup", "Investor", "School")


class World:
    """A small RDF graph written as the mapping of docs/data-format.md writes it."""

    def __init__(self) -> None:
        self.graph = Graph()
        self.add(self.node("source", "s1"), RDF.type, FT.Source)
        self.add(self.node("source", "s1"), DCTERMS.issued, Literal("2014-11-12", datatype=namespace.XSD.date))

    def add(self, *triple: object) -> None:
        self.graph.add(triple)  # type: ignore[arg-type]

    @staticmethod
    def node(kind: str, name: str) -> URIRef:
        return URIRef(f"{BASE}{kind}/{name}")

    def territory(self, name: str) -> None:
        self.add(self.node("place", name), RDF.type, FT.Territory)
        self.add(self.node("place", f"city-{name}"), SCHEMA.containedInPlace, self.node("place", name))

    def org(self, name: str, cls: str, territory: str | None = None) -> None:
        node = self.node("org", name)
        self.add(node, RDF.type, ORG.Organization)
        self.add(node, RDF.type, FT[cls])
        self.add(node, RDFS.label, Literal(name.title()))
        self.add(node, PROV.wasDerivedFrom, self.node("source", "s1"))
        if territory and cls == "Ecosystem":
            self.add(node, DCTERMS.spatial, self.node("place", territory))
        elif territory:
            self.add(node, SCHEMA.location, self.node("place", f"city-{territory}"))

    def role(self, member: str, organisation: str, role: str = "role-partner", start: str = "2014") -> None:
        node = self.node("membership", f"{member}-{role}-{organisation}")
        self.add(node, RDF.type, ORG.Membership)
        member_kind = "person" if member.startswith("person-") else "org"
        self.add(node, ORG.member, self.node(member_kind, member))
        self.add(node, ORG.organization, self.node("org", organisation))
        self.add(node, ORG.role, self.node("concept", role))
        self.add(node, SCHEMA.startDate, Literal(start, datatype=namespace.XSD.gYear))
        self.add(node, PROV.wasDerivedFrom, self.node("source", "s1"))

    def person(self, name: str) -> None:
        self.add(self.node("person", name), RDF.type, FOAF.Person)

    def decision(self, name: str, date: str) -> None:
        node = self.node("event", name)
        self.add(node, RDF.type, FT.LabellingDecision)
        self.add(node, SCHEMA.startDate, Literal(date, datatype=namespace.XSD.date))


def world() -> World:
    """Three metropoles.

    - ft-star: the ecosystem and 11 organisations, each a member of it, plus one partnership
      (org 1 - org 2): n = 12, m = 12; without the ecosystem only {1, 2} stays connected: R = 2/11.
    - ft-mesh: the ecosystem, members 0, 4, 8 of a ring of 12 organisations with 6 chords: n = 13,
      m = 3 + 12 + 6 = 21; no single actor disconnects it: R = 1. Its ties start in 2016.
    - ft-tiny: the ecosystem and one member (insufficient data).
    """
    w = World()
    for territory in ("ts", "tm", "tt"):
        w.territory(territory)
    w.org("ft-star", "Ecosystem", "ts")
    for i in range(1, 12):
        w.org(f"star-{i}", CLASSES[i % 3], "ts")
        w.role(f"star-{i}", "ft-star", "role-member")
    w.role("star-1", "star-2")
    w.org("ft-mesh", "Ecosystem", "tm")
    for i in range(12):
        w.org(f"mesh-{i}", CLASSES[i % 3], "tm")
        w.role(f"mesh-{i}", f"mesh-{(i + 1) % 12}", start="2016")
    for i in range(0, 12, 2):
        w.role(f"mesh-{i}", f"mesh-{(i + 5) % 12}", start="2016")
    for i in (0, 4, 8):
        w.role(f"mesh-{i}", "ft-mesh", "role-member", start="2016")
    w.org("ft-tiny", "Ecosystem", "tt")
    w.org("tiny-1", "Startup", "tt")
    w.role("tiny-1", "ft-tiny", "role-member")
    w.decision("wave-2014", "2014-11-12")
    w.decision("wave-2014-bis", "2014-11-12")
    w.decision("wave-2017", "2017-01-01")
    return w


SETTINGS = f.Settings(null_draws=20)


@pytest.fixture(scope="module")
def data() -> p.ActorData:
    return p.load_actor_data(EmbeddedEngine(store_from_graph(world().graph)))


@pytest.fixture(scope="module")
def found(data: p.ActorData) -> list[f.Report]:
    return f.reports(data, p.Snapshot(), SETTINGS)


def test_ranking_and_exact_components(found: list[f.Report]) -> None:
    assert [report.scope for report in found] == ["ft-mesh", "ft-star", "ft-tiny", f.NATIONAL]
    mesh, star, tiny, national = found
    assert (star.values["actors"], star.values["ties"]) == (12, 12)
    assert star.values["cohesion"] == 1.0 and star.values["robustness"] == pytest.approx(2 / 11)
    assert (mesh.values["actors"], mesh.values["ties"]) == (13, 21)
    assert mesh.values["robustness"] == 1.0
    assert star.status == mesh.status == f.OK
    assert star.values["federation_index"] < mesh.values["federation_index"]
    assert tiny.status == f.INSUFFICIENT and tiny.values["federation_index"] is None
    assert tiny.values["cohesion"] == 1.0  # components are still reported
    assert national.values["actors"] == 3 + 11 + 12 + 1
    assert national.method["sampling"] == "exact"  # 27 nodes < the sample of 100
    assert star.details["top_brokers"][0]["id"] == "ft-star"
    assert star.details["ties_by_type"] == {"membership": 11, "partnership": 1}
    assert star.values["external_ties"] == 0 and star.values["sources"] == 1


def test_national_sampling_is_reported_and_seeded(data: p.ActorData) -> None:
    settings = f.Settings(null_draws=20, national_sample=10)
    national = f.reports(data, p.Snapshot(), settings, scope=f.NATIONAL)[0]
    assert national.method["sampling"] == (
        "sampled: betweenness, efficiency, clustering and structural holes from 10 of 27 nodes, seed 42")
    assert f.reports(data, p.Snapshot(), settings, scope=f.NATIONAL)[0] == national


def test_no_nan_anywhere(found: list[f.Report]) -> None:
    for report in found:
        assert all(v is None or math.isfinite(v) for v in report.values.values())
    json.loads(f.to_json(found))  # allow_nan=False would have raised


def test_as_of_and_timeline(data: p.ActorData) -> None:
    before = f.reports(data, p.Snapshot(dt.date(2015, 1, 1)), SETTINGS, scope="ft-mesh")[0]
    assert before.as_of == "2015-01-01"
    assert (before.values["ties"], before.status) == (0, f.INSUFFICIENT)  # its ties start in 2016
    points = f.timeline(data, p.Snapshot(), SETTINGS)
    by_key = {(point.scope, point.waves): point for point in points}
    waves = (("wave-2014", "wave-2014-bis"), ("wave-2017",))  # two decisions on 2014-11-12: one point
    assert set(by_key) == {(scope, wave) for scope in ("ft-mesh", "ft-star", "ft-tiny") for wave in waves}
    assert by_key["ft-mesh", waves[0]].values["federation_index"] is None
    later = by_key["ft-mesh", waves[1]]
    assert later.as_of == "2017-01-01" and later.status == f.OK
    assert later.values["federation_index"] == pytest.approx(
        f.reports(data, p.Snapshot(dt.date(2017, 1, 1)), SETTINGS, "ft-mesh")[0].values["federation_index"])


def test_seeded_reports_are_reproducible(data: p.ActorData, found: list[f.Report]) -> None:
    assert f.reports(data, p.Snapshot(), SETTINGS) == found


def test_files_and_observations(data: p.ActorData, found: list[f.Report], tmp_path: Path) -> None:
    written = f.write_metrics(data, tmp_path, BASE, SETTINGS)
    assert [path.name for path in written] == ["metropoles.csv", "metropoles.json", "timeline.csv", "observations.ttl",
                                               "graph.nt"]
    rows = list(csv.DictReader(io.StringIO((tmp_path / "metrics" / "metropoles.csv").read_text())))
    assert [row["scope"] for row in rows] == ["ft-mesh", "ft-star", "ft-tiny", "national"]
    assert rows[2]["federation_index"] == "" and rows[2]["status"] == f.INSUFFICIENT
    assert float(rows[1]["robustness"]) == pytest.approx(2 / 11, abs=1e-6)
    # identical input, identical bytes
    again = tmp_path / "again"
    f.write_metrics(data, again, BASE, SETTINGS)
    for path in written:
        assert (again / "metrics" / path.name).read_bytes() == path.read_bytes()
    # the observations answer SPARQL with the reported values
    cube = Graph().parse(tmp_path / "metrics" / "observations.ttl", format="turtle")
    store = EmbeddedEngine(store_from_graph(cube))
    rows_ = store.select(f"""
        PREFIX qb: <http://purl.org/linked-data/cube#> PREFIX ftm: <{FTM}>
        SELECT ?scope ?value WHERE {{
          ?obs a qb:Observation ; qb:dataSet ?set ; ftm:scope ?scope ; ftm:snapshot <{BASE}metrics/snapshot/all> ;
               qb:measureType ftm:federationIndex ; ftm:federationIndex ?value .
          FILTER(?scope != ftm:national)
        }} ORDER BY DESC(?value)""")
    assert [row["scope"] for row in rows_] == [f"{BASE}org/ft-mesh", f"{BASE}org/ft-star"]
    assert rows_[1]["value"] == pytest.approx(found[1].values["federation_index"])
    status = store.select(f"""PREFIX ftm: <{FTM}>
        SELECT ?status WHERE {{ ?slice ftm:scope <{BASE}org/ft-tiny> ;
                                      ftm:snapshot <{BASE}metrics/snapshot/all> ; ftm:status ?status }}""")
    assert status == [{"status": f.INSUFFICIENT}]
    waves = store.select(f"""PREFIX ftm: <{FTM}>
        SELECT ?date WHERE {{ ?snapshot ftm:labelWave <{BASE}event/wave-2017> ; ftm:asOf ?date }}""")
    assert waves == [{"date": dt.date(2017, 1, 1)}]


def test_observations_answer_ftgraph_query(data: p.ActorData, found: list[f.Report], tmp_path: Path) -> None:
    f.write_metrics(data, tmp_path, BASE, SETTINGS)
    query = f"""PREFIX ftm: <{FTM}> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?name ?r WHERE {{ ?obs ftm:scope ?scope ; ftm:snapshot <{BASE}metrics/snapshot/all> ;
                                     ftm:robustness ?r . ?scope rdfs:label ?name }} ORDER BY ?name"""
    result = CliRunner().invoke(cli, ["--quiet", "query", "--out", str(tmp_path / "metrics"), "-e", query,
                                      "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [row["name"] for row in rows] == ["France (all actors)", "Ft-Mesh", "Ft-Star", "Ft-Tiny"]
    assert float(rows[2]["r"]) == pytest.approx(2 / 11)


def test_data_cube_integrity(data: p.ActorData, tmp_path: Path) -> None:
    """W3C Data Cube well-formedness: IC-1 (one data set per observation), IC-11 (every dimension
    present), IC-12 (no duplicate observations), IC-14 (the measure of the measureType is present)."""
    f.write_metrics(data, tmp_path, BASE, SETTINGS)
    cube = EmbeddedEngine(store_from_graph(Graph().parse(tmp_path / "metrics" / "observations.ttl")))
    prefixes = "PREFIX qb: <http://purl.org/linked-data/cube#>\n"
    assert not cube.ask(prefixes + """ASK { ?obs a qb:Observation .
        FILTER NOT EXISTS { ?obs qb:dataSet ?set } }""")
    assert not cube.ask(prefixes + """ASK { ?obs qb:dataSet/qb:structure/qb:component/qb:dimension ?dim .
        FILTER NOT EXISTS { ?obs ?dim ?value } }""")
    assert not cube.ask(prefixes + """ASK { ?a qb:measureType ?m ; ?m ?v ; qb:dataSet ?set .
        FILTER NOT EXISTS { ?a qb:dataSet/qb:structure/qb:component/qb:dimension ?dim . ?a ?dim ?x .
                            FILTER NOT EXISTS { ?b ?dim ?x } }
        ?b qb:measureType ?m ; qb:dataSet ?set . FILTER(?a != ?b)
        FILTER NOT EXISTS { ?a qb:dataSet/qb:structure/qb:component/qb:dimension ?d . ?a ?d ?va . ?b ?d ?vb .
                            FILTER(?va != ?vb) } }""")
    assert not cube.ask(prefixes + """ASK { ?obs qb:measureType ?m . FILTER NOT EXISTS { ?obs ?m ?v } }""")


# The command ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out")
    (out / GRAPH_NT).write_text(world().graph.serialize(format="nt"), encoding="utf-8")
    return out


def run(out_dir: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--quiet", "metrics", "--out", str(out_dir), "--draws", "20", *args])
    return result.exit_code, result.output


def test_command_json_for_one_metropole(out_dir: Path, found: list[f.Report]) -> None:
    code, output = run(out_dir, "--metropole", "ft-star", "--format", "json")
    assert code == 0, output
    (report,) = json.loads(output)
    assert report["scope"] == "ft-star" and report["status"] == "ok"
    assert report["values"] == pytest.approx(found[1].values)
    assert report["method"]["null_draws"] == 20


def test_command_table_csv_and_timeline(out_dir: Path) -> None:
    code, output = run(out_dir)
    assert code == 0 and "Federation Index per metropole" in output and "ft-mesh" in output
    code, output = run(out_dir, "--format", "csv", "--as-of", "2017")
    rows = list(csv.DictReader(io.StringIO(output)))
    assert code == 0 and [row["scope"] for row in rows][-1] == "national"
    assert {row["as_of"] for row in rows} == {"2017-12-31"}
    code, output = run(out_dir, "--timeline", "--format", "csv", "--metropole", "ft-mesh")
    rows = list(csv.DictReader(io.StringIO(output)))
    assert code == 0 and [(row["waves"], row["status"]) for row in rows] == [
        ("wave-2014;wave-2014-bis", "insufficient data"), ("wave-2017", "ok")]
    code, output = run(out_dir, "--timeline")
    assert code == 0 and "2017-01-01" in output and "insufficient data on every date: ft-tiny" in output


def test_command_errors(out_dir: Path) -> None:
    code, output = run(out_dir, "--metropole", "ft-stra")
    assert code == 2 and "no such ecosystem" in output and "ft-star" in output
    code, output = run(out_dir, "--as-of", "12/11/2014")
    assert code == 2 and "expected YYYY-MM-DD" in output
    code, output = run(out_dir, "--metropole", "national", "--timeline")
    assert code == 2 and "--timeline is per metropole" in output


# The curated data: stable facts only --------------------------------------------------------------


def test_curated_grenoble(built: BuiltGraph) -> None:
    data = built.actor_data
    national = p.actor_graph(data)
    grenoble = p.metropole_graph(national, data.ecosystems["french-tech-grenoble"])
    assert grenoble.nodes["spartoo"][p.LOCAL] and grenoble.nodes["atos"][p.LOCAL]
    assert grenoble.nodes["french-tech-grenoble"][p.LOCAL]
    assert not grenoble.nodes["axelle-lemaire"][p.LOCAL]  # the minister visits; she is not a local actor
    visit = next(event for event in data.events if event.id == "visit-axelle-lemaire-grenoble-2014-09-12")
    assert "xavier-schmitt" not in visit.participants  # a reporter covers the visit
    assert {"axelle-lemaire", "spartoo", "atos", "biopolis"} <= set(visit.participants)
    tie = national.edges["axelle-lemaire", "spartoo", visit.id]
    assert tie["weight"] == pytest.approx(1 / (len(visit.participants) - 1))
    assert ("2014-11-12", "labelling-decision-2014-11-12") in data.waves
    report = f.metropole_report(national, data.ecosystems["french-tech-grenoble"], p.Snapshot(), SETTINGS)
    assert report.values["actors"] >= 10 and report.status == f.OK
    assert report.values["federation_index"] is not None and 0 < report.values["federation_index"] <= 1
