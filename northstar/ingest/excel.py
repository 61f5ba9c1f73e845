"""Excel workbooks (.xlsx): one sheet read with python-calamine into a text Parquet file, then the
same path as every other export (roles, conversion, integrity checks).

Cells become text the way a CSV export would write them: whole numbers without `.0`, dates and
times in ISO 8601 (`2024-03-01 10:30:00`), booleans as true/false, empty cells as missing.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from northstar.errors import NorthstarError
from northstar.i18n import _, lazy

EXCEL_SUFFIXES = (".xlsx", ".xlsm")


def is_xlsx(path: Path) -> bool:
    """An Office Open XML workbook: a zip archive holding `xl/workbook.xml`."""
    try:
        with zipfile.ZipFile(path) as zipped:
            return "xl/workbook.xml" in zipped.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def cell_text(value: object) -> str | None:
    """A cell as an export would write it; None for an empty cell."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return f"{value.total_seconds():g}"
    return str(value).strip() or None


def _rows(path: Path, sheet: str | None) -> tuple[list[list[object]], str, int]:
    """(the sheet's rows, its name, how many sheets the workbook has)."""
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        names = list(workbook.sheet_names)
        if not names:
            raise NorthstarError(_("Empty workbook"), _("{name} has no sheets.", name=path.name))
        chosen = names[0] if sheet is None else next(
            (n for n in names if n == sheet), next((n for n in names if n.lower() == sheet.lower()), None))
        if chosen is None:
            raise NorthstarError(
                _("No sheet named {sheet!r}", sheet=sheet),
                _("{name} has the sheets {sheets}. Choose one with --sheet NAME (CLI) or in Read "
                  "options (Data page).", name=path.name, sheets=", ".join(repr(n) for n in names)))
        rows = workbook.get_sheet_by_name(chosen).to_python(skip_empty_area=True)
    except (CalamineError, zipfile.BadZipFile, OSError, ValueError) as err:
        raise NorthstarError(
            _("Could not read {name} as Excel", name=path.name),
            _("The workbook could not be opened ({error}). Save it again as .xlsx, or export the "
              "sheet as CSV.", error=str(err).splitlines()[0][:200])) from None
    return [list(row) for row in rows], chosen, len(names)


def _header(first: Sequence[object], use_header: bool) -> list[str]:
    if not use_header:
        return [f"column{i}" for i in range(1, len(first) + 1)]
    return [cell_text(v) or "" for v in first]


def sheet_to_parquet(path: Path, out: Path, sheet: str | None = None, header: bool = True,
                     skip: int = 0) -> tuple[str, ...]:
    """Write one sheet of workbook `path` to `out` as text columns; returns the notes to show.

    Columns whose header and cells are all empty (Excel's used range often has some) are dropped;
    so are rows with no value at all.
    """
    rows, chosen, sheets = _rows(path, sheet)
    rows = rows[skip:]
    if not rows:
        raise NorthstarError(_("Empty sheet"), _("Sheet {sheet!r} of {name} has no rows.", sheet=chosen,
                                                  name=path.name))
    width = max(len(r) for r in rows)
    rows = [list(r) + [""] * (width - len(r)) for r in rows]
    names = _header(rows[0], header)
    body = [[cell_text(v) for v in r] for r in (rows[1:] if header else rows)]
    body = [r for r in body if any(v is not None for v in r)]
    keep = [i for i, name in enumerate(names) if name or any(r[i] is not None for r in body)]
    from northstar.ingest.sources import check_header  # the text files' rules: named, unique

    check_header(path, [names[i] for i in keep])
    pq.write_table(pa.table({names[i]: pa.array([r[i] for r in body], pa.string()) for i in keep}), out)
    if sheets > 1:
        return (lazy.ngettext(
            "sheet {sheet!r} read (the workbook has {n} sheet; choose another with --sheet NAME or "
            "in Read options)",
            "sheet {sheet!r} read (the workbook has {n} sheets; choose another with --sheet NAME or "
            "in Read options)", sheets, sheet=chosen),)
    return ()
