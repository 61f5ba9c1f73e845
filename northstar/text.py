"""Text people typed, shown as text: escaped for Markdown, chart labels and spreadsheet cells.

Names of participants, candidates, teams, events and datasets come from people (or their files). Shown
unescaped, `![](http://…)` makes every screen fetch a URL, `[Click](…)` places a link under the app's
header, `<a href>` becomes a link in a chart, and `=HYPERLINK(…)` runs in a spreadsheet. Every place
that shows such text goes through one function here (the UI through `northstar.ui.text`).
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable

import pandas as pd

# What starts markup anywhere in a line of Streamlit's Markdown: emphasis, code, links and images,
# HTML and entities, GFM tables and strike-through, `$` math, e-mail autolinks; `_` only at a word's edge
# (report_shared is not emphasis), `:` only when something follows it (`:red[…]`, `:material/…:`,
# `http://`), `www.` (an autolink). Apostrophes, commas, colons before a space stay as they are.
_MD_INLINE = re.compile(r"([\\`*\[\]<>$~|&@]|(?<!\w)_|_(?!\w)|:(?=\S))|(?<=www)(\.)", re.IGNORECASE)
# What turns the start of a line into a heading, quote, list item or ordered list.
_MD_LINE_START = re.compile(r"^([-+#>=])|^(\d+)([.)])")
# Characters a spreadsheet reads as the start of a formula (OWASP's CSV injection list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def markdown_text(text: object) -> str:
    """`text` as literal Markdown: on one line, whatever would start markup escaped (renders as typed)."""
    escaped = _MD_INLINE.sub(lambda m: "\\" + m.group(0), " ".join(str(text).split()))
    return _MD_LINE_START.sub(lambda m: f"\\{m.group(1)}" if m.group(1) else f"{m.group(2)}\\{m.group(3)}",
                              escaped)


def chart_text(text: object) -> str:
    """`text` for a Plotly label, title or hover: Plotly reads a subset of HTML (`<a>`, `<b>`, `<br>`)."""
    return html.escape(str(text), quote=False)


def is_invisible(char: str) -> bool:
    """Zero-width, joiner, bidi-control and other format characters (Unicode category Cf)."""
    return unicodedata.category(char) in ("Cf", "Cc", "Co", "Cn") and char not in "\t\n\r"


def visible(text: object) -> str:
    """`text` without invisible and bidi-control characters, whitespace collapsed."""
    return " ".join("".join(c for c in str(text) if not is_invisible(c)).split())


def display_name(text: object) -> str:
    """A name as shown: NFC, without invisible characters, whitespace collapsed."""
    return visible(unicodedata.normalize("NFC", str(text)))


def name_key(text: object) -> str:
    """What makes two names the same person: NFKC, case-folded, invisibles stripped, spaces collapsed.

    "  ALICE ", "alice", "Al\u200bice" and "Ａｌｉｃｅ" (full-width) all give "alice".
    """
    folded = unicodedata.normalize("NFKC", visible(unicodedata.normalize("NFKC", str(text))).casefold())
    return visible(folded)


def csv_cell(value: object) -> object:
    """A cell a spreadsheet shows as text: one starting like a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells, column names and index labels cannot run as formulas."""
    out = frame.copy()
    for column in out.columns:
        if _textual(out[column].dtype):
            out[column] = out[column].astype(object).map(csv_cell)
    out.columns = _labels(out.columns)
    out.index = _labels(out.index)
    return out


def _textual(dtype: object) -> bool:
    return (pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)
            or isinstance(dtype, pd.CategoricalDtype))


def _labels(index: pd.Index) -> pd.Index:
    if isinstance(index, pd.MultiIndex):
        return pd.MultiIndex.from_tuples([tuple(csv_cell(v) for v in t) for t in index],
                                         names=[csv_cell(n) for n in index.names])
    if _textual(index.dtype):
        return pd.Index([csv_cell(v) for v in index], name=csv_cell(index.name), dtype=object)
    return index.rename(csv_cell(index.name))


def csv_rows(rows: Iterable[Iterable[object]]) -> list[list[object]]:
    """Rows for the csv module, each cell neutralised like `csv_cell`."""
    return [[csv_cell(v) for v in row] for row in rows]
