"""What a path names: one file, every file of a .zip archive, a folder, or a glob the user wrote.

Several files are loaded as one dataset. Archive members are extracted (under safe names) into a
temporary folder that is removed when the read is over.
"""

from __future__ import annotations

import contextlib
import glob
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

from northstar.errors import NorthstarError
from northstar.i18n import _, number
from northstar.ingest.excel import is_xlsx

GLOB_CHARS = "*?["
MAX_FILES = 10_000


def _is_zip(path: Path) -> bool:
    """An archive of export files (an Excel workbook is a zip too, but one export)."""
    try:
        with path.open("rb") as handle:
            return handle.read(4) == b"PK\x03\x04" and not is_xlsx(path)
    except OSError:
        return False


def _visible(path: Path) -> bool:
    return not any(part.startswith((".", "__MACOSX")) for part in path.parts)


def _extract(archive: Path, into: Path) -> list[Path]:
    """Every file of the archive, CRC-checked, under a numbered name that keeps its extensions."""
    try:
        with zipfile.ZipFile(archive) as zipped:
            members = [m for m in zipped.infolist()
                       if not m.is_dir() and _visible(Path(m.filename)) and m.file_size > 0]
            if len(members) > MAX_FILES:
                raise NorthstarError(_("Too many files"), _(
                    "{name} holds {count} files; Northstar reads at most {most}.", name=archive.name,
                    count=number(len(members)), most=number(MAX_FILES)))
            out = []
            for position, member in enumerate(sorted(members, key=lambda m: m.filename)):
                suffix = "".join(Path(member.filename).suffixes[-2:])
                target = into / f"{position:05d}{suffix}"
                with zipped.open(member) as src, target.open("wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
                out.append(target)
    except (zipfile.BadZipFile, EOFError, OSError) as err:
        raise NorthstarError(
            _("{name} is a corrupt or truncated .zip", name=archive.name),
            _("Reading the archive failed ({error}). Nothing was loaded; download it again.",
              error=err)) from None
    if not out:
        raise NorthstarError(_("Empty archive"),
                             _("{name} holds no files with data.", name=archive.name))
    return out


def _folder(path: Path) -> list[Path]:
    files = sorted(p for p in path.rglob("*") if p.is_file() and _visible(p.relative_to(path)))
    files = [p for p in files if p.stat().st_size > 0]
    if not files:
        raise NorthstarError(_("Empty folder"), _("{path} holds no files with data.", path=path))
    return files


@contextlib.contextmanager
def expand(path: Path) -> Iterator[list[Path]]:
    """The files `path` stands for; archives extracted for the time of the block."""
    if not path.exists() and any(c in str(path) for c in GLOB_CHARS):
        matches = sorted(Path(p) for p in glob.glob(str(path), recursive=True) if Path(p).is_file())
        if not matches:
            raise NorthstarError(_("No file matches"),
                                 _("No file matches the pattern {pattern}.", pattern=path))
        files = [p for p in matches if p.stat().st_size > 0]
    elif path.is_dir():
        files = _folder(path)
    else:
        files = [path]
    if not any(_is_zip(p) for p in files):
        yield files
        return
    temp = Path(tempfile.mkdtemp(prefix="northstar-unzip-"))
    try:
        found: list[Path] = []
        for position, file in enumerate(files):
            if _is_zip(file):
                into = temp / str(position)
                into.mkdir()
                found.extend(_extract(file, into))
            else:
                found.append(file)
        yield found
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def display_stem(path: Path) -> Path:
    """The path whose name a dataset is named after: a glob's folder, else the path itself."""
    if not path.exists() and any(c in path.name for c in GLOB_CHARS):
        return path.parent
    return path
