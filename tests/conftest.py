"""Shared fixtures. With FTGRAPH_STRICT=1 (CI), a skipped test counts as a failure."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ftgraph.build import BuiltGraph, Paths, build_graph

ROOT = Path(__file__).resolve().parent.parent
STRICT = os.environ.get("FTGRAPH_STRICT", "") not in ("", "0")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    if STRICT and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.longrepr = f"skipped in strict mode (FTGRAPH_STRICT=1): {reason}"


def require_program(name: str, package: str) -> str:
    """Path of a system program, or skip (a failure in strict mode) saying how to install it."""
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"'{name}' not found: install the Debian package '{package}' (make system-deps)")
    return path


@pytest.fixture(scope="session")
def paths() -> Paths:
    return Paths(data=ROOT / "data", ontology=ROOT / "ontology", out=ROOT / "out")


@pytest.fixture(scope="session")
def built(paths: Paths) -> BuiltGraph:
    """The real curated graph, built once per test session."""
    return build_graph(paths)
