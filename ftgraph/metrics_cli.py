"""``ftgraph metrics``: federation measures per metropole, the national graph, and the timeline."""

from __future__ import annotations

import datetime as dt
import difflib
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from ftgraph.build import GRAPH_NT, Paths, build_graph
from ftgraph.clikit import base_option, data_option, out_option, stdout, user_errors
from ftgraph.engine import engine_for
from ftgraph.errors import FtgraphError
from ftgraph.federation import (
    MEASURES,
    NATIONAL,
    Report,
    Settings,
    TimelinePoint,
    parse_as_of,
    reports,
    timeline,
    to_csv,
    to_json,
)
from ftgraph.progress import Progress
from ftgraph.projection import ActorData, Snapshot, load_actor_data


class UnknownMetropole(FtgraphError):
    """``--metropole`` names no ecosystem. Exit code 2."""

    exit_code = 2


def resolve_scope(data: ActorData, text: str | None) -> str | None:
    """The ecosystem id meant by ``text`` (``grenoble`` → ``french-tech-grenoble``), or ``national``."""
    if text is None or text == NATIONAL:
        return text
    for candidate in (text, f"french-tech-{text}"):
        if candidate in data.ecosystems:
            return candidate
    close = difflib.get_close_matches(text, [*data.ecosystems, NATIONAL], n=5, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else "; the ids are those of the ft:Ecosystem organisations"
    raise UnknownMetropole(f"--metropole {text!r}: no such ecosystem{hint}")


def _as_of(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    try:
        return parse_as_of(value)
    except ValueError:
        raise click.BadParameter(f"{value!r}: expected YYYY-MM-DD, YYYY-MM, YYYY or 'today'") from None


def _number(value: Any, digits: int = 3) -> str:
    if value is None:
        return "–"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def ranking_table(found: list[Report]) -> Table:
    """Metropoles ranked by Federation Index, with its components and the size of the evidence."""
    as_of = found[0].as_of if found else None
    national = next((report for report in found if report.scope == NATIONAL), None)
    table = Table(title=f"Federation Index per metropole ({'ties valid on ' + as_of if as_of else 'every tie'})",
                  title_justify="left", caption_justify="left",
                  caption=f"national: {national.method['sampling']}" if national else None)
    table.add_column("#", justify="right")
    table.add_column("metropole", no_wrap=True)
    table.add_column("name")
    for column in ("actors", "ties", "sources", "S", "R", "X", "Ê", "FI"):
        table.add_column(column, justify="right")
    table.add_column("status")
    for rank, report in enumerate(found, start=1):
        values = report.values
        table.add_row(str(rank) if report.scope != NATIONAL else "", report.scope, report.label,
                      *(_number(values.get(key)) for key in ("actors", "ties", "sources", "cohesion", "robustness",
                                                             "mixing", "relative_efficiency", "federation_index")),
                      report.status)
    return table


def detail_tables(report: Report) -> list[Table]:
    """Every measure of one report, its top brokers and its composition."""
    title = f"{report.label} ({report.scope}), {'ties valid on ' + report.as_of if report.as_of else 'every tie'}"
    measures = Table(title=f"{title}: {report.status}", title_justify="left")
    for column in ("measure", "value", "definition"):
        measures.add_column(column)
    for measure in MEASURES:
        if measure.key in report.values:
            measures.add_row(measure.label, _number(report.values[measure.key]), measure.definition)
    brokers = Table(title="Top brokers (betweenness)", title_justify="left")
    for column in ("actor", "class", "betweenness"):
        brokers.add_column(column)
    for broker in report.details.get("top_brokers", []):
        brokers.add_row(f"{broker['label']} ({broker['id']})", broker["class"], _number(broker["betweenness"]))
    counts = Table(title="Composition", title_justify="left")
    for column in ("", "kind", "count"):
        counts.add_column(column)
    for name in ("actors_by_class", "ties_by_type"):
        for kind, count in report.details.get(name, {}).items():
            counts.add_row(name.replace("_", " "), kind, str(count))
    method = Table(title="Method", title_justify="left", show_header=False)
    for key, value in report.method.items():
        method.add_row(key.replace("_", " "), _number(value))
    return [measures, brokers, counts, method]


def timeline_table(points: list[TimelinePoint]) -> Table:
    """The Federation Index of each metropole (rows) on each label-wave date (columns); metropoles with
    insufficient data on every date are only named in the caption."""
    dates = sorted({point.as_of for point in points})
    by_scope: dict[str, dict[str, Any]] = {}
    for point in points:
        by_scope.setdefault(point.scope, {})[point.as_of] = point.values["federation_index"]
    unscored = sorted(scope for scope, values in by_scope.items() if all(v is None for v in values.values()))
    table = Table(title="Federation Index on each label-wave date (– : insufficient data)", title_justify="left",
                  caption=f"insufficient data on every date: {', '.join(unscored)}" if unscored else None,
                  caption_justify="left")
    table.add_column("metropole", no_wrap=True)
    for date in dates:
        table.add_column(date, justify="right")
    for scope, values in sorted(by_scope.items()):
        if scope not in unscored:
            table.add_row(scope, *(_number(values.get(date)) for date in dates))
    return table


def _load(progress: Progress, paths: Paths, base_iri: str) -> ActorData:
    """The projection's input from ``out/graph.nt`` (through the engine), else from a fresh build."""
    with progress.step("read the actors and ties"):
        if (paths.out / GRAPH_NT).is_file():
            return load_actor_data(engine_for(paths.out, prefer="memory"))  # many queries: memory pays
        return build_graph(paths, base_iri).actor_data


@click.command("metrics")
@click.option("--metropole", "scope", metavar="ID",
              help="One ecosystem (french-tech-grenoble, or grenoble), or 'national'. Default: all, ranked.")
@click.option("--as-of", "as_of", metavar="DATE", callback=_as_of,
              help="Only ties valid on DATE (YYYY-MM-DD, YYYY-MM, YYYY or 'today'). Default: every tie.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--timeline", "show_timeline", is_flag=True, help="The Federation Index at each label-wave date.")
@click.option("--seed", type=int, default=Settings.seed, show_default=True, help="Seed of every random draw.")
@click.option("--draws", type=click.IntRange(min=2), default=Settings.null_draws, show_default=True,
              help="Random graphs per null model (per metropole).")
@click.option("--event-window", type=click.IntRange(min=0), default=Snapshot.event_window_years, show_default=True,
              help="With --as-of or --timeline: years of events before the date that count as ties.")
@click.option("--max-event-size", type=click.IntRange(min=2), default=None,
              help="Leave out events with more participants than this.")
@data_option
@out_option
@base_option
@click.pass_obj
@user_errors
def metrics_command(progress: Progress, scope: str | None, as_of: dt.date | None, fmt: str, show_timeline: bool,
                    seed: int, draws: int, event_window: int, max_event_size: int | None,
                    data_dir: Path | None, out_dir: Path | None, base_iri: str) -> None:
    """How federated each metropole's local actors are: network measures and the Federation Index.

    Reads out/graph.nt (else builds the graph from data/). See docs/metrics.md for every measure.
    """
    data = _load(progress, Paths.default(data=data_dir, out=out_dir), base_iri)
    scope = resolve_scope(data, scope)
    settings = Settings(seed=seed, null_draws=draws)
    snapshot = Snapshot(as_of, event_window, max_event_size)
    if show_timeline:
        if scope == NATIONAL:
            raise UnknownMetropole("--timeline is per metropole: give an ecosystem id or no --metropole")
        with progress.step("Federation Index at each label wave"):
            points = timeline(data, snapshot, settings, scope)
        _print(fmt, points, lambda: [timeline_table(points)])
        return
    with progress.step("measure the actor graphs"):
        found = reports(data, snapshot, settings, scope, progress)
    _print(fmt, found, lambda: detail_tables(found[0]) if scope else [ranking_table(found)])


def _print(fmt: str, items: list[Report] | list[TimelinePoint], tables: Any) -> None:
    if fmt == "json":
        click.echo(to_json(items), nl=False)
    elif fmt == "csv":
        click.echo(to_csv(item.row() for item in items), nl=False)
    else:
        for table in tables():
            stdout.print(table)
