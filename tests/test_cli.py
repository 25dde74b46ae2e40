"""The command group: lazily imported commands, their summaries, a light start-up."""

from __future__ import annotations

import subprocess
import sys

import click
from click.testing import CliRunner

from ftgraph.cli import COMMANDS, cli

HEAVY_MODULES = ("pyshacl", "matplotlib", "networkx", "pyld", "scipy")


def test_each_listed_summary_is_the_commands_own() -> None:
    context = click.Context(cli)
    for name, (_target, summary) in COMMANDS.items():
        command = cli.get_command(context, name)
        assert command is not None and command.name == name
        assert command.get_short_help_str(limit=10_000) == summary, name


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0, result.output
    listed = {line.split()[0] for line in result.output.split("Commands:")[1].splitlines() if line.strip()}
    assert listed == {*COMMANDS, "build", "run", "stats", "validate"}
    assert "Export the graph as Turtle" in result.output


def test_help_and_a_light_command_import_no_heavy_library() -> None:
    probe = ("import sys\nfrom ftgraph.cli import cli\n"
             "try:\n    cli(['--help'], prog_name='ftgraph')\nexcept SystemExit:\n    pass\n"
             "try:\n    cli(['queries'], prog_name='ftgraph')\nexcept SystemExit:\n    pass\n"
             f"print('HEAVY', sorted(m for m in {HEAVY_MODULES!r} if m in sys.modules))\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert "HEAVY []" in result.stdout, result.stdout[-2000:] + result.stderr[-2000:]
    assert "ecosystem-card" in result.stdout  # `queries` really ran
