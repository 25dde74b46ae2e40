"""Progress reporting for long steps (rich), silent with ``--quiet``."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

from rich.console import Console
from rich.progress import track

T = TypeVar("T")


class Progress:
    """Reports steps and iterations on stderr, so stdout stays clean for results."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.console = Console(stderr=True, highlight=False)

    @contextlib.contextmanager
    def step(self, description: str) -> Iterator[None]:
        if self.quiet:
            yield
            return
        started = time.perf_counter()
        with self.console.status(description):
            yield
        self.done(description, time.perf_counter() - started)

    def done(self, description: str, seconds: float) -> None:
        """Report a step that took ``seconds`` (timed elsewhere, e.g. in a child process)."""
        if not self.quiet:
            self.console.print(f"[green]✓[/green] {description} [dim]({seconds:.1f} s)[/dim]")

    def iterate(self, items: Iterable[T], description: str, total: int | None = None) -> Iterable[T]:
        """Iterate with a progress bar (only on a terminal and when not quiet)."""
        if self.quiet or not sys.stderr.isatty():
            return items
        return track(items, description=description, total=total, console=self.console, transient=True,
                     show_speed=False)

    def info(self, message: str) -> None:
        if not self.quiet:
            self.console.print(message)
