"""Pieces shared by every ``ftgraph`` command: common options, consoles and the user-error wrapper.

A module of its own so that each stage's module can define its command without importing
:mod:`ftgraph.cli` (which imports those modules to register their commands).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from ftgraph.errors import FtgraphError
from ftgraph.namespaces import DEFAULT_BASE_IRI

F = TypeVar("F", bound=Callable[..., Any])
stdout = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)

data_option = click.option("--data", "data_dir", type=click.Path(path_type=Path), default=None,
                           help="Folder of curated YAML records (default: ./data).")
out_option = click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
                          help="Output folder (default: ./out).")
base_option = click.option("--base-iri", default=DEFAULT_BASE_IRI, show_default=True,
                           help="Base IRI of the data's entities.")


def user_errors(command: F) -> F:
    """Turn :class:`FtgraphError` into a message on stderr and its exit code, without a traceback."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except FtgraphError as exc:
            stderr.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
            sys.exit(exc.exit_code)

    return wrapper  # type: ignore[return-value]
