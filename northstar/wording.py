"""Small helpers for the sentences Northstar says to people."""

from __future__ import annotations


def plural(count: int, word: str) -> str:
    """`plural(1, "row")` → "1 row"; `plural(1200, "row")` → "1,200 rows"."""
    return f"{count:,} {word}" + ("" if count == 1 else "s")


PERCENT_KINDS = ("retention",)


def format_value(value: float, kind: str = "") -> str:
    """A metric value as people read it: 0.452 retention → "45.2%", 12345 → "12.3k"."""
    if value is None or value != value:  # NaN
        return "–"
    if kind in PERCENT_KINDS:
        return f"{value * 100:.1f}%"
    magnitude = abs(value)
    if magnitude >= 1_000_000:
        return f"{value / 1_000_000:.2f}M"
    if magnitude >= 10_000:
        return f"{value / 1_000:.1f}k"
    if magnitude >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}" if magnitude < 10 else f"{value:,.1f}"


# Scores and shares change in points: NPS from -2 to 3 is "+5 pts", not "+250%".
POINT_KINDS = {"nps": ("pts", 1.0), "retention": ("pp", 100.0)}


def format_change(change: float, change_pct: float, kind: str = "") -> str:
    """"▲ 6.5%" on the period before; in points for scores and shares."""
    if kind in POINT_KINDS:
        unit, scale = POINT_KINDS[kind]
        amount, text = change, f"{abs(change) * scale:.1f} {unit}"
    else:
        amount, text = change_pct, f"{abs(change_pct) * 100:.1f}%"
    if amount is None or amount != amount:
        return ""
    arrow = "▲" if amount > 0 else "▼" if amount < 0 else "■"
    return f"{arrow} {text}"
