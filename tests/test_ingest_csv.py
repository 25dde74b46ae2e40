"""``ftgraph ingest csv``: a researcher's table through a column mapping, idempotent, with clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ftgraph.cli import cli
from ftgraph.loader import load_dataset

from .ingest_support import FIXTURES, fixture_data, records_by_id, snapshot

TABLE = FIXTURES / "startups.csv"
MAPPING = FIXTURES / "startups.mapping.yaml"


def _ingest(data: Path, table: Path = TABLE, mapping: Path = MAPPING, *extra: str) -> Result:
    return CliRunner().invoke(cli, ["--quiet", "ingest", "csv", str(table), "--mapping", str(mapping),
                                    "--data", str(data), *extra])


def test_rows_become_sourced_records(tmp_path: Path) -> None:
    data = fixture_data(tmp_path)
    result = _ingest(data)
    assert result.exit_code == 0, result.output
    assert "4 rows, encoding utf-8 (detected), delimiter ';' (detected)" in result.output
    records = records_by_id(data / "ingested" / "startups-alpes.yaml")
    sources = records_by_id(data / "sources" / "ingested-startups-alpes.yaml")
    study = "laboratoire-fixture-2024-06-15-etude-des-startups-alpines"
    assert sources[study] == {"id": study, "type": "report", "url": "https://example.org/etude/startups-alpes",
                              "title": "Étude des startups alpines", "publisher": "Laboratoire Fixture",
                              "date": "2024-06-15"}
    assert records["niveole"] == {
        "id": "niveole", "name": "Nivéole", "type": "startup", "city": "grenoble", "founded": "2019-03",
        "website": "https://niveole.example.org", "siren": "990000001", "sectors": ["drones", "énergie"],
        "sources": [study],
    }
    assert records["lumisol-analytics"]["founded"] == "2020" and "siren" in records["lumisol-analytics"]
    # a row naming an entity curated elsewhere (same SIREN, other case) is reported, never rewritten
    assert "cimes-robotique" not in records
    assert "cimes-robotique is curated in" in result.output and "city='meylan'" in result.output
    assert "spartoo is curated in" in result.output and "founded='2006'" in result.output
    # ties: the ecosystem named by its alternative name, an empty cell gives no tie
    assert records["cimes-robotique-member-french-tech-grenoble"]["sources"] == [
        "le-quotidien-fixture-2024-02-02-cimes-robotique-s-agrandit"]
    assert records["niveole-member-french-tech-grenoble"]["organisation"] == "french-tech-grenoble"
    assert not any(r.get("member") == "lumisol-analytics" for r in records.values())
    # a tie already curated under another id is matched on (member, role, organisation), not duplicated
    assert not any(r.get("member") == "spartoo" for r in records.values())
    assert "6 added, 0 updated, 3 unchanged, 3 already curated elsewhere" in result.output
    load_dataset(data)


def test_reingesting_changes_nothing(tmp_path: Path) -> None:
    data = fixture_data(tmp_path)
    assert _ingest(data).exit_code == 0
    before = snapshot(data)
    second = _ingest(data)
    assert second.exit_code == 0 and "0 added, 0 updated" in second.output and "nothing to write" in second.output
    assert snapshot(data) == before


def test_a_corrected_table_updates_its_records_in_place(tmp_path: Path) -> None:
    data = fixture_data(tmp_path)
    assert _ingest(data).exit_code == 0
    corrected = tmp_path / "startups.csv"
    corrected.write_text(TABLE.read_text(encoding="utf-8").replace("https://lumisol.example.org",
                                                                  "https://www.lumisol.example.org"), encoding="utf-8")
    result = _ingest(data, corrected)
    assert result.exit_code == 0 and "0 added, 1 updated" in result.output
    assert records_by_id(data / "ingested" / "startups-alpes.yaml")["lumisol-analytics"]["website"] == \
        "https://www.lumisol.example.org"


def test_windows_1252_and_tabs_are_detected_and_reported(tmp_path: Path) -> None:
    data = fixture_data(tmp_path)
    table = tmp_path / "startups-cp1252.tsv"
    table.write_bytes(TABLE.read_text(encoding="utf-8").replace(";", "\t").encode("cp1252"))
    result = _ingest(data, table)
    assert result.exit_code == 0, result.output
    assert "delimiter '\\t' (detected)" in result.output and "(detected)" in result.output
    assert "utf-8" not in result.output.split("encoding")[1].split(",")[0]
    assert records_by_id(data / "ingested" / "startups-alpes.yaml")["niveole"]["name"] == "Nivéole"


def test_a_tab_can_be_given_by_name(tmp_path: Path) -> None:
    data = fixture_data(tmp_path)
    table = tmp_path / "startups.tsv"
    table.write_text(TABLE.read_text(encoding="utf-8").replace(";", "\t"), encoding="utf-8")
    for given in ("tab", "\\t"):
        result = _ingest(data, table, MAPPING, "--delimiter", given, "--dry-run")
        assert result.exit_code == 0 and "delimiter '\\t' (given)" in result.output, result.output
    result = _ingest(data, table, MAPPING, "--delimiter", "::")
    assert result.exit_code == 2 and "one character is expected" in result.output


def test_a_wrong_encoding_given_is_an_error_not_mojibake(tmp_path: Path) -> None:
    data = fixture_data(tmp_path)
    table = tmp_path / "latin.csv"
    table.write_bytes(TABLE.read_text(encoding="utf-8").encode("latin-1"))
    result = _ingest(data, table, MAPPING, "--encoding", "utf-8")
    assert result.exit_code == 2
    assert "latin.csv:1: not utf-8 text" in result.output  # the header's "création"
    assert not (data / "ingested").exists()


def test_errors_name_row_line_and_column_and_nothing_is_written(tmp_path: Path) -> None:
    data = fixture_data(tmp_path)
    table = tmp_path / "bad.csv"
    rows = TABLE.read_text(encoding="utf-8").splitlines()
    rows[1] = rows[1].replace("990 000 001", "99-000").replace("03/2019", "mars 2019")
    rows[2] = rows[2].replace("Lyon;", "Atlantis;")
    rows[4] = rows[4].replace("https://example.org/etude/startups-alpes", "")
    table.write_text("\n".join(rows) + "\n", encoding="utf-8")
    before = snapshot(data)
    result = _ingest(data, table)
    assert result.exit_code == 2
    assert "bad.csv:2: record 'row 1', field 'Date de création': 'mars 2019' does not match" in result.output
    assert "bad.csv:3: record 'row 2', field 'Ville': no place named 'Atlantis' in data/" in result.output
    assert "bad.csv:5: record 'row 4', field 'URL source': every row needs the URL of its source" in result.output
    assert snapshot(data) == before
    rows[1] = TABLE.read_text(encoding="utf-8").splitlines()[1].replace("990 000 001", "99-000")
    table.write_text("\n".join(rows[:2]) + "\n", encoding="utf-8")
    result = _ingest(data, table)
    assert "record 'row 1', field 'SIREN': String should match pattern" in result.output


def test_ragged_rows_and_unknown_columns_are_errors(tmp_path: Path) -> None:
    data = fixture_data(tmp_path)
    ragged = tmp_path / "ragged.csv"
    lines = TABLE.read_text(encoding="utf-8").splitlines()
    ragged.write_text("\n".join([lines[0], lines[1] + ";extra"]) + "\n", encoding="utf-8")
    result = _ingest(data, ragged, MAPPING, "--delimiter", ";")
    assert result.exit_code == 2 and "ragged.csv:2: record 'row 1': 12 cells where the header has 11" in result.output
    renamed = tmp_path / "renamed.csv"
    renamed.write_text(TABLE.read_text(encoding="utf-8").replace("Ville;", "Commune;"), encoding="utf-8")
    result = _ingest(data, renamed)
    assert result.exit_code == 2 and "the mapping's columns 'Ville' are not in the header" in result.output


@pytest.mark.parametrize(("line", "bad_line", "message"), [
    ("kind: organisations", "kind: companies", "field 'kind': Input should be 'organisations', 'people' or 'places'"),
    ("  website: Site web", "  homepage: Site web", "fields not in the organisations schema: homepage"),
    ("  name: Nom\n", "", "'name' must be mapped"),
])
def test_a_bad_mapping_is_reported(tmp_path: Path, line: str, bad_line: str, message: str) -> None:
    data = fixture_data(tmp_path)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(MAPPING.read_text(encoding="utf-8").replace(line, bad_line), encoding="utf-8")
    result = _ingest(data, TABLE, mapping)
    assert result.exit_code == 2 and message in result.output


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    data = fixture_data(tmp_path)
    before = snapshot(data)
    result = _ingest(data, TABLE, MAPPING, "--dry-run")
    assert result.exit_code == 0 and "[dry run] 6 added" in result.output and "would write" in result.output
    assert snapshot(data) == before
