"""docs/reliability.md is what the measuring commands wrote: regenerating it from docs/reliability.json
(`ftgraph reliability report`) gives the committed bytes, whatever order the figures were kept in."""

from __future__ import annotations

import json
import random
from typing import Any

from ftgraph.reliability import render_report

from .conftest import ROOT

DOCS = ROOT / "docs"


def test_committed_reliability_report_matches_its_figures() -> None:
    figures = json.loads((DOCS / "reliability.json").read_text(encoding="utf-8"))
    assert (DOCS / "reliability.md").read_text(encoding="utf-8") == render_report(figures), (
        "regenerate it: ftgraph reliability report"
    )


def _shuffled(value: Any, rng: random.Random) -> Any:
    """The same figures with every mapping's keys in another order."""
    if isinstance(value, dict):
        items = [(key, _shuffled(item, rng)) for key, item in value.items()]
        rng.shuffle(items)
        return dict(items)
    return value


def test_the_report_does_not_depend_on_the_order_figures_were_kept_in() -> None:
    figures = json.loads((DOCS / "reliability.json").read_text(encoding="utf-8"))
    for seed in range(3):
        assert render_report(_shuffled(figures, random.Random(seed))) == render_report(figures)
