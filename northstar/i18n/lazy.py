"""Sentences kept for later (a dataset's notes): stored as msgid + fields, read in the reader's language.

A `Message` is a `str` whose value is its English text (what the CLI prints, what scripts and
tests match), and `str(message)` or `f"{message}"` says it in the current language. Fields may be
other messages (translated too) or numbers (formatted per locale when shown).

    from northstar.i18n import lazy
    note = lazy.ngettext("{n} row skipped", "{n} rows skipped", 3)
    str(note)                       # "3 rader hoppades över" while Swedish is the language

`to_json` / `from_json` keep a message in the store's JSON (plain strings pass through).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from northstar import i18n


def _shown(value: object) -> object:
    if isinstance(value, Message):
        return str(value)
    if isinstance(value, list | tuple):  # a list of parts, joined with commas
        return ", ".join(str(_shown(part)) for part in value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return i18n.number(value)
    return value


class Message(str):
    """A translatable sentence: its English text, plus what it takes to say it in another language."""

    msgid: str
    plural: str | None
    n: int | None
    fields: dict[str, Any]

    def __new__(cls, msgid: str, plural: str | None = None, n: int | None = None,
                fields: Mapping[str, Any] | None = None) -> Message:
        fields = dict(fields or {})
        with i18n.use_language(i18n.DEFAULT_LANGUAGE):
            english = _render(msgid, plural, n, fields)
        made = super().__new__(cls, english)
        made.msgid, made.plural, made.n, made.fields = msgid, plural, n, fields
        return made

    def __str__(self) -> str:
        return _render(self.msgid, self.plural, self.n, self.fields)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __reduce__(self):  # pickling (st.cache_data) keeps the message, not only its English
        return (Message, (self.msgid, self.plural, self.n, self.fields))


def _render(msgid: str, plural: str | None, n: int | None, fields: dict[str, Any]) -> str:
    shown = {key: _shown(value) for key, value in fields.items()}
    if plural is not None:
        return i18n.ngettext(msgid, plural, int(n or 0), **shown)
    return i18n._(msgid, **shown)


def gettext(message: str, /, **fields: object) -> Message:
    """`message` with `fields`, translated when shown (extracted like `_`)."""
    return Message(message, fields=fields)


def ngettext(singular: str, plural: str, n: int, /, **fields: object) -> Message:
    """The form for `n` when shown; `{n}` is filled with `n` in the reader's number format."""
    return Message(singular, plural, int(n), fields)


def to_json(text: str) -> Any:
    """A note as the store keeps it: a message as its parts, any other text as it is."""
    if not isinstance(text, Message):
        return str(text)
    fields = {key: _field_json(value) for key, value in text.fields.items()}
    return {"msgid": text.msgid, "plural": text.plural, "n": text.n, "fields": fields}


def _field_json(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [_field_json(part) for part in value]
    return to_json(value) if isinstance(value, Message) else value


def _field(value: Any) -> Any:
    if isinstance(value, list):
        return [_field(part) for part in value]
    return from_json(value) if isinstance(value, dict) else value


def from_json(stored: Any) -> str:
    """What `to_json` wrote, back; text from older stores stays plain (English) text."""
    if not isinstance(stored, dict) or "msgid" not in stored:
        return str(stored)
    fields = {key: _field(value) for key, value in (stored.get("fields") or {}).items()}
    return Message(stored["msgid"], stored.get("plural"), stored.get("n"), fields)
