"""Shared fixtures: a store in a temp dir, paths to the committed fixture files."""

from __future__ import annotations

from pathlib import Path

import pytest

from northstar.store import Store

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def store(tmp_path: Path):
    opened = Store(tmp_path / "store.duckdb")
    yield opened
    opened.close()


def fixture(name: str) -> Path:
    return FIXTURES / name
