"""Very wide text files narrowed in one pass: the role columns and a bounded number of properties."""

from __future__ import annotations

import csv
import gzip
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from northstar.i18n import lazy, number
from northstar.ingest.roles import resolve_mapping

# Beyond this many columns a text file is narrowed before DuckDB reads it (DuckDB's planning
# grows faster than linearly with the number of columns of one query).
NARROW_ABOVE = 1_000
# Property columns kept from a narrowed file, besides the role columns.
WIDE_PROPERTIES = 200
SAMPLE_ROWS = 200


@dataclass(frozen=True)
class Narrowed:
    """The narrow copy written, and what was kept of how many columns."""

    path: Path
    name: str
    columns: int
    roles: tuple[str, ...]
    properties: int

    @property
    def note(self) -> str:
        return lazy.gettext(
            "{name} has {columns} columns: kept the role columns ({roles}) and the first {kept} "
            "other columns as properties; {left} columns left out",
            name=self.name, columns=number(self.columns), roles=", ".join(self.roles),
            kept=number(self.properties),
            left=number(self.columns - len(self.roles) - self.properties))


def _open(path: Path, encoding: str) -> TextIO:
    codec = "utf-8-sig" if encoding.lower() in ("utf-8", "utf8") else encoding
    if _is_gzip(path):
        return gzip.open(path, "rt", encoding=codec, newline="")
    return path.open("r", encoding=codec, newline="")


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(2) == b"\x1f\x8b"


def role_columns(header: list[str], sample: list[list[str]],
                 overrides: Mapping[str, str] | None = None) -> list[str]:
    """The columns role detection picks (by name, then by values), including those an expression
    such as `"amount" / 100` or a fallback (Amplitude's device id) reads."""
    samples = {name: [row[i] for row in sample if i < len(row)] for i, name in enumerate(header)}
    mapping = resolve_mapping(header, overrides, strict=False, samples=samples)
    wanted = [*mapping.sources.values(), *mapping.fallbacks.values()]
    present = set(header)
    keep: list[str] = []
    for source in wanted:
        if not source:
            continue
        if source in present:
            keep.append(source)
        else:
            named = [q.replace('""', '"') for q in re.findall(r'"((?:[^"]|"")*)"', source)]
            named += re.findall(r"[A-Za-z_$][\w$]*", source)
            keep += [name for name in named if name in present]
    return list(dict.fromkeys(keep))


def narrow(path: Path, out: Path, encoding: str, delimiter: str, skip: int,
           overrides: Mapping[str, str] | None = None) -> Narrowed | None:
    """Copy `path` to `out` with only the role columns and the first WIDE_PROPERTIES others, in
    one streaming pass (time linear in rows × width); None when the file is not that wide."""
    with _open(path, encoding) as handle:
        skipped = [handle.readline() for _line in range(skip)]
        reader = csv.reader(handle, delimiter=delimiter)
        header = next(reader, [])
        if len(header) <= NARROW_ABOVE:
            return None
        sample = [row for _i, row in zip(range(SAMPLE_ROWS), reader, strict=False)]
        roles = role_columns(header, sample, overrides)
        others = [c for c in header if c not in set(roles)][:WIDE_PROPERTIES]
        kept = set(roles) | set(others)
        index = [i for i, name in enumerate(header) if name in kept]
        written = "utf-8" if encoding.lower() in ("utf-8", "utf8") else encoding
        with out.open("w", encoding=written, newline="") as target:
            target.writelines("skipped\n" for _line in skipped)
            writer = csv.writer(target, delimiter=delimiter)
            writer.writerow([header[i] for i in index])
            for row in _rows(sample, reader):
                writer.writerow([row[i] if i < len(row) else "" for i in index])
    return Narrowed(out, path.name, len(header), tuple(roles), len(others))


def _rows(sample: list[list[str]], rest: Iterator[list[str]]) -> Iterator[list[str]]:
    yield from sample
    yield from rest
