"""``ftgraph ingest sparql`` against a local Wikidata-shaped endpoint (offline), through the CLI."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from ftgraph.cli import cli
from ftgraph.ingest.common import EntityIndex, InputError
from ftgraph.ingest.sparql import USER_AGENT, PoliteEndpoint, Politeness, load_sparql, partial_date
from ftgraph.loader import load_dataset

from .ingest_support import FIXTURES, Endpoint, fixture_data, records_by_id, snapshot, sparql_endpoint

QUICK = Politeness(min_interval=0.0, backoff=0.01)


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    with sparql_endpoint(FIXTURES / "wikidata.ttl") as running:
        yield running


def _ingest(endpoint: Endpoint, data: Path, cache: Path, *extra: str) -> str:
    result = CliRunner().invoke(cli, ["--quiet", "ingest", "sparql", "--endpoint", endpoint.url, "--query",
                                      "organisations", "--cache", str(cache), "--min-interval", "0",
                                      "--data", str(data), *extra])
    assert result.exit_code == 0, result.output
    return result.output


def test_organisations_become_sourced_records_with_same_as(endpoint: Endpoint, tmp_path: Path) -> None:
    data = fixture_data(tmp_path)
    output = _ingest(endpoint, data, tmp_path / "cache")
    records = records_by_id(data / "ingested" / "sparql-organisations.yaml")
    sources = records_by_id(data / "sources" / "ingested-sparql-organisations.yaml")

    (source_id, source), = sources.items()
    assert source["type"] == "dataset" and source["url"] == f"{endpoint.url}#organisations"
    assert source["date"] == dt.datetime.now(dt.UTC).date().isoformat()

    niveole = records["niveole"]
    assert niveole == {
        "id": "niveole", "name": "Nivéole", "type": "company", "city": "grenoble", "founded": "2019-03",
        "website": "https://niveole.example.org", "siren": "990000001", "wikidata": "Q990001",
        "sectors": ["robotique", "énergie"], "sources": [source_id],
    }
    # founders: a new person, and one already curated (matched on the name, so its id is reused)
    assert records["claire-dumontet"] == {"id": "claire-dumontet", "name": "Claire Dumontet", "wikidata": "Q990301",
                                          "sources": [source_id]}
    assert "boris-saragaglia" not in records
    assert records["boris-saragaglia-founder-niveole"]["member"] == "boris-saragaglia"
    assert records["claire-dumontet-founder-niveole"]["role"] == "role-founder"
    assert "claire-dumontet-ceo-niveole" not in records  # the organisations query asks for founders only
    # the organisation already curated (same SIREN, another label) keeps its id and its curated record
    assert "cimes-robotique" not in records and "cimes-robotique-sas" not in records
    assert "cimes-robotique is curated in" in output and "wikidata='Q990002'" in output
    # an invalid website is dropped with a warning; the university class gives the type
    university = records["universite-fixture-de-lyon"]
    assert university["type"] == "school" and "website" not in university and university["city"] == "lyon"
    assert "Q990003: dropped website='not a url'" in output
    # an organisation founded by an organisation (not a human) has no founder; nothing outside the cities
    assert records["filiale-alpine"]["city"] == "grenoble"
    assert not any(record.get("member") == "cimes-robotique" for record in records.values())
    assert "societe-hors-graphe" not in records
    # the cities: found by label (not a river named Lyon), the homonym communes reported, never guessed
    assert "valence is curated" not in output and "ambiguous: valence could be Q990102, Q990104" in output
    assert "grenoble is curated in" in output and "wikidata=" in output
    assert "3 cities found, 1 not found, 1 ambiguous" in output
    load_dataset(data)  # the result is valid data


def test_politeness_user_agent_retries_and_cache(endpoint: Endpoint, tmp_path: Path) -> None:
    data = fixture_data(tmp_path)
    endpoint.failures = [429, 503]
    _ingest(endpoint, data, tmp_path / "cache")
    assert set(endpoint.user_agents) == {USER_AGENT}
    assert len(endpoint.user_agents) == len(endpoint.queries) + 2  # two refused requests were retried
    before = snapshot(data)
    asked = len(endpoint.queries)
    output = _ingest(endpoint, data, tmp_path / "cache")
    assert len(endpoint.queries) == asked, "a second run is answered by the cache"
    assert "0 request(s)" in output and "nothing to write" in output
    assert snapshot(data) == before
    _ingest(endpoint, data, tmp_path / "cache", "--refresh")
    assert len(endpoint.queries) == 2 * asked


def test_rate_limit_spaces_requests(endpoint: Endpoint, tmp_path: Path) -> None:
    waits: list[float] = []
    client = PoliteEndpoint(endpoint.url, None, Politeness(min_interval=5.0), sleep=waits.append)
    for _ in range(3):
        client.select("SELECT * WHERE { ?s ?p ?o } LIMIT 1")
    assert len(waits) == 2 and all(4.0 < wait <= 5.0 for wait in waits)


def test_gives_up_with_a_clear_error_after_the_retries(endpoint: Endpoint, tmp_path: Path) -> None:
    endpoint.failures = [503] * 3
    delays: list[float] = []
    client = PoliteEndpoint(endpoint.url, None, Politeness(min_interval=0.0, retries=2, backoff=0.5),
                            sleep=delays.append)
    with pytest.raises(InputError, match="no answer after 3 request"):
        client.select("SELECT * WHERE { ?s ?p ?o }")
    assert delays == [0.0, 0.0]  # the server's Retry-After wins over the back-off


def test_back_off_doubles_without_retry_after(tmp_path: Path) -> None:
    delays: list[float] = []
    client = PoliteEndpoint("http://127.0.0.1:9/sparql", None, Politeness(min_interval=0.0, retries=3, backoff=0.5,
                                                                             timeout=2), sleep=delays.append)
    with pytest.raises(InputError, match="no answer after 4 request"):
        client.select("SELECT * WHERE { ?s ?p ?o }")
    assert delays == [0.5, 1.0, 2.0]


def test_a_bad_query_is_not_retried(endpoint: Endpoint) -> None:
    client = PoliteEndpoint(endpoint.url, None, QUICK)
    with pytest.raises(InputError, match="rejected the query"):
        client.select("SELECT WHERE {")
    assert len(endpoint.user_agents) == 1


def test_stale_cache_is_asked_again(endpoint: Endpoint, tmp_path: Path) -> None:
    client = PoliteEndpoint(endpoint.url, tmp_path, QUICK)
    query = "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1"
    client.select(query)
    (entry,) = tmp_path.glob("*.json")
    cached = json.loads(entry.read_text())
    cached["retrieved"] = (dt.datetime.now(dt.UTC) - dt.timedelta(days=30)).isoformat()
    entry.write_text(json.dumps(cached))
    assert client.select(query).from_cache is False
    assert client.select(query).from_cache is True


def test_people_query_maps_chairs_and_chief_executives(endpoint: Endpoint, tmp_path: Path) -> None:
    data = fixture_data(tmp_path)
    dataset = load_dataset(data)
    result = load_sparql(PoliteEndpoint(endpoint.url, None, QUICK), "people", dataset, EntityIndex(dataset))
    roles = {(r.member, r.role, r.organisation) for kind, r in result.batch.records if kind == "roles"}  # type: ignore[attr-defined]
    assert roles == {
        ("claire-dumontet", "role-founder", "niveole"), ("claire-dumontet", "role-ceo", "niveole"),
        ("boris-saragaglia", "role-founder", "niveole"),
        ("helene-fixture", "role-president", "universite-fixture-de-lyon"),
    }


def test_unknown_query_and_unreachable_cities_are_errors(endpoint: Endpoint, tmp_path: Path) -> None:
    data = fixture_data(tmp_path)
    result = CliRunner().invoke(cli, ["ingest", "sparql", "--endpoint", endpoint.url, "--query", "nope",
                                      "--data", str(data)])
    assert result.exit_code == 2 and "nope" in result.output
    for path in (data / "metropoles" / "grenoble.yaml",):
        path.write_text(path.read_text().replace("name: Grenoble,", "name: Grenoble-Imaginaire,")
                        .replace("name: Lyon,", "name: Lyon-Imaginaire,").replace("name: Meylan,", "name: M,")
                        .replace("name: Valence,", "name: V,"))
    dataset = load_dataset(data)
    with pytest.raises(InputError, match="none of the graph's communes was found"):
        load_sparql(PoliteEndpoint(endpoint.url, None, QUICK), "organisations", dataset, EntityIndex(dataset))


@pytest.mark.parametrize(("value", "precision", "expected"), [
    ("2019-03-15T00:00:00Z", "11", "2019-03-15"), ("2019-03-01T00:00:00Z", "10", "2019-03"),
    ("2019-01-01T00:00:00Z", "9", "2019"), ("2010-01-01T00:00:00Z", "8", None), ("-0500-01-01T00:00:00Z", "9", None),
])
def test_inception_keeps_the_precision_wikidata_gives(value: str, precision: str, expected: str | None) -> None:
    assert partial_date(value, precision) == expected
