"""Errors that users can act on: they name the file, line, record and field."""

from __future__ import annotations

from dataclasses import dataclass


class FtgraphError(Exception):
    """An error with a message meant for the user (no traceback); ``exit_code`` for the CLI."""

    exit_code = 1


@dataclass(frozen=True)
class DataError:
    """One problem in one curated file."""

    path: str
    message: str
    record: str | None = None
    field: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = self.path + (f":{self.line}" if self.line else "")
        what = ", ".join(
            part for part in (f"record '{self.record}'" if self.record else "",
                              f"field '{self.field}'" if self.field else "") if part
        )
        return f"{where}: {what + ': ' if what else ''}{self.message}"


class DataErrors(FtgraphError):
    """Invalid input data: every problem found, in file order. Exit code 2."""

    exit_code = 2

    def __init__(self, errors: list[DataError]) -> None:
        self.errors = sorted(errors, key=lambda e: (e.path, e.line or 0, e.record or "", e.field or ""))
        super().__init__(self.summary())

    def summary(self) -> str:
        count = len(self.errors)
        lines = [f"{count} error{'s' if count > 1 else ''} in the input data:"]
        lines += [f"  {error}" for error in self.errors]
        return "\n".join(lines)


class ValidationFailed(FtgraphError):
    """The built graph violates the SHACL shapes."""

    exit_code = 1
