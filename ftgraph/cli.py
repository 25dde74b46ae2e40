"""The ``ftgraph`` command line: a thin layer over the package's functions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.table import Table

from ftgraph import pipeline
from ftgraph.bench import bench
from ftgraph.build import GRAPH_NT, Paths, build_graph, class_counts, property_counts
from ftgraph.clikit import base_option, data_option, out_option, stderr, stdout, user_errors
from ftgraph.coverage import coverage_command
from ftgraph.docs import docs_command
from ftgraph.export import export_command
from ftgraph.figures import figures_command
from ftgraph.ingest.cli import ingest
from ftgraph.metrics_cli import metrics_command
from ftgraph.progress import Progress
from ftgraph.push import push
from ftgraph.query import queries_command, query_command
from ftgraph.release import release_command
from ftgraph.reliability import reliability_command
from ftgraph.server_cli import bench_serve_command, serve_command
from ftgraph.synth import synth
from ftgraph.viz import viz_command

__all__ = ["base_option", "cli", "data_option", "main", "out_option", "stderr", "stdout", "user_errors"]


@click.group()
@click.option("--quiet", "-q", is_flag=True, help="No progress output (for scripts).")
@click.version_option(package_name="ftgraph")
@click.pass_context
def cli(ctx: click.Context, quiet: bool) -> None:
    """ftgraph: a sourced knowledge graph of the French Tech ecosystem."""
    ctx.obj = Progress(quiet=quiet)


def _short(iri: object) -> str:
    text = str(iri)
    for prefix, namespace in (("ft:", "https://w3id.org/ftgraph/ontology#"), ("org:", "http://www.w3.org/ns/org#"),
                              ("foaf:", "http://xmlns.com/foaf/0.1/"), ("schema:", "http://schema.org/"),
                              ("prov:", "http://www.w3.org/ns/prov#"), ("skos:", "http://www.w3.org/2004/02/skos/core#")):
        if text.startswith(namespace):
            return prefix + text[len(namespace):]
    return text


def _counts_table(title: str, counts: dict[Any, int]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("term")
    table.add_column("count", justify="right")
    for term, count in sorted(counts.items(), key=lambda item: (-item[1], str(item[0]))):
        table.add_row(_short(term), str(count))
    return table


@cli.command()
@data_option
@out_option
@base_option
@click.pass_obj
@user_errors
def build(progress: Progress, data_dir: Path | None, out_dir: Path | None, base_iri: str) -> None:
    """Build, validate and write out/graph.nt (sorted) and out/graph.ttl."""
    paths = Paths.default(data=data_dir, out=out_dir)
    result = pipeline.run(paths, base_iri, progress=progress, stages=pipeline.STAGES[:1])
    _summary(result)


@cli.command()
@data_option
@out_option
@base_option
@click.pass_obj
@user_errors
def run(progress: Progress, data_dir: Path | None, out_dir: Path | None, base_iri: str) -> None:
    """The main job: build, validate and write every output of the project into out/."""
    paths = Paths.default(data=data_dir, out=out_dir)
    _summary(pipeline.run(paths, base_iri, progress=progress))


def _summary(result: pipeline.RunResult) -> None:
    graph = result.built.combined
    entity_classes = {cls: n for cls, n in class_counts(result.built.data).items()}
    stdout.print(_counts_table("Entities per class", entity_classes))
    stdout.print(f"Triples: {len(graph)} ({len(result.built.data)} data, {len(result.built.ontology)} ontology)")
    stdout.print(result.built.report.summary())
    stdout.print("Files:")
    for path in result.written:
        stdout.print(f"  {path}")


@cli.command()
@data_option
@base_option
@click.pass_obj
@user_errors
def validate(progress: Progress, data_dir: Path | None, base_iri: str) -> None:
    """Validate the curated data and the SHACL shapes; exit 1 on any violation, 2 on bad input."""
    with progress.step("load, map and validate"):
        built = build_graph(Paths.default(data=data_dir), base_iri)
    stdout.print(f"{len(built.dataset)} records, {len(built.data)} triples.")
    stdout.print(built.report.summary())


@cli.command()
@data_option
@out_option
@base_option
@click.pass_obj
@user_errors
def stats(progress: Progress, data_dir: Path | None, out_dir: Path | None, base_iri: str) -> None:
    """Counts per class and per property of the built graph (out/graph.nt, else a fresh build)."""
    from rdflib import Graph

    paths = Paths.default(data=data_dir, out=out_dir)
    graph_file = paths.out / GRAPH_NT
    with progress.step("read the graph"):
        if graph_file.is_file():
            graph = Graph().parse(graph_file, format="nt")
        else:
            graph = build_graph(paths, base_iri).combined
    stdout.print(_counts_table("Entities per class", dict(class_counts(graph))))
    stdout.print(_counts_table("Triples per property", dict(property_counts(graph))))
    stdout.print(f"Triples: {len(graph)}")


def main() -> None:
    cli(prog_name="ftgraph")


# Each stage's module defines its commands (with ftgraph.clikit); the group only gathers them.
for _command in (
    coverage_command, queries_command, query_command, push, metrics_command, viz_command, figures_command,
    export_command, release_command, docs_command, serve_command, bench_serve_command, ingest, synth, bench,
    reliability_command,
):
    cli.add_command(_command)
