"""The main job (``ftgraph run`` / ``make run``): build, validate, then every stage writes into ``out/``.

Stages talk through the built graph, never through each other. Each stage is a function
``(built, out_dir, progress) -> list of written paths``; all of them write into one staging copy of
``out/`` that replaces it atomically at the end, so a failed run leaves the previous ``out/`` intact.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ftgraph.atomic import staged_dir
from ftgraph.build import BuiltGraph, Paths, build_graph, write_graph_files
from ftgraph.engine import store_stage
from ftgraph.federation import metrics_stage
from ftgraph.namespaces import DEFAULT_BASE_IRI
from ftgraph.progress import Progress
from ftgraph.release import release_stage
from ftgraph.viz import outputs_stage

Stage = Callable[[BuiltGraph, Path, Progress], list[Path]]


def _graph_stage(built: BuiltGraph, out_dir: Path, progress: Progress) -> list[Path]:
    return write_graph_files(built, out_dir)


#: Ordered stages of the main job; later stages may read files written by earlier ones in ``out_dir``.
STAGES: list[tuple[str, Stage]] = [
    ("graph files", _graph_stage),
    ("embedded SPARQL store", store_stage),
    ("federation metrics (out/metrics/)", metrics_stage),
    ("release (exports, metrics, dataset description, checksums)", release_stage),
    ("network pages, figures, out/index.html (keep last: it links every file)", outputs_stage),
]


@dataclass(frozen=True)
class RunResult:
    built: BuiltGraph
    written: list[Path]


def run(paths: Paths, base_iri: str = DEFAULT_BASE_IRI, *, progress: Progress,
        stages: list[tuple[str, Stage]] | None = None) -> RunResult:
    """Build the graph and run ``stages`` (default: all), replacing ``paths.out`` atomically."""
    with progress.step("load, map and validate the curated data"):
        built = build_graph(paths, base_iri)
    written: list[Path] = []
    with staged_dir(paths.out) as staging:
        for name, stage in stages if stages is not None else STAGES:
            with progress.step(name):
                written += stage(built, staging, progress)
    final = [paths.out.resolve() / path.relative_to(staging) for path in written]
    return RunResult(built, final)
