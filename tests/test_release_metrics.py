"""The release ships the federation metrics (Data Cube observations) when the metrics stage wrote them."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from rdflib import Graph
from rdflib.namespace import DCAT, DCTERMS

from ftgraph.build import build_graph
from ftgraph.release import CHECKSUM_FILE, DESCRIPTION_FILE, METRICS_FILE, ReleaseInfo, write_release

from .conftest import ROOT
from .test_build import minimal_paths


def test_release_includes_metrics_observations(tmp_path: Path) -> None:
    built = build_graph(minimal_paths(tmp_path))
    observations = tmp_path / "observations.ttl"
    observations.write_text("<https://example.org/obs/1> <https://example.org/p> 1 .\n", encoding="utf-8")
    folder = tmp_path / "release"
    written = write_release(built, folder, ReleaseInfo.for_date(dt.date(2026, 11, 27)), ROOT / "ontology",
                            observations)
    shipped = folder / METRICS_FILE
    assert shipped in written and shipped.read_bytes() == observations.read_bytes()
    digest = hashlib.sha256(shipped.read_bytes()).hexdigest()
    assert f"{digest}  {METRICS_FILE}\n" in (folder / CHECKSUM_FILE).read_text()
    description = Graph().parse(folder / DESCRIPTION_FILE, format="turtle")
    titles = {str(t) for d in description.subjects(DCAT.mediaType, None) for t in description.objects(d, DCTERMS.title)}
    assert any("Federation metrics" in title for title in titles), titles
    assert shipped.stat().st_size in {int(v) for v in description.objects(None, DCAT.byteSize)}
