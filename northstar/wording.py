"""Small helpers for the sentences Northstar says to people."""

from __future__ import annotations


def plural(count: int, word: str) -> str:
    """`plural(1, "row")` → "1 row"; `plural(1200, "row")` → "1,200 rows"."""
    return f"{count:,} {word}" + ("" if count == 1 else "s")
