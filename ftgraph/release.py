"""A versioned release folder: every export, the ontology, the JSON-LD context, the dataset description
(VoID + DCAT) and a ``SHA256SUMS`` checksum file (``sha256sum -c SHA256SUMS`` checks it).

``ftgraph release --out DIR`` writes ``DIR/ftgraph-VERSION/``; the main job (``make run``) writes the
same folder under ``out/release/``. VERSION is the package version plus the release date,
``0.1.0+20261127``: the date is today's (UTC), or the one given by the reproducible-builds variable
``SOURCE_DATE_EPOCH``, so two runs of the same input on the same day give byte-identical folders.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
from dataclasses import dataclass
from importlib.metadata import version as package_version
from pathlib import Path

import click

from ftgraph.atomic import staged_dir
from ftgraph.build import ONTOLOGY_FILE, SHAPES_FILE, BuiltGraph, Paths, build_graph
from ftgraph.clikit import base_option, data_option, user_errors
from ftgraph.describe import Distribution, describe, description_turtle
from ftgraph.errors import FtgraphError
from ftgraph.export import CONTEXT_FILE, FORMATS, Exporter
from ftgraph.progress import Progress

RELEASE_STEM = "ftgraph"
DESCRIPTION_FILE = "void.ttl"
CHECKSUM_FILE = "SHA256SUMS"
ONTOLOGY_FOLDER = "ontology"
#: Folder of the release inside ``out/`` when the main job writes it.
PIPELINE_FOLDER = "release"
METRICS_FILE = f"{RELEASE_STEM}-metrics.ttl"
ONTOLOGY_FILES = (ONTOLOGY_FILE, SHAPES_FILE, CONTEXT_FILE)


def release_date() -> dt.date:
    """``SOURCE_DATE_EPOCH`` (reproducible builds) as a UTC date, else today in UTC."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is None:
        return dt.datetime.now(dt.UTC).date()
    try:
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
    except (ValueError, OverflowError, OSError):
        raise FtgraphError(f"SOURCE_DATE_EPOCH={epoch!r}: expected a number of seconds since 1970") from None


@dataclass(frozen=True)
class ReleaseInfo:
    version: str
    issued: dt.date

    @classmethod
    def for_date(cls, issued: dt.date) -> ReleaseInfo:
        return cls(f"{package_version('ftgraph')}+{issued:%Y%m%d}", issued)

    @property
    def folder_name(self) -> str:
        return f"{RELEASE_STEM}-{self.version}"

    def download_base(self, base_iri: str) -> str:
        """Where the files of this release are published."""
        return f"{base_iri}release/{self.version}/"


def sha256_lines(folder: Path, paths: list[Path]) -> str:
    """``sha256sum`` output for ``paths`` (relative to ``folder``), sorted by path."""
    lines = []
    for path in sorted(paths, key=lambda p: p.relative_to(folder).as_posix()):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        lines.append(f"{digest}  {path.relative_to(folder).as_posix()}\n")
    return "".join(lines)


def write_release(built: BuiltGraph, folder: Path, info: ReleaseInfo, ontology_dir: Path,
                  metrics: Path | None = None) -> list[Path]:
    """Write every file of the release into ``folder`` (which must be empty); return their paths.

    ``metrics``: the federation metrics as Data Cube observations (``out/metrics/observations.ttl``),
    shipped as a distribution of their own (they describe the graph; they are not in its triple counts).
    """
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o755)  # a staging folder is private (mkdtemp); a release is meant to be published
    exporter = Exporter(built)
    written: list[Path] = []
    distributions: list[Distribution] = []
    for fmt in FORMATS.values():
        files = fmt.render(exporter)
        for suffix, text in files.items():
            path = folder / f"{RELEASE_STEM}.{suffix}"
            path.write_text(text, encoding="utf-8", newline="\n")
            written.append(path)
            title = fmt.title if len(files) == 1 else f"{fmt.title}: {suffix}"
            distributions.append(Distribution.of_file(path, title, fmt.media_type, rdf_dump=fmt.rdf))
    for name in ONTOLOGY_FILES:
        source = ontology_dir / name
        if not source.is_file():
            raise FtgraphError(f"{source}: file not found (a release ships the ontology, shapes and context)")
        target = folder / ONTOLOGY_FOLDER / name
        target.parent.mkdir(exist_ok=True)
        shutil.copyfile(source, target)
        written.append(target)
    if metrics is not None:
        target = folder / METRICS_FILE
        shutil.copyfile(metrics, target)
        written.append(target)
        distributions.append(Distribution.of_file(target, "Federation metrics (W3C Data Cube observations)",
                                                  "text/turtle", rdf_dump=False))
    description = describe(exporter, distributions, version=info.version, issued=info.issued,
                           download_base=info.download_base(built.base_iri))
    path = folder / DESCRIPTION_FILE
    path.write_text(description_turtle(description), encoding="utf-8", newline="\n")
    written.append(path)
    checksums = folder / CHECKSUM_FILE
    checksums.write_text(sha256_lines(folder, written), encoding="utf-8", newline="\n")
    return [*written, checksums]


def release_stage(built: BuiltGraph, out_dir: Path, progress: Progress) -> list[Path]:
    """Pipeline stage: the release folder under ``out/release/`` (replacing any earlier one)."""
    releases = out_dir / PIPELINE_FOLDER
    shutil.rmtree(releases, ignore_errors=True)
    info = ReleaseInfo.for_date(release_date())
    observations = out_dir / "metrics" / "observations.ttl"  # written by the metrics stage, which runs first
    return write_release(built, releases / info.folder_name, info, Paths.default().ontology,
                         observations if observations.is_file() else None)


@click.command("release")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="Folder that receives the versioned release folder ftgraph-VERSION/.")
@data_option
@base_option
@click.pass_obj
@user_errors
def release_command(progress: Progress, out_dir: Path, data_dir: Path | None, base_iri: str) -> None:
    """Write a versioned release: every export, the ontology, the context, VoID/DCAT and SHA256SUMS."""
    paths = Paths.default(data=data_dir)
    with progress.step("load, map and validate the curated data"):
        built = build_graph(paths, base_iri)
    info = ReleaseInfo.for_date(release_date())
    target = out_dir / info.folder_name
    with progress.step(f"write {target}"), staged_dir(target, keep_existing=False) as staging:
        write_release(built, staging, info, paths.ontology)
    click.echo(str(target))
