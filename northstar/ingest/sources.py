"""Read an export file (CSV in any dialect, gzip, Parquet) into a staging table of text columns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import duckdb

from northstar.errors import NorthstarError
from northstar.store import fetch_one, quote_ident

PARQUET_SUFFIXES = (".parquet", ".pq")
# UTF-8 first (with or without BOM, which DuckDB strips); Excel on Windows often writes Latin-1.
ENCODINGS = ("utf-8", "latin-1")
T = TypeVar("T")


@dataclass(frozen=True)
class SourceFile:
    """What was read: the file's columns (as spelled in its header), row count and CSV dialect."""

    path: Path
    columns: tuple[str, ...]
    rows: int
    encoding: str = "utf-8"
    delimiter: str = ","

    @property
    def stem(self) -> str:
        """The file name without extensions (`orders.csv.gz` → `orders`)."""
        name = self.path.name
        for suffix in (".gz", ".csv", ".tsv", ".txt", *PARQUET_SUFFIXES):
            name = name.removesuffix(suffix)
        return name or self.path.name


def is_parquet(path: Path) -> bool:
    return path.suffix.lower() in PARQUET_SUFFIXES


def _reader_sql(path: Path, *, header: bool, limit: int | None) -> str:
    tail = f" LIMIT {int(limit)}" if limit else ""
    if is_parquet(path):
        return f"SELECT * FROM read_parquet($path){tail}"
    return (f"SELECT * FROM read_csv($path, header={str(header).lower()}, all_varchar=true, "
            f"encoding=$encoding){tail}")


def _read_error(path: Path, err: duckdb.Error) -> NorthstarError:
    lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
    summary = " ".join(lines[:2])[:300]
    kind = "Parquet" if is_parquet(path) else "CSV"
    return NorthstarError(
        f"Could not read {path.name} as {kind}",
        f"{summary}. Check that the file is a {kind} export with one header row and the same "
        f"number of fields on every line.")


def _check_file(path: Path) -> None:
    if not path.exists():
        raise NorthstarError("File not found", f"{path} does not exist. Check the path.")
    if path.is_dir():
        raise NorthstarError("Not a file", f"{path} is a folder; give a CSV or Parquet file.")
    if path.stat().st_size == 0:
        raise NorthstarError("Empty file", f"{path.name} is empty (0 bytes). Export it again.")


def _header(cur: duckdb.DuckDBPyConnection, path: Path, encoding: str) -> list[str]:
    """The header as written in the file: DuckDB's own reader silently renames duplicates."""
    if is_parquet(path):
        cur.execute(f"DESCRIBE {_reader_sql(path, header=True, limit=None)}", {"path": str(path)})
        return [row[0] for row in cur.fetchall()]
    cur.execute(_reader_sql(path, header=False, limit=1), {"path": str(path), "encoding": encoding})
    row = cur.fetchone()
    return [("" if v is None else str(v)) for v in (row or ())]


def _check_header(path: Path, header: list[str]) -> None:
    seen: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        key = name.strip().lower()
        if not key:
            raise NorthstarError(
                "Column without a name",
                f"Column {position} of {path.name} has an empty header. Give every column a name.")
        if key in seen:
            raise NorthstarError(
                "Duplicate column name",
                f"{path.name} has two columns named {name.strip()!r} (columns {seen[key]} and "
                f"{position}). Rename one in the header and load again.")
        seen[key] = position


def _params(path: Path, encoding: str) -> dict[str, str]:
    return {"path": str(path)} if is_parquet(path) else {"path": str(path), "encoding": encoding}


def _with_encoding(cur: duckdb.DuckDBPyConnection, path: Path,
                   attempt: Callable[[str], T]) -> tuple[str, T]:
    """Run `attempt(encoding)` with UTF-8, falling back to Latin-1 when the bytes aren't UTF-8."""
    for encoding in ENCODINGS:
        try:
            return encoding, attempt(encoding)
        except duckdb.Error as err:
            unicode_problem = "unicode" in str(err).lower() or "encod" in str(err).lower()
            if is_parquet(path) or not unicode_problem or encoding == ENCODINGS[-1]:
                raise _read_error(path, err) from None
    raise AssertionError("unreachable")


def _delimiter(cur: duckdb.DuckDBPyConnection, path: Path, encoding: str) -> str:
    if is_parquet(path):
        return ","
    cur.execute("SELECT Delimiter FROM sniff_csv($path, encoding=$encoding)",
                {"path": str(path), "encoding": encoding})
    row = cur.fetchone()
    return row[0] if row else ","


def stage_file(cur: duckdb.DuckDBPyConnection, path: str | Path, table: str) -> SourceFile:
    """Read the whole file into temp table `table`, every column as text; raise on unusable files."""
    path = Path(path)
    _check_file(path)
    encoding, header = _with_encoding(cur, path, lambda enc: _header(cur, path, enc))
    if not header:
        raise NorthstarError("Empty file", f"{path.name} has no header row. Export it again.")
    _check_header(path, header)
    select = _reader_sql(path, header=True, limit=None)
    if is_parquet(path):
        cur.execute(f"DESCRIBE {select}", {"path": str(path)})
        casts = ", ".join(f"CAST({quote_ident(r[0])} AS VARCHAR) AS {quote_ident(r[0])}"
                          for r in cur.fetchall())
        select = f"SELECT {casts} FROM read_parquet($path)"
    try:
        cur.execute(f"CREATE OR REPLACE TEMP TABLE {quote_ident(table)} AS {select}",
                    _params(path, encoding))
        cur.execute(f"SELECT count(*) FROM {quote_ident(table)}")
        rows = fetch_one(cur)[0]
        cur.execute(f"DESCRIBE {quote_ident(table)}")
        columns = tuple(r[0] for r in cur.fetchall())
    except duckdb.Error as err:
        raise _read_error(path, err) from None
    if rows == 0:
        raise NorthstarError(
            "No rows", f"{path.name} has a header ({', '.join(header[:8])}) but no data rows.")
    return SourceFile(path=path, columns=columns, rows=rows, encoding=encoding,
                      delimiter=_delimiter(cur, path, encoding))


def preview_file(cur: duckdb.DuckDBPyConnection, path: str | Path, limit: int = 20):
    """The first `limit` rows as a DataFrame of text plus the SourceFile (rows = rows previewed)."""
    path = Path(path)
    _check_file(path)
    encoding, header = _with_encoding(cur, path, lambda enc: _header(cur, path, enc))
    _check_header(path, header)
    try:
        cur.execute(_reader_sql(path, header=True, limit=limit), _params(path, encoding))
        frame = cur.df()
    except duckdb.Error as err:
        raise _read_error(path, err) from None
    return frame, SourceFile(path=path, columns=tuple(frame.columns), rows=len(frame),
                             encoding=encoding,
                             delimiter=_delimiter(cur, path, encoding))
