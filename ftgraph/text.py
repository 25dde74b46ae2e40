"""Text normalisation shared by the duplicate check and the entity linkers."""

from __future__ import annotations

import re
import unicodedata

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def normalise_name(name: str) -> str:
    """Fold a name for matching: no accents, no case, punctuation and spacing collapsed.

    >>> normalise_name("Medic@lps") == normalise_name("MEDIC@LPS")
    True
    >>> normalise_name("Saint-Étienne")
    'saint etienne'
    """
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _NOT_ALNUM.sub(" ", stripped).strip()
