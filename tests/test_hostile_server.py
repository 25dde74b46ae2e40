"""The server under hostile input: oversized and malformed requests, pathological queries, Update,
SERVICE and LOAD, path traversal, header injection, script injection through data. Each is refused or
contained, the server answers a plain query after each one, no query makes a connection elsewhere, and
memory stays under the workers' limit. ``ftgraph reliability load`` runs the same attacks during a load
run on the real graph (figures in docs/reliability.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ftgraph import pipeline
from ftgraph.build import GRAPH_NT, Paths
from ftgraph.namespaces import DEFAULT_BASE_IRI
from ftgraph.progress import Progress
from ftgraph.reliability import (
    HOSTILE_ENTITY,
    Attack,
    BatteryReport,
    Listener,
    MemorySampler,
    attacks,
    hostile_graph,
    run_battery,
)
from ftgraph.server_bench import ServerProcess

from .conftest import ROOT
from .test_build import write_minimal

TIMEOUT = 3.0
WORKERS = 2
WORKER_MEMORY_MB = 768
MAX_REQUEST_BYTES = 64 * 1024


@pytest.fixture(scope="module")
def hostile_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """out/ of the minimal dataset, plus an organisation whose data carries script payloads."""
    root = tmp_path_factory.mktemp("hostile")
    out = root / "out"
    pipeline.run(Paths(write_minimal(root), ROOT / "ontology", out), progress=Progress(quiet=True),
                 stages=pipeline.STAGES[:1])
    (out / GRAPH_NT).write_bytes(hostile_graph((out / GRAPH_NT).read_bytes(), DEFAULT_BASE_IRI))
    return out


@pytest.fixture(scope="module")
def server(hostile_out: Path) -> Iterator[ServerProcess]:
    with ServerProcess.ftgraph(hostile_out, "--workers", str(WORKERS), "--timeout", str(TIMEOUT),
                               "--worker-memory", str(WORKER_MEMORY_MB),
                               "--max-request-bytes", str(MAX_REQUEST_BYTES)) as process:
        yield process


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    instance = Listener()
    yield instance
    instance.close()


@pytest.fixture(scope="module")
def battery(listener: Listener) -> list[Attack]:
    return attacks(timeout=TIMEOUT, max_request_bytes=MAX_REQUEST_BYTES, listener_port=listener.port)


@pytest.fixture(scope="module")
def report(server: ServerProcess, battery: list[Attack], listener: Listener) -> tuple[BatteryReport, MemorySampler]:
    assert server.process is not None
    sampler = MemorySampler(server.process.pid)
    result = BatteryReport()
    try:
        run_battery(server.url, battery, result, timeout=TIMEOUT)
    finally:
        sampler.stop()
    result.outbound_connections = listener.connections
    return result, sampler


KINDS = ["oversized", "malformed", "pathological", "update", "traversal", "header injection", "script injection"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_attack_is_refused_or_contained(report: tuple[BatteryReport, MemorySampler], kind: str) -> None:
    result, _ = report
    assert result.sent[kind] >= 3
    assert [problem for problem in result.problems if problem.startswith(kind)] == []
    assert result.held[kind] == result.sent[kind]


def test_the_server_answers_a_plain_query_after_every_attack(report: tuple[BatteryReport, MemorySampler],
                                                             battery: list[Attack]) -> None:
    result, _ = report
    assert result.health_checks == len(battery) and result.health_failures == 0


def test_no_query_made_a_connection_elsewhere(report: tuple[BatteryReport, MemorySampler]) -> None:
    result, _ = report
    assert result.sent["update"] >= 5 and result.outbound_connections == 0


def test_memory_stays_under_the_workers_limit(report: tuple[BatteryReport, MemorySampler]) -> None:
    """The ORDER BY over a cross product and the doubled string would each take gigabytes: the workers'
    limit stops them (503) and the server's memory stays bounded."""
    _, sampler = report
    assert sampler.peak - sampler.baseline < WORKERS * WORKER_MEMORY_MB * 2**20


def test_the_hostile_entity_exists_so_the_script_check_is_real(server: ServerProcess) -> None:
    """The page checked for escaping shows the entity (a 404 would hide the payloads)."""
    import urllib.request

    request = urllib.request.Request(server.url + HOSTILE_ENTITY, headers={"Accept": "application/n-triples"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert b"alert(" in response.read()
