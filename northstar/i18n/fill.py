"""Fill a catalog from a dict of translations (a maintenance tool for `make catalogs` users).

    python -m northstar.i18n.fill sv translations.py   # a module defining SV = {msgid: msgstr, ...}

Keys are msgids, or (singular, plural) pairs whose values are (singular, plural) translations.
Only empty entries are filled; what a translator already wrote is kept. Prints what is still empty.
"""

from __future__ import annotations

import runpy
import sys

from babel.messages.pofile import read_po, write_po

from northstar.i18n import DOMAIN, LOCALE_DIR


def _done(string: object) -> bool:
    return all(string) if isinstance(string, tuple | list) else bool(string)


def fill(lang: str, translations: dict) -> list[str]:
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    for message in catalog:
        if not message.id:
            continue
        found = translations.get(message.id)
        if found is None:
            continue
        if not _done(message.string):
            message.string = tuple(found) if isinstance(message.id, tuple) else found
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, sort_output=True, omit_header=False)
    return [str(m.id) for m in catalog if m.id and not _done(m.string)]


def main() -> None:
    lang, module = sys.argv[1], sys.argv[2]
    missing = fill(lang, runpy.run_path(module)[lang.upper()])
    print(f"{len(missing)} messages still untranslated in {lang}" + "".join(f"\n  {m}" for m in missing))


if __name__ == "__main__":
    main()
