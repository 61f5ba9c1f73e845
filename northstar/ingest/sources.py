"""Read an export file into a staging table of text columns, its layout detected from the content.

Text files (CSV with any delimiter, whitespace-aligned text; UTF-8 with or without BOM, UTF-16 with
a BOM, Latin-1), gzip, Parquet, Excel .xlsx (one sheet). What is detected can be overridden with
`ReadOptions` (the CLI's `--delimiter/--encoding/--header/--no-header/--skip-rows/--sheet`, the
Data page's read options).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gzip
import os
import re
import tempfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from northstar.errors import NorthstarError
from northstar.i18n import _, lazy, number
from northstar.ingest.excel import EXCEL_SUFFIXES, is_xlsx, sheet_to_parquet
from northstar.ingest.inputs import GLOB_CHARS, display_stem, expand
from northstar.ingest.roles import one_column_hint
from northstar.ingest.wide import NARROW_ABOVE, Narrowed, narrow
from northstar.store import fetch_one, quote_ident, quote_literal

PARQUET_SUFFIXES = (".parquet", ".pq")
TEXT_SUFFIXES = (".gz", ".csv", ".tsv", ".txt", ".dat", ".jsonl", ".ndjson", ".json", ".zip")
# DuckDB reads these natively; UTF-8 first (with or without BOM, which DuckDB strips), then the
# UTF-16 of Excel's "Unicode text" (recognised by its BOM), then Latin-1 (Excel on Windows).
ENCODINGS = ("utf-8", "utf-16", "latin-1")
_ENCODING_NAMES = {"utf8": "utf-8", "utf-8": "utf-8", "utf-8-sig": "utf-8", "utf16": "utf-16",
                   "utf-16": "utf-16", "utf-16le": "utf-16", "utf-16be": "utf-16", "unicode": "utf-16",
                   "latin-1": "latin-1", "latin1": "latin-1", "iso-8859-1": "latin-1",
                   "iso8859-1": "latin-1", "cp1252": "latin-1", "windows-1252": "latin-1"}
WHITESPACE = "whitespace"
_DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|",
                    "space": WHITESPACE, "spaces": WHITESPACE, "whitespace": WHITESPACE,
                    "ws": WHITESPACE}
SAMPLE_BYTES = 1 << 16
T = TypeVar("T")


@dataclass(frozen=True)
class ReadOptions:
    """How to read a text file; None = detect it from the content."""

    delimiter: str | None = None
    encoding: str | None = None
    header: bool = True
    skip: int = 0
    date_format: str | None = None
    sheet: str | None = None  # an Excel workbook's sheet; None: the first
    # The roles people chose (role, column or expression): a very wide file keeps those columns.
    overrides: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    @classmethod
    def parse(cls, delimiter: str | None = None, encoding: str | None = None, header: bool = True,
              skip: int = 0, date_format: str | None = None, sheet: str | None = None) -> ReadOptions:
        """Options as a person types them: `tab`, `whitespace`, `;`, `latin1`, `UTF-16`..."""
        return cls(delimiter=parse_delimiter(delimiter), encoding=parse_encoding(encoding),
                   header=header, skip=max(0, int(skip or 0)),
                   date_format=(date_format or "").strip() or None, sheet=(sheet or "").strip() or None)

    def as_dict(self) -> dict[str, object]:
        return {"delimiter": self.delimiter, "encoding": self.encoding, "header": self.header,
                "skip": self.skip, "date_format": self.date_format, "sheet": self.sheet}


def parse_delimiter(text: str | None) -> str | None:
    if text is None or text == "":
        return None
    if text in ("\t", " "):
        return "\t" if text == "\t" else WHITESPACE
    key = text.strip().lower()
    if key in _DELIMITER_NAMES:
        return _DELIMITER_NAMES[key]
    if len(text) == 1:
        return text
    raise NorthstarError(
        _("Unknown delimiter"),
        _("{text!r} is not a delimiter. Give one character (, ; |) or tab or whitespace.", text=text))


def parse_encoding(text: str | None) -> str | None:
    if not text:
        return None
    key = text.strip().lower().replace("_", "-")
    if key not in _ENCODING_NAMES:
        raise NorthstarError(
            _("Unknown encoding"), _("{text!r} is not an encoding Northstar reads. Use utf-8, utf-16 "
                                     "or latin-1.", text=text))
    return _ENCODING_NAMES[key]


@dataclass(frozen=True)
class SourceFile:
    """What was read: the file's columns (as spelled in its header), row count and text layout."""

    path: Path
    columns: tuple[str, ...]
    rows: int
    encoding: str = "utf-8"
    delimiter: str = ","
    notes: tuple[str, ...] = field(default=())
    options: ReadOptions = field(default_factory=ReadOptions)
    kind: str = "CSV"
    files: int = 1

    @property
    def stem(self) -> str:
        """The file name without extensions (`orders.csv.gz` → `orders`)."""
        name = self.path.name
        for suffix in (*TEXT_SUFFIXES, *PARQUET_SUFFIXES, *EXCEL_SUFFIXES):
            name = name.removesuffix(suffix)
        for suffix in TEXT_SUFFIXES:
            name = name.removesuffix(suffix)
        return name or self.path.name


@dataclass(frozen=True)
class TextLayout:
    """A text file's resolved layout: everything read_csv needs, and the header's names."""

    encoding: str
    delimiter: str | None          # None: let DuckDB sniff; WHITESPACE: runs of spaces/tabs
    header: bool
    skip: int
    gzip: bool


def is_parquet(path: Path) -> bool:
    return path.suffix.lower() in PARQUET_SUFFIXES or _magic(path) == b"PAR1"


def _magic(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(4)
    except OSError:
        return b""


def is_gzip(path: Path) -> bool:
    return _magic(path)[:2] == b"\x1f\x8b"


def check_gzip(path: Path) -> None:
    """Read a .gz to its end: a truncated or corrupt one is refused (DuckDB would stop silently)."""
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        with path.open("rb") as handle:
            while True:
                block = handle.read(1 << 20)
                if not block:
                    break
                decompressor.decompress(block, 0)
                while decompressor.eof and decompressor.unused_data:  # concatenated members
                    rest = decompressor.unused_data
                    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
                    decompressor.decompress(rest, 0)
    except zlib.error as err:
        raise NorthstarError(
            _("{name} is a corrupt gzip file", name=path.name),
            _("Decompressing failed ({error}). Nothing was loaded; download or export the file again.",
              error=err)) from None
    if not decompressor.eof:
        raise NorthstarError(
            _("{name} is a truncated gzip file", name=path.name),
            _("The compressed data ends before the end of the file. Nothing was loaded; download or "
              "export the file again."))


def _sample(path: Path) -> bytes:
    if is_gzip(path):
        try:
            with gzip.open(path, "rb") as handle:
                return handle.read(SAMPLE_BYTES)
        except (OSError, EOFError, zlib.error):
            return b""
    with path.open("rb") as handle:
        return handle.read(SAMPLE_BYTES)


def detect_encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return "latin-1"
    return "utf-8"


def decode_sample(sample: bytes, encoding: str) -> str:
    python_codec = {"utf-8": "utf-8-sig", "utf-16": "utf-16", "latin-1": "latin-1"}[encoding]
    return codecs.getincrementaldecoder(python_codec)(errors="replace").decode(sample, final=False)


_CANDIDATES = (",", "\t", ";", "|")


def looks_whitespace_aligned(lines: list[str]) -> bool:
    """No usual delimiter in the header, but runs of blanks split every line into the same count."""
    lines = [ln for ln in lines if ln.strip()][:50]
    if len(lines) < 2 or any(c in lines[0] for c in _CANDIDATES):
        return False
    counts = [len(ln.split()) for ln in lines]
    return counts[0] >= 2 and sum(c == counts[0] for c in counts) >= 0.75 * len(counts)


def _sample_lines(text: str, skip: int) -> list[str]:
    lines = text.splitlines()
    if len(text) >= SAMPLE_BYTES // 4 and lines:
        lines = lines[:-1]  # the last one may be cut
    return lines[skip:]


def text_layout(path: Path, options: ReadOptions) -> TextLayout:
    sample = _sample(path)
    encoding = options.encoding or detect_encoding(sample)
    delimiter = options.delimiter
    if delimiter is None and looks_whitespace_aligned(
            _sample_lines(decode_sample(sample, encoding), options.skip)):
        delimiter = WHITESPACE
    return TextLayout(encoding, delimiter, options.header, options.skip, is_gzip(path))


def _csv_options(layout: TextLayout, *, header: bool) -> str:
    opts = [f"encoding={quote_literal(layout.encoding)}", f"header={str(header).lower()}",
            "all_varchar=true", f"skip={layout.skip}", "null_padding=false"]
    if layout.gzip:
        opts.append("compression='gzip'")
    if layout.delimiter == WHITESPACE:
        opts += [r"delim=E'\x01'", "quote=''", "escape=''", "columns={'line': 'VARCHAR'}"]
    elif layout.delimiter:
        opts.append(f"delim={quote_literal(layout.delimiter)}")
    return ", ".join(opts)


def _read_error(path: Path, err: duckdb.Error, kind: str = "CSV") -> NorthstarError:
    text = re.sub(r"Original Line: .*", "", str(err))
    lines = [ln.strip()[:200] for ln in text.splitlines() if ln.strip()]
    summary = " ".join(lines[:3])[:400].rstrip(" .")
    if "maximum line size" in str(err).lower():
        summary = _("a line is longer than DuckDB's maximum line size (a huge cell or a missing "
                    "closing quote): {cause}", cause=summary)
    return NorthstarError(
        _("Could not read {name} as {kind}", name=path.name, kind=kind),
        _("DuckDB says: {cause}. Check that the file is a {kind} export with one header row and "
          "the same number of fields on every line.", cause=summary, kind=kind))


def _check_file(path: Path) -> None:
    if not path.exists() and not any(c in str(path) for c in GLOB_CHARS):
        raise NorthstarError(_("File not found"), _("{path} does not exist. Check the path.", path=path))
    if path.is_file() and path.stat().st_size == 0:
        raise NorthstarError(_("Empty file"),
                             _("{name} is empty (0 bytes). Export it again.", name=path.name))


_GLOB_CHARS = re.compile(r"[*?\[\]{}]")


@contextlib.contextmanager
def literal_path(path: Path) -> Iterator[Path]:
    """A path DuckDB reads as exactly this file: a name with glob characters (`what?.csv`) is
    given to it through a link with a plain name, so it is never read as a wildcard."""
    if not _GLOB_CHARS.search(str(path)):
        yield path
        return
    folder = tempfile.mkdtemp(prefix="northstar-literal-")
    link = Path(folder) / ("file" + "".join(path.suffixes[-2:]).replace("?", "").replace("*", ""))
    try:
        os.symlink(path.resolve(), link)
        yield link
    finally:
        with contextlib.suppress(OSError):
            link.unlink()
            os.rmdir(folder)


def file_kind(path: Path) -> str:
    """"excel", "parquet", "json" (JSON lines or an array of objects, maybe gzipped) or "text"."""
    if _magic(path) == b"PK\x03\x04" and is_xlsx(path):
        return "excel"
    if is_parquet(path):
        return "parquet"
    sample = _sample(path)
    text = decode_sample(sample, detect_encoding(sample)).lstrip()
    return "json" if text[:1] in ("{", "[") else "text"


@contextlib.contextmanager
def readable_files(path: Path, options: ReadOptions | None = None
                   ) -> Iterator[tuple[list[Path], str, tuple[str, ...]]]:
    """The files `path` names (archive members extracted), checked, under names DuckDB reads
    literally, their one kind, and notes on how they were read. An Excel sheet is given as a text
    Parquet file written for the time of the block."""
    options = options or ReadOptions()
    _check_file(path)
    with expand(path) as files, contextlib.ExitStack() as stack:
        kinds = {file: file_kind(file) for file in files}
        if len(set(kinds.values())) > 1:
            listed = ", ".join(f"{f.name} ({k})" for f, k in list(kinds.items())[:6])
            raise NorthstarError(_("Files of different kinds"),
                                 _("{name} mixes file kinds: {files}. Load one kind at a time.",
                                   name=path.name, files=listed))
        for file in files:
            if is_gzip(file):
                check_gzip(file)
        if kinds[files[0]] == "excel":
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="northstar-xlsx-")))
            sheets: list[Path] = []
            notes: list[str] = []
            for position, file in enumerate(files):
                sheets.append(folder / f"{position:05d}.parquet")
                notes.extend(sheet_to_parquet(file, sheets[-1], options.sheet, options.header,
                                              options.skip))
            yield sheets, "excel", tuple(dict.fromkeys(notes))
            return
        literal = [stack.enter_context(literal_path(f)) for f in files]
        if kinds[files[0]] != "text":
            yield literal, kinds[files[0]], ()
            return
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="northstar-wide-")))
        narrowed = [_narrowed(file, folder / f"{position:05d}.csv", options)
                    for position, file in enumerate(literal)]
        wide_notes = tuple(dict.fromkeys(n.note for n in narrowed if n))
        yield [n.path if n else f for n, f in zip(narrowed, literal, strict=True)], "text", wide_notes


def _narrowed(path: Path, out: Path, options: ReadOptions) -> Narrowed | None:
    """A narrow copy of a text file wider than NARROW_ABOVE columns (None for others)."""
    if not options.header or options.delimiter == WHITESPACE:
        return None
    sample = _sample(path)
    encoding = options.encoding or detect_encoding(sample)
    lines = _sample_lines(decode_sample(sample, encoding), options.skip) \
        or decode_sample(sample, encoding).splitlines()[options.skip:options.skip + 1]
    if not lines:
        return None
    delimiter = options.delimiter or max(
        _CANDIDATES, key=lambda d: len(next(csv.reader([lines[0]], delimiter=d), [])))
    if len(next(csv.reader([lines[0]], delimiter=delimiter), [])) <= NARROW_ABOVE:
        return None
    narrow_copy = narrow(path, out, encoding, delimiter, options.skip, dict(options.overrides))
    return narrow_copy


def check_header(path: Path, header: list[str]) -> None:
    seen: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        key = name.strip().lower()
        if not key:
            raise NorthstarError(
                _("Column without a name"),
                _("Column {position} of {name} has an empty header. Give every column a name.",
                  position=position, name=path.name))
        if key in seen:
            raise NorthstarError(
                _("Duplicate column name"),
                _("{file} has two columns named {column!r} (columns {first} and {second}). Rename "
                  "one in the header and load again.", file=path.name, column=name.strip(),
                  first=seen[key], second=position))
        seen[key] = position


def _unicode_problem(err: duckdb.Error) -> bool:
    text = str(err).lower()
    return "unicode" in text or "encod" in text or "utf-8" in text


def _with_encoding(path: Path, layout: TextLayout, chosen: bool,
                   attempt: Callable[[TextLayout], T]) -> tuple[TextLayout, T]:
    """Run `attempt(layout)`; bytes that are not UTF-8 after the sample retry as Latin-1."""
    try:
        return layout, attempt(layout)
    except duckdb.Error as err:
        if chosen or layout.encoding != "utf-8" or not _unicode_problem(err):
            raise _read_error(path, err) from None
    fallback = replace(layout, encoding="latin-1")
    try:
        return fallback, attempt(fallback)
    except duckdb.Error as err:
        raise _read_error(path, err) from None


def _first_fields(cur: duckdb.DuckDBPyConnection, path: Path, layout: TextLayout) -> list[str]:
    """The first row after `skip` as written: DuckDB's own header reader renames duplicates."""
    cur.execute(f"SELECT * FROM read_csv($path, {_csv_options(layout, header=False)}) LIMIT 1",
                {"path": str(path)})
    row = cur.fetchone()
    values = [("" if v is None else str(v)) for v in (row or ())]
    if layout.delimiter == WHITESPACE:
        values = values[0].split() if values else []
    return values


def _sniffed_delimiter(cur: duckdb.DuckDBPyConnection, path: Path, layout: TextLayout) -> str:
    if layout.delimiter:
        return layout.delimiter
    opts = f"encoding={quote_literal(layout.encoding)}, skip={layout.skip}"
    if layout.gzip:
        opts += ", compression='gzip'"
    cur.execute(f"SELECT Delimiter FROM sniff_csv($path, {opts})", {"path": str(path)})
    row = cur.fetchone()
    return row[0] if row else ","


@dataclass(frozen=True)
class _Plan:
    """How to select the files' rows as text columns named `columns`."""

    select: str
    columns: tuple[str, ...]
    layout: TextLayout | None
    kind: str = "CSV"
    notes: tuple[str, ...] = ()


def _names(header: list[str], use_header: bool) -> list[str]:
    return header if use_header else [f"column{i}" for i in range(1, len(header) + 1)]


def _paths(files: list[Path]) -> dict[str, list[str]]:
    return {"path": [str(f) for f in files]}


def _check_width(path: Path, options: ReadOptions) -> None:
    """Refuse a file wider than MAX_COLUMNS from its first line, before DuckDB sniffs it (which
    alone takes seconds at 10,000 columns)."""
    sample = _sample(path)
    text = decode_sample(sample, options.encoding or detect_encoding(sample))
    # A header longer than the sample is cut: its fields so far are a lower bound.
    lines = _sample_lines(text, options.skip) or text.splitlines()[options.skip:options.skip + 1]
    if not lines:
        return
    delimiters = [options.delimiter] if options.delimiter and options.delimiter != WHITESPACE \
        else list(_CANDIDATES)
    widest = max(next(csv.reader([lines[0]], delimiter=d), []).__len__() for d in delimiters)
    if widest > MAX_COLUMNS:
        _too_wide(path, widest)


def _too_wide(path: Path, columns: int) -> None:
    raise NorthstarError(
        _("Too many columns"),
        _("{name} has {columns} columns; Northstar loads at most {most}. Export only the columns "
          "you need (the user, the time, the event and the properties you will filter on) and "
          "load again.", name=path.name, columns=number(columns), most=number(MAX_COLUMNS)))


def _text_plan(cur: duckdb.DuckDBPyConnection, files: list[Path], options: ReadOptions) -> _Plan:
    first_file = files[0]
    _check_width(first_file, options)
    layout = text_layout(first_file, options)

    def attempt(lay: TextLayout) -> tuple[TextLayout, list[str]]:
        lay = replace(lay, delimiter=_sniffed_delimiter(cur, first_file, lay))
        return lay, _first_fields(cur, first_file, lay)

    _tried, (layout, first) = _with_encoding(first_file, layout, options.encoding is not None, attempt)
    if not first:
        raise NorthstarError(_("Empty file"),
                             _("{name} has no header row. Export it again.", name=first_file.name))
    names = _names(first, layout.header)
    if layout.header:
        check_header(first_file, names)
        for other in files[1:]:
            if _first_fields(cur, other, replace(layout, gzip=is_gzip(other))) != first:
                raise NorthstarError(
                    _("Files with different columns"),
                    _("{other} does not have the columns of {first} ({columns}). Load files with the "
                      "same header together.", other=other.name, first=first_file.name,
                      columns=", ".join(first[:8])))
    if layout.delimiter == WHITESPACE:
        body = replace(layout, skip=layout.skip + (1 if layout.header else 0))
        fields = ", ".join(f"f[{i}] AS {quote_ident(n)}" for i, n in enumerate(names, start=1))
        select = (f"SELECT {fields} FROM (SELECT string_split_regex(trim(line), '\\s+') AS f "
                  f"FROM read_csv($path, {_csv_options(body, header=False)}) "
                  f"WHERE trim(line) <> '') WHERE len(f) = {len(names)}")
        return _Plan(select, tuple(names), layout)
    opts = _csv_options(layout, header=layout.header)
    names_sql = "[" + ", ".join(quote_literal(n) for n in names) + "]"
    select = f"SELECT * FROM read_csv($path, {opts}, names={names_sql})"
    return _Plan(select, tuple(names), layout)


def _parquet_plan(cur: duckdb.DuckDBPyConnection, files: list[Path]) -> _Plan:
    reader = "read_parquet($path, union_by_name=true)"
    try:
        cur.execute(f"DESCRIBE SELECT * FROM {reader}", _paths(files))
        names = [row[0] for row in cur.fetchall()]
    except duckdb.Error as err:
        raise _read_error(files[0], err, "Parquet") from None
    casts = ", ".join(f"CAST({quote_ident(n)} AS VARCHAR) AS {quote_ident(n)}" for n in names)
    return _Plan(f"SELECT {casts} FROM {reader}", tuple(names), None, "Parquet")


JSON_READER = ("read_json($path, format='auto', records='true', union_by_name=true, "
               "sample_size=-1, maximum_object_size=268435456)")
_AS_JSON_TEXT = ("list", "map", "struct", "json", "array", "union")


def flatten(columns: Sequence[str], types: Sequence[Any]) -> list[tuple[str, str]]:
    """(name, SQL giving text) for every leaf of nested objects: `properties.time` becomes `time`,
    or stays `properties.time` when two leaves share a name; lists are kept as JSON text."""
    leaves: list[tuple[tuple[str, ...], str, str]] = []

    def walk(expression: str, path: tuple[str, ...], sql_type: Any) -> None:
        children = list(getattr(sql_type, "children", []) or []) if sql_type.id == "struct" else []
        if children:
            for name, child in children:
                walk(f"{expression}.{quote_ident(name)}", (*path, name), child)
            return
        text = (f"CAST(to_json({expression}) AS VARCHAR)" if sql_type.id in _AS_JSON_TEXT
                else f"CAST({expression} AS VARCHAR)")
        leaves.append((path, expression, text))

    for column, sql_type in zip(columns, types, strict=True):
        walk(quote_ident(column), (column,), sql_type)
    counts = Counter(path[-1].lower() for path, _expression, _text in leaves)
    out: list[tuple[str, str]] = []
    taken: set[str] = set()
    for path, _expression, text in leaves:
        name = path[-1] if counts[path[-1].lower()] == 1 else ".".join(path)
        while name.lower() in taken:
            name += "_"
        taken.add(name.lower())
        out.append((name, text))
    return out


# GA4's BigQuery export keeps its parameters as a list of {key, value: {string_value, int_value,
# float_value, double_value}}: each key becomes a column, reading whichever value is set.
PARAM_VALUES = ("string_value", "int_value", "float_value", "double_value")
MAX_PARAMS = 200


def key_value_params(cur: duckdb.DuckDBPyConnection, files: list[Path], columns: Sequence[str],
                     types: Sequence[Any]) -> dict[tuple[str, str], tuple[str, str]]:
    """(list column, key) → (list column, SQL giving the key's value as text) for every column
    holding a list of {key, value} structs (GA4's `event_params`, `user_properties`)."""
    found: dict[tuple[str, str], tuple[str, str]] = {}
    for column, sql_type in zip(columns, types, strict=True):
        if sql_type.id != "list":
            continue
        child = dict(sql_type.children).get("child")
        fields = dict(getattr(child, "children", []) or []) if child is not None \
            and child.id == "struct" else {}
        value = fields.get("value")
        if "key" not in fields or value is None or value.id != "struct":
            continue
        present = [name for name, _type in value.children if name in PARAM_VALUES]
        col = quote_ident(column)
        cur.execute(f"SELECT DISTINCT CAST(p.key AS VARCHAR) AS k FROM (SELECT unnest({col}) AS p "
                    f"FROM {JSON_READER}) WHERE p.key IS NOT NULL ORDER BY k LIMIT {MAX_PARAMS}",
                    _paths(files))
        for (key,) in cur.fetchall():
            item = f"list_filter({col}, lambda x: x.key = {quote_literal(key)})[1].value"
            reads = ", ".join(f"CAST({item}.{name} AS VARCHAR)" for name in present) or "NULL"
            found[(column, key)] = (column, f"coalesce({reads})")
    return found


def _json_plan(cur: duckdb.DuckDBPyConnection, files: list[Path]) -> _Plan:
    try:
        relation = cur.sql(f"SELECT * FROM {JSON_READER}", params=_paths(files))
        leaves = flatten(relation.columns, relation.types)
    except duckdb.Error as err:
        raise _read_error(files[0], err, "JSON") from None
    try:
        params = key_value_params(cur, files, relation.columns, relation.types)
    except duckdb.Error as err:
        raise _read_error(files[0], err, "JSON") from None
    if params:
        lists = {name for name, _sql in params.values()}
        taken = {n.lower() for n, _sql in leaves if n not in lists}
        leaves = [(n, sql) for n, sql in leaves if n not in lists]
        for (column, key), (_list, sql) in params.items():
            name = key if key.lower() not in taken else f"{column}.{key}"
            taken.add(name.lower())
            leaves.append((name, sql))
    nested = len(leaves) > len(relation.columns) or any("." in n for n, _sql in leaves)
    select = ", ".join(f"{text} AS {quote_ident(name)}" for name, text in leaves)
    notes = (lazy.gettext("nested JSON properties flattened into columns"),) if nested else ()
    return _Plan(f"SELECT {select} FROM {JSON_READER}", tuple(n for n, _sql in leaves), None, "JSON",
                 notes)


# Wider files are refused as soon as their header is read: DuckDB's planning time grows faster
# than linearly with the number of expressions in one query, so 10,000 columns would take minutes.
MAX_COLUMNS = 1_000


def _plan(cur: duckdb.DuckDBPyConnection, files: list[Path], kind: str,
          options: ReadOptions) -> _Plan:
    if kind == "excel":
        plan = replace(_parquet_plan(cur, files), kind="Excel")
    elif kind == "parquet":
        plan = _parquet_plan(cur, files)
    elif kind == "json":
        plan = _json_plan(cur, files)
    else:
        plan = _text_plan(cur, files, options)
    if len(plan.columns) > MAX_COLUMNS:
        _too_wide(files[0], len(plan.columns))
    return plan


def _ragged_note(cur: duckdb.DuckDBPyConnection, files: list[Path], plan: _Plan) -> int:
    """Whitespace-aligned lines with another number of fields than the header: how many."""
    if plan.layout is None or plan.layout.delimiter != WHITESPACE:
        return 0
    body = replace(plan.layout, skip=plan.layout.skip + (1 if plan.layout.header else 0))
    cur.execute(f"SELECT count(*) FROM read_csv($path, {_csv_options(body, header=False)}) "
                f"WHERE trim(line) <> '' AND len(string_split_regex(trim(line), '\\s+')) <> "
                f"{len(plan.columns)}", _paths(files))
    return int(fetch_one(cur)[0])


def _source(path: Path, files: list[Path], plan: _Plan, rows: int, options: ReadOptions,
            notes: tuple[str, ...] = ()) -> SourceFile:
    layout = plan.layout
    delimiter = (layout.delimiter or ",") if layout else ","
    encoding = layout.encoding if layout else "utf-8"
    many = (lazy.ngettext("{n} file read as one dataset", "{n} files read as one dataset",
                          len(files)),) if len(files) > 1 else ()
    return SourceFile(path=display_stem(path), columns=plan.columns, rows=rows, encoding=encoding,
                      delimiter=delimiter, notes=(*many, *plan.notes, *notes), options=options,
                      kind=plan.kind, files=len(files))


def layout_notes(src: SourceFile) -> tuple[str, ...]:
    """What a person should know about how the text was split."""
    notes = []
    if src.delimiter == WHITESPACE:
        notes.append(lazy.gettext("columns are separated by runs of spaces (whitespace-aligned text)"))
    if len(src.columns) == 1 and re.search(r"\s", src.columns[0]):
        notes.append(one_column_hint(src.columns[0]))
    return tuple(notes)


def stage_file(cur: duckdb.DuckDBPyConnection, path: str | Path, table: str,
               options: ReadOptions | None = None) -> SourceFile:
    """Read the whole file (or archive, folder, glob) into temp table `table`, every column as
    text; raise on unusable files."""
    path = Path(path)
    options = options or ReadOptions()
    with readable_files(path, options) as (files, kind, read_notes):
        plan = _plan(cur, files, kind, options)
        plan = replace(plan, notes=(*read_notes, *plan.notes))
        try:
            cur.execute(f"CREATE OR REPLACE TEMP TABLE {quote_ident(table)} AS {plan.select}",
                        _paths(files))
            cur.execute(f"SELECT count(*) FROM {quote_ident(table)}")
            rows = fetch_one(cur)[0]
            ragged = _ragged_note(cur, files, plan)
        except duckdb.Error as err:
            raise _read_error(path, err, plan.kind) from None
        notes: tuple[str, ...] = ()
        if ragged:
            notes = (lazy.ngettext(
                "{n} line with another number of fields than the header was left out",
                "{n} lines with another number of fields than the header were left out", ragged),)
        if rows == 0:
            raise NorthstarError(
                _("No rows"), _("{name} has a header ({columns}) but no data rows.", name=path.name,
                                columns=", ".join(plan.columns[:8])))
        src = _source(path, files, plan, rows, options, notes)
    return replace(src, notes=(*layout_notes(src), *src.notes))


def preview_file(cur: duckdb.DuckDBPyConnection, path: str | Path, limit: int = 20,
                 options: ReadOptions | None = None):
    """The first `limit` rows as a DataFrame of text plus the SourceFile (rows = rows previewed)."""
    path = Path(path)
    options = options or ReadOptions()
    with readable_files(path, options) as (files, kind, read_notes):
        plan = _plan(cur, files, kind, options)
        plan = replace(plan, notes=(*read_notes, *plan.notes))
        try:
            cur.execute(f"{plan.select} LIMIT {int(limit)}", _paths(files))
            frame = cur.df()
        except duckdb.Error as err:
            raise _read_error(path, err, plan.kind) from None
        src = _source(path, files, plan, len(frame), options)
    return frame, replace(src, notes=(*layout_notes(src), *src.notes))
