"""Ingest item 6 end to end in Chromium: upload the whitespace-aligned file, get the delimiter wrong
and fix it in the read options, load, see the right row count and the health report."""

from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import expect

from tests.browser import choose, no_exception, shot, streamlit_server
from tests.conftest import fixture

pytestmark = pytest.mark.browser
WAIT_MS = 90_000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ingest-browser")
    with streamlit_server(folder / "store", folder / "streamlit.log") as url:
        yield url


def test_whitespace_file_upload_fix_delimiter_and_load(server, browser, tmp_path):
    export = tmp_path / "cdnow.txt"
    shutil.copy(fixture("ingest_cdnow.txt"), export)
    context = browser.new_context(viewport={"width": 1400, "height": 1400})
    page = context.new_page()
    try:
        page.goto(server)
        expect(page.get_by_role("heading", name="Active dataset: demo")).to_be_visible(
            timeout=WAIT_MS)
        page.get_by_role("link", name="1 · Data").click()
        expect(page.get_by_role("heading", name="Dataset “demo”")).to_be_visible(timeout=WAIT_MS)
        page.get_by_text("Load a file").click()
        uploader = page.locator("input[type=file]")
        expect(uploader).to_be_attached(timeout=WAIT_MS)
        uploader.set_input_files(str(export))
        expect(page.get_by_text("Preview of cdnow.txt")).to_be_visible(timeout=WAIT_MS)
        page.get_by_text("Read options: delimiter").click()
        choose(page, "Delimiter", "Comma ,")
        expect(page.get_by_text("is it separated by spaces or tabs?").first).to_be_visible(
            timeout=WAIT_MS)
        expect(page.get_by_text("1 column)")).to_be_visible(timeout=WAIT_MS)
        choose(page, "Delimiter", "Spaces (whitespace-aligned)")
        expect(page.get_by_text("4 columns)")).to_be_visible(timeout=WAIT_MS)
        shot(page, "ingest-read-options")
        page.get_by_role("button", name="Load dataset").click()
        expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text(
            "Loaded cdnow: 8 events from 4 users.", timeout=WAIT_MS)
        expect(page.get_by_role("heading", name="Dataset “cdnow”")).to_be_visible()
        expect(page.get_by_test_id("stMetricValue").first).to_have_text("8")
        expect(page.get_by_text("Data health").first).to_be_visible()
        no_exception(page)
        shot(page, "ingest-loaded")
    except Exception:
        shot(page, "ingest-browser-failure")
        raise
    finally:
        context.close()
