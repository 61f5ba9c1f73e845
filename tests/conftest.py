"""Shared fixtures: a store in a temp dir, paths to the committed fixture files."""

from __future__ import annotations

from pathlib import Path

import pytest

from northstar.store.core import Store

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def store(tmp_path: Path):
    opened = Store(tmp_path / "store")
    yield opened
    opened.close()


def fixture(name: str) -> Path:
    return FIXTURES / name


@pytest.fixture(scope="session")
def browser():
    """One Debian Chromium for every browser test of the session (Playwright allows one per thread)."""
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM_ARGS, chromium_path

    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield launched
        launched.close()

