"""Small helpers for the sentences Northstar says to people, in the current language (see i18n)."""

from __future__ import annotations

from northstar.i18n import N_, _, ngettext, number, percent


def plural(count: int, word: str) -> str:
    """`plural(1, "row")` → "1 row"; `plural(1200, "row")` → "1,200 rows" (English words only:
    text for people goes through `i18n.ngettext` instead)."""
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def periods(count: int, grain: str) -> str:
    """`count` periods of `grain` as a noun phrase in the current language: "3 weeks" / "3 veckor"."""
    if grain == "day":
        return ngettext("{n} day", "{n} days", count)
    if grain == "month":
        return ngettext("{n} month", "{n} months", count)
    return ngettext("{n} week", "{n} weeks", count)


def joined(items: list[str]) -> str:
    """Names joined with "and" in the current language: "a and b and c" / "a och b och c"."""
    if not items:
        return ""
    text = items[0]
    for item in items[1:]:
        text = _("{first} and {second}", first=text, second=item)
    return text


PERCENT_KINDS = ("retention",)


def format_value(value: float, kind: str = "") -> str:
    """A metric value as people read it: 0.452 retention → "45.2%", 12345 → "12.3k"."""
    if value is None or value != value:  # NaN
        return "–"
    if kind in PERCENT_KINDS:
        return percent(value, 1)
    magnitude = abs(value)
    if magnitude >= 1_000_000:
        return _("{value}M", value=number(value / 1_000_000, 2))
    if magnitude >= 10_000:
        return _("{value}k", value=number(value / 1_000, 1))
    if magnitude >= 100 or float(value).is_integer():
        return number(value, 0)
    return number(value, 2 if magnitude < 10 else 1)


# Scores and shares change in points: NPS from -2 to 3 is "+5 pts", not "+250%".
POINT_KINDS = {"nps": (N_("{amount} pts"), 1.0), "retention": (N_("{amount} pp"), 100.0)}


def format_change(change: float, change_pct: float, kind: str = "") -> str:
    """"▲ 6.5%" on the period before; in points for scores and shares."""
    amount = change if kind in POINT_KINDS else change_pct
    if amount is None or amount != amount:
        return ""
    if kind in POINT_KINDS:
        unit, scale = POINT_KINDS[kind]
        text = _(unit, amount=number(abs(amount) * scale, 1))
    else:
        text = percent(abs(amount), 1)
    arrow = "▲" if amount > 0 else "▼" if amount < 0 else "■"
    return f"{arrow} {text}"
