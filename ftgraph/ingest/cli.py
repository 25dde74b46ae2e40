"""``ftgraph ingest``: bring a table, a SPARQL endpoint's answers or press articles into ``data/``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from rich.console import Console

from ftgraph.build import Paths, project_root
from ftgraph.clikit import data_option, user_errors
from ftgraph.ingest import sparql
from ftgraph.ingest.article import (
    DEFAULT_MODEL,
    DEFAULT_THRESHOLD,
    Linker,
    analyse,
    article_files,
    load_nlp,
    read_article,
)
from ftgraph.ingest.common import EntityIndex, MergeReport, merge_into_data
from ftgraph.ingest.csv import load_csv, read_mapping
from ftgraph.ingest.evaluate import evaluate, markdown_table, totals, write_into_doc
from ftgraph.ingest.review import accept_review, article_review, write_review
from ftgraph.loader import load_dataset
from ftgraph.progress import Progress

stdout = Console(highlight=False, soft_wrap=True, markup=False)  # titles and names may hold [brackets]
dry_run_option = click.option("--dry-run", is_flag=True, help="Check and report; write nothing.")
model_option = click.option("--model", default=DEFAULT_MODEL, show_default=True, help="spaCy French pipeline.")
threshold_option = click.option("--threshold", type=click.FloatRange(0, 100), default=DEFAULT_THRESHOLD,
                                show_default=True, help="Fuzzy linking: least rapidfuzz ratio (0-100).")


def _data_dir(data_dir: Path | None) -> Path:
    return Paths.default(data=data_dir).data


def _report(report: MergeReport, dry_run: bool) -> None:
    stdout.print(("[dry run] " if dry_run else "") + report.summary())


@click.group("ingest")
def ingest() -> None:
    """Bring new sources into data/ as sourced records (tables, SPARQL endpoints, press articles)."""


@ingest.command("csv")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--mapping", "mapping_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="YAML column mapping (see docs/ingest.md).")
@click.option("--encoding", default=None, help="Text encoding of FILE (default: the mapping's, else detected).")
@click.option("--delimiter", default=None, help="Cell delimiter of FILE (default: the mapping's, else detected).")
@data_option
@dry_run_option
@click.pass_obj
@user_errors
def csv_command(progress: Progress, file: Path, mapping_path: Path, encoding: str | None, delimiter: str | None,
                data_dir: Path | None, dry_run: bool) -> None:
    """Records from a researcher's table FILE through a column mapping."""
    data = _data_dir(data_dir)
    mapping = read_mapping(mapping_path)
    with progress.step("read the curated data"):
        index = EntityIndex(load_dataset(data))
    batch, table = load_csv(file, mapping, index, encoding=encoding, delimiter=delimiter, progress=progress)
    stdout.print(f"{file}: {table.describe()}")
    with progress.step("validate and merge into data/"):
        report = merge_into_data(data, batch, dry_run=dry_run)
    _report(report, dry_run)


@ingest.command("sparql")
@click.option("--endpoint", default=sparql.WIKIDATA_ENDPOINT, show_default=True, help="SPARQL endpoint URL.")
@click.option("--query", "query_name", required=True, type=click.Choice(sparql.query_names()),
              help="Named query (ftgraph/ingest/queries/NAME.rq).")
@click.option("--cache", "cache_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Cache of answers (default: ~/.cache/ftgraph/sparql).")
@click.option("--refresh", is_flag=True, help="Ask the endpoint again even when the cache holds an answer.")
@click.option("--max-age-days", type=click.FloatRange(min=0), default=7.0, show_default=True,
              help="Cached answers older than this are asked again.")
@click.option("--min-interval", type=click.FloatRange(min=0), default=1.0, show_default=True,
              help="Seconds between two requests.")
@click.option("--retries", type=click.IntRange(min=0), default=4, show_default=True,
              help="Retries (exponential back-off) on 429, 5xx and network errors.")
@click.option("--batch-size", type=click.IntRange(min=1), default=25, show_default=True, help="Cities per request.")
@data_option
@dry_run_option
@click.pass_obj
@user_errors
def sparql_command(progress: Progress, endpoint: str, query_name: str, cache_dir: Path | None, refresh: bool,
                   max_age_days: float, min_interval: float, retries: int, batch_size: int, data_dir: Path | None,
                   dry_run: bool) -> None:
    """Organisations and people of the graph's cities from a Wikidata-shaped endpoint (owl:sameAs links)."""
    data = _data_dir(data_dir)
    politeness = sparql.Politeness(min_interval=min_interval, retries=retries,
                                   max_age=dt.timedelta(days=max_age_days))
    client = sparql.PoliteEndpoint(endpoint, cache_dir or sparql.default_cache_dir(), politeness, refresh=refresh)
    with progress.step("read the curated data"):
        dataset = load_dataset(data)
    result = sparql.load_sparql(client, query_name, dataset, EntityIndex(dataset), batch_size=batch_size,
                                progress=progress)
    cities = result.cities
    stdout.print(f"{endpoint}: {result.requests} request(s), {result.cached_answers} answer(s) from the cache; "
                 f"{len(cities.place_of)} cities found, {len(cities.unresolved)} not found, "
                 f"{len(cities.ambiguous)} ambiguous")
    for place_id, qids in sorted(cities.ambiguous.items()):
        stdout.print(f"  ambiguous: {place_id} could be {', '.join(qids)} (pin `wikidata:` in its record)")
    for warning in result.warnings:
        stdout.print(f"  warning: {warning}")
    with progress.step("validate and merge into data/"):
        report = merge_into_data(data, result.batch, dry_run=dry_run)
    _report(report, dry_run)


@ingest.command("article")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--review", "review_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Review file to write (YAML), for a curator to edit and accept.")
@click.option("--url", default=None, help="The article's URL (else read from the file).")
@click.option("--title", default=None, help="The article's title (else read from the file).")
@click.option("--publisher", default=None, help="The publisher (else read from the file).")
@click.option("--date", default=None, help="Publication date YYYY[-MM[-DD]] (else read from the file).")
@click.option("--force", is_flag=True, help="Overwrite an existing review file.")
@model_option
@threshold_option
@data_option
@click.pass_obj
@user_errors
def article_command(progress: Progress, path: Path, review_path: Path, url: str | None, title: str | None,
                    publisher: str | None, date: str | None, force: bool, model: str, threshold: float,
                    data_dir: Path | None) -> None:
    """Propose entities and facts from French articles (FILE or DIR) in a review file; writes nothing to data/."""
    files = article_files(path)
    if len(files) > 1 and any((url, title, publisher, date)):
        raise click.UsageError("--url, --title, --publisher and --date describe one article, not a folder")
    articles = [read_article(file, url=url, title=title, publisher=publisher, date=date) for file in files]
    with progress.step("read the curated data"):
        index = EntityIndex(load_dataset(_data_dir(data_dir)))
    with progress.step(f"load spaCy {model}"):
        nlp = load_nlp(model)
    linker = Linker(index, threshold)
    reviews = [article_review(analyse(article, nlp, linker), index)
               for article in progress.iterate(articles, "articles", len(articles))]
    write_review(review_path, reviews, overwrite=force)
    rows = sum(len(review.rows) for review in reviews)
    stdout.print(f"{review_path}: {rows} rows to review from {len(reviews)} article(s); then run "
                 f"`ftgraph ingest accept {review_path}`")


@ingest.command("accept")
@click.argument("review_path", metavar="REVIEW_FILE", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@data_option
@dry_run_option
@click.pass_obj
@user_errors
def accept_command(progress: Progress, review_path: Path, data_dir: Path | None, dry_run: bool) -> None:
    """Merge the accepted rows of a review file into data/ (rows still pending are left out)."""
    with progress.step("validate and merge into data/"):
        report, pending = accept_review(review_path, _data_dir(data_dir), dry_run=dry_run)
    _report(report, dry_run)
    if pending:
        stdout.print(f"{pending} row(s) still pending: not merged")


@ingest.command("evaluate")
@click.option("--gold", "gold_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Gold annotations (default: tests/fixtures/ingest/articles/gold.yaml).")
@click.option("--doc", "doc_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Also write the table into this Markdown file, between its evaluation marks.")
@model_option
@threshold_option
@data_option
@click.pass_obj
@user_errors
def evaluate_command(progress: Progress, gold_path: Path | None, doc_path: Path | None, model: str,
                     threshold: float, data_dir: Path | None) -> None:
    """Precision and recall of mention detection, linking and facts on the annotated test articles."""
    gold = gold_path or project_root() / "tests" / "fixtures" / "ingest" / "articles" / "gold.yaml"
    with progress.step("read the curated data"):
        dataset = load_dataset(_data_dir(data_dir))
    with progress.step(f"load spaCy {model}"):
        nlp = load_nlp(model)
    with progress.step("analyse and score the articles"):
        results = evaluate(gold, dataset, nlp, threshold)
    table = markdown_table(results, model, threshold)
    stdout.print(table)
    for measure, score in totals(results).items():
        misses = score.expected - score.right_expected
        progress.info(f"{measure}: {misses} expected item(s) missed, {score.predicted - score.right} wrong")
    if doc_path:
        write_into_doc(doc_path, table)
        stdout.print(f"wrote the table into {doc_path}")
