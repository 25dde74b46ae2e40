"""The benchmark command (``ftgraph bench``): a tiny real run, the time cap, and how results are judged."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from ftgraph.bench import (
    CAPPED,
    LOAD,
    METRICS,
    OK,
    PROJECT,
    PROJECTION,
    QUERY_PREFIX,
    RDFLIB,
    BenchResults,
    CuratedRun,
    Outcome,
    Session,
    SizeRun,
    growth_exponent,
    render,
    run_session,
)
from ftgraph.cli import cli
from ftgraph.synth import synthesize


def test_bench_command_writes_markdown_csv_and_plot(tmp_path: Path) -> None:
    out = tmp_path / "docs" / "benchmarks.md"
    result = CliRunner().invoke(cli, ["--quiet", "bench", "--sizes", "1k", "--repeat", "1", "--cap", "120",
                                      "--out", str(out), "--no-curated", "--queries", "label-waves,brokers",
                                      "--work", str(tmp_path / "work")])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.with_suffix(".csv").read_text(encoding="utf-8"))))
    medians = {(row["contender"], row["operation"]): row for row in rows}
    for contender in ("project", "rdflib", "pyoxigraph"):
        for operation in ("load", "query label-waves", "query brokers", "export N-Triples", "export Turtle"):
            assert medians[contender, operation]["status"] == "ok", (contender, operation)
        assert float(medians[contender, "peak memory (bytes)"]["median_s"]) > 10 * 2**20
    for contender in ("project", "rdflib"):
        assert medians[contender, "metrics"]["status"] == "ok"
    loaded = {int(medians[c, "load"]["size_of_result"]) for c in ("project", "rdflib", "pyoxigraph")}
    assert len(loaded) == 1 and loaded.pop() > 1000  # every contender loaded the same triples
    text = out.read_text(encoding="utf-8")
    assert "## Targets (issue 10, judged at 1k triples)" in text
    project, rdflib_time = (float(medians[c, "load"]["median_s"]) for c in ("project", "rdflib"))
    ratio = rdflib_time / project
    shown = f"{ratio:.2f}×" if ratio < 10 else f"{ratio:.0f}×"
    assert any(line.startswith("| load |") and f"| {shown} |" in line for line in text.splitlines())
    assert out.with_suffix(".png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Loading ≥ 8× faster than rdflib" in result.output


def test_an_operation_past_the_cap_is_stopped_and_the_next_one_runs(tmp_path: Path) -> None:
    """Metrics on 10k triples take several seconds: with a 3 s cap they are interrupted (alarm in the
    child), reported as capped, and the child goes on with the next operation."""
    synthetic = synthesize(10_000, 7, tmp_path / "synth")
    session = run_session(PROJECT, synthetic.graph, [LOAD, METRICS, PROJECTION], cap=3.0)
    assert session.outcomes[LOAD] == Outcome(OK, session.outcomes[LOAD].seconds, synthetic.triples)
    assert session.outcomes[METRICS].status == CAPPED
    assert session.outcomes[PROJECTION].status == OK
    assert session.rss_after_load is not None and session.peak_rss >= session.rss_after_load


def test_growth_exponent() -> None:
    assert growth_exponent([(10_000, 1.0), (100_000, 10.0), (1_000_000, 100.0)]) == pytest.approx(1.0)
    assert growth_exponent([(10_000, 1.0), (100_000, 100.0)]) == pytest.approx(2.0)
    assert growth_exponent([(10_000, 1.0)]) is None


def test_a_capped_rdflib_gives_a_lower_bound_and_a_missed_target_says_why() -> None:
    run = SizeRun("1M", 1_000_000, {"roles": 1})
    query = QUERY_PREFIX + "brokers"
    run.sessions = {
        PROJECT: [Session({LOAD: Outcome(OK, 40.0, 1_000_000), query: Outcome(OK, 2.0, 10)}, 800 * 2**20,
                          600 * 2**20)],
        RDFLIB: [Session({LOAD: Outcome(OK, 100.0, 1_000_000), query: Outcome(CAPPED)}, 1000 * 2**20,
                         900 * 2**20)],
        "pyoxigraph": [Session({LOAD: Outcome(OK, 10.0, 1_000_000), query: Outcome(OK, 0.5, 10)}, 500 * 2**20,
                               400 * 2**20)],
    }
    text = render(BenchResults([run], ["brokers"], 300.0, 1, 0, "now", {}, CuratedRun(20.0, 18.0, {"build": 5.0})))
    lines = text.splitlines()
    assert "| query brokers | 2.0 s | > cap | 500 ms | > 150× | 4.00× |" in lines
    load = next(line for line in lines if line.startswith("| Loading ≥ 8× faster than rdflib"))
    assert "| 2.50× | **missed** |" in load and "project 40.0 s, rdflib 100.0 s" in load
    memory = next(line for line in lines if line.startswith("| Peak memory"))
    assert "0.80 of rdflib's | **missed** |" in memory and "lower bound" in memory
    assert any(line.startswith("| Every library query ≥ 10× faster than rdflib | 1 of 1 queries | met")
               for line in lines)
    assert any(line.startswith("| `make run`") and "| 20.0 s | met |" in line for line in lines)
