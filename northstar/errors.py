"""The one error type the library raises: a short title and an actionable detail."""

from __future__ import annotations


class NorthstarError(Exception):
    """A problem the user can fix: `title` says what is wrong, `detail` where and how to fix it."""

    def __init__(self, title: str, detail: str = "") -> None:
        super().__init__(f"{title}: {detail}" if detail else title)
        self.title = title
        self.detail = detail

    def one_line(self) -> str:
        """The message on a single line, as the CLI prints it."""
        return " ".join(str(self).split())
