"""Command-line entry points of the server: ``ftgraph serve`` and ``ftgraph bench-serve``.

Kept apart from :mod:`ftgraph.server` so that other commands do not import the web stack.
"""

from __future__ import annotations

from pathlib import Path

import click

from ftgraph.build import Paths
from ftgraph.clikit import base_option, out_option, user_errors
from ftgraph.progress import Progress
from ftgraph.server_pool import default_workers

__all__ = ["bench_serve_command", "serve_command"]

@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to listen on (0: any free port; the URL is printed).")
@base_option
@click.option("--timeout", type=click.FloatRange(min=0.1), default=30.0, show_default=True,
              help="Seconds a query may run before it is stopped.")
@click.option("--workers", type=click.IntRange(min=1), default=default_workers(), show_default=True,
              help="Query worker processes (queries running at the same time).")
@click.option("--max-rows", type=click.IntRange(min=1), default=100_000, show_default=True,
              help="Rows (or triples) per result; longer results are cut (header X-SPARQL-MaxRows).")
@click.option("--max-request-bytes", type=click.IntRange(min=1024), default=256 * 1024, show_default=True,
              help="Largest request body or URL query string.")
@click.option("--worker-memory", type=click.IntRange(min=256), default=None,
              help="Megabytes of memory a query worker may use; a query needing more is stopped "
                   "(default: half the machine's memory, shared among the workers).")
@out_option
@click.pass_obj
@user_errors
def serve_command(progress: Progress, host: str, port: int, base_iri: str, timeout: float, workers: int,
                  max_rows: int, max_request_bytes: int, worker_memory: int | None, out_dir: Path | None) -> None:
    """Serve the graph: SPARQL endpoint at /sparql, query page at /, every entity IRI by its path
    (BASE-IRI/x/y is served at /x/y)."""
    from ftgraph.server import ServerConfig, serve

    config = ServerConfig(Paths.default(out=out_dir).out, base_iri, timeout, workers, max_rows, max_request_bytes,
                          worker_memory=worker_memory << 20 if worker_memory else None)
    serve(config, host, port, quiet=progress.quiet, progress=progress)


@click.command("bench-serve")
@click.option("--clients", type=click.IntRange(min=1), default=16, show_default=True,
              help="Concurrent clients (threads, one keep-alive connection each).")
@click.option("--duration", type=click.FloatRange(min=1), default=30.0, show_default=True,
              help="Seconds of load per server.")
@click.option("--workers", type=click.IntRange(min=1), default=default_workers(), show_default=True,
              help="Query workers of ftgraph serve.")
@click.option("--rdflib-store", type=click.Choice(["default", "Oxigraph"]), default="default", show_default=True,
              help="Store of rdflib-endpoint (default: rdflib's in-memory store).")
@click.option("--no-rdflib-endpoint", is_flag=True, help="Measure ftgraph serve only.")
@click.option("--request-timeout", type=click.FloatRange(min=1), default=30.0, show_default=True,
              help="Seconds a client waits for an answer before counting an error.")
@base_option
@click.option("--report", "report", type=click.Path(path_type=Path), default=None,
              help="Also write the results as Markdown to this file.")
@out_option
@click.pass_obj
@user_errors
def bench_serve_command(progress: Progress, clients: int, duration: float, workers: int, rdflib_store: str,
                        no_rdflib_endpoint: bool, request_timeout: float, base_iri: str, report: Path | None,
                        out_dir: Path | None) -> None:
    """Load run on loopback: CLIENTS clients send the library's queries for DURATION s to ftgraph serve,
    then to rdflib-endpoint on the same graph; prints throughput and p50/p95 latency side by side."""
    from ftgraph.atomic import write_text_atomic
    from ftgraph.server_bench import report_markdown, run_bench

    out = Paths.default(out=out_dir).out
    servers = "ftgraph serve" + ("" if no_rdflib_endpoint else f" and rdflib-endpoint ({rdflib_store} store)")
    with progress.step(f"{clients} clients × {duration:g} s on {servers}"):
        results = run_bench(out, clients=clients, duration=duration, workers=workers, base_iri=base_iri,
                            rdflib_store=None if no_rdflib_endpoint else rdflib_store, timeout=request_timeout)
    text = report_markdown(results)
    click.echo(text)
    if report is not None:
        write_text_atomic(report, text)
