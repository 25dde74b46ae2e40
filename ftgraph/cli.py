"""The ``ftgraph`` command line: a thin layer over the package's functions.

Each stage's module defines its commands (with :mod:`ftgraph.clikit`); the group lists them in
:data:`COMMANDS` and imports a command's module only when that command runs, so that ``ftgraph
--help`` and light commands (``query``, ``queries``...) start without loading pyshacl, matplotlib,
networkx or pyld. ``ftgraph --help`` shows each command's summary from :data:`COMMANDS` (a test checks
that it is the command's own).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.table import Table

from ftgraph.build import GRAPH_NT, Paths, build_graph, class_counts, property_counts
from ftgraph.clikit import base_option, data_option, out_option, stderr, stdout, user_errors
from ftgraph.progress import Progress

if TYPE_CHECKING:
    from ftgraph.pipeline import RunResult

__all__ = ["COMMANDS", "base_option", "cli", "data_option", "main", "out_option", "stderr", "stdout", "user_errors"]

#: The commands defined in other modules: name → (``module:attribute``, summary shown by ``--help``).
COMMANDS: dict[str, tuple[str, str]] = {}


class LazyGroup(click.Group):
    """A group whose commands of :data:`COMMANDS` are imported when they run (click's lazy-loading
    pattern); its listing reads their summaries without importing them."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS and cmd_name not in self.commands:
            module, _, attribute = COMMANDS[cmd_name][0].partition(":")
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(map(len, names), default=0)
        rows = []
        for name in names:  # a command not imported yet is shown by a stand-in holding its summary
            command = self.commands.get(name) or click.Command(name, help=COMMANDS[name][1])
            rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup)
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
    from ftgraph import pipeline

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
    from ftgraph import pipeline

    paths = Paths.default(data=data_dir, out=out_dir)
    _summary(pipeline.run(paths, base_iri, progress=progress))


def _summary(result: RunResult) -> None:
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


# Each stage's module defines its commands (with ftgraph.clikit); the group only gathers them, by name:
# (module:attribute, the first sentence of the command's help).
for _name, _command, _summary_text in (
    ("coverage", "ftgraph.coverage:coverage_command",
     "Write the data coverage report (docs/data.md) from a fresh build of the curated data."),
    ("queries", "ftgraph.query:queries_command",
     "List the library queries with their titles, or show one query's header and text."),
    ("query", "ftgraph.query:query_command",
     "Run a library query (see `ftgraph queries`), a .rq file or SPARQL text (-e)."),
    ("push", "ftgraph.push:push", "Upload out/graph.nt into a named graph of a SPARQL store, replacing that graph."),
    ("metrics", "ftgraph.metrics_cli:metrics_command",
     "How federated each metropole's local actors are: network measures and the Federation Index."),
    ("viz", "ftgraph.viz:viz_command",
     "An interactive page of the actor network (national, or one metropole's) that works offline."),
    ("figures", "ftgraph.figures:figures_command",
     "Figures for papers (PNG and SVG): Federation Index ranking, label timeline, index over time, one network "
     "per labelled metropole."),
    ("export", "ftgraph.export:export_command",
     "Export the graph as Turtle, N-Triples, N-Quads, TriG, JSON-LD or RDF/XML, or its actor graph as GEXF, "
     "GraphML or CSV node and edge lists with network measures."),
    ("release", "ftgraph.release:release_command",
     "Write a versioned release: every export, the ontology, the context, VoID/DCAT and SHA256SUMS."),
    ("docs", "ftgraph.docs:docs_command",
     "Regenerate docs/: ontology reference with class diagram, query catalogue, index."),
    ("serve", "ftgraph.server_cli:serve_command",
     "Serve the graph: SPARQL endpoint at /sparql, query page at /, every entity IRI by its path (BASE-IRI/x/y "
     "is served at /x/y)."),
    ("bench-serve", "ftgraph.server_cli:bench_serve_command",
     "Load run on loopback: CLIENTS clients send the library's queries for DURATION s to ftgraph serve, then to "
     "rdflib-endpoint on the same graph; prints throughput and p50/p95 latency side by side."),
    ("ingest", "ftgraph.ingest.cli:ingest",
     "Bring new sources into data/ as sourced records (tables, SPARQL endpoints, press articles)."),
    ("synth", "ftgraph.synth:synth",
     "Generate a synthetic national-scale ecosystem (sorted N-Triples) for scale tests and benchmarks."),
    ("bench", "ftgraph.bench:bench",
     "Benchmark the project against rdflib and raw pyoxigraph on synthetic graphs; write docs/benchmarks.*."),
    ("reliability", "ftgraph.reliability:reliability_command",
     "Measure reliability and security (fuzzing, faults, load with a hostile client) into docs/reliability.md."),
):
    COMMANDS[_name] = (_command, _summary_text)
