"""End to end in Chromium: the server starts as `make run` starts it, pages render, an upload loads."""

from __future__ import annotations

import duckdb
import pytest
from playwright.sync_api import expect

from tests.browser import choose, no_exception, shot, streamlit_server

pytestmark = pytest.mark.browser
WAIT_MS = 30_000


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser")
    with streamlit_server(folder / "store", folder / "streamlit.log") as url:
        yield url


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield context.new_page()
    context.close()


def test_home_renders_with_the_demo(server, page):
    page.goto(server)
    expect(page.get_by_role("heading", name="Active dataset: demo")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("North Star Metric (NSM)")).to_be_visible()
    no_exception(page)
    shot(page, "home")


def test_upload_through_the_data_page_shows_the_row_count(server, page, tmp_path):
    export = tmp_path / "browser_upload.csv"
    duckdb.sql(f"""
        COPY (SELECT 'user_' || (i % 40) AS distinct_id, 1717200000 + i * 600 AS time,
                     ['Sign Up', 'Report Shared', 'Purchase'][1 + i % 3] AS event
              FROM range(1234) r(i)) TO '{export}' (HEADER)""")
    page.goto(server)
    page.get_by_role("link", name="1 · Data").click()
    expect(page.get_by_role("heading", name="Data", exact=False).first).to_be_visible(timeout=WAIT_MS)
    page.get_by_text("Load a file").click()
    page.locator("input[type=file]").set_input_files(str(export))
    expect(page.get_by_text("Preview of browser_upload.csv")).to_be_visible(timeout=WAIT_MS)
    shot(page, "data-mapping")
    page.get_by_role("button", name="Load dataset").click()
    expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text(
        "Loaded browser_upload: 1,234 events from 40 users.", timeout=WAIT_MS)
    expect(page.get_by_role("heading", name="Dataset “browser_upload”")).to_be_visible()
    expect(page.get_by_test_id("stMetricValue").first).to_have_text("1,234")
    no_exception(page)
    shot(page, "data-summary")


def test_create_a_custom_candidate_and_see_its_chart(server, page):
    page.goto(f"{server}/Candidates")
    expect(page.get_by_text("Active users").first).to_be_visible(timeout=WAIT_MS)
    page.get_by_role("radio", name="Add or edit").click()
    expect(page.get_by_role("heading", name="Add a candidate")).to_be_visible(timeout=WAIT_MS)
    # Each widget change reruns the page: wait for its effect before the next action.
    choose(page, "Kind", "Custom")
    expression = page.get_by_role("textbox", name="Aggregate expression")
    expect(expression).to_be_visible(timeout=WAIT_MS)
    expression.fill("count(DISTINCT user_id) FILTER (WHERE event = 'upgrade')")
    expression.press("Control+Enter")
    expect(page.get_by_text("Name the candidate to see its preview")).to_be_visible(timeout=WAIT_MS)
    page.get_by_role("textbox", name="Name").fill("Upgraders")
    page.get_by_role("textbox", name="Name").press("Enter")
    expect(page.get_by_text("Preview: Upgraders")).to_be_visible(timeout=WAIT_MS)
    shot(page, "candidates-editor")
    page.get_by_role("button", name="Save candidate").click()
    expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text("Saved Upgraders",
                                                                       timeout=WAIT_MS)
    # The new candidate joins the small multiples, titled with its latest value.
    expect(page.locator(".js-plotly-plot").first).to_contain_text("Upgraders", timeout=WAIT_MS)
    no_exception(page)
    shot(page, "candidates")


def test_compare_ranks_the_planted_leader_first(server, page):
    page.goto(f"{server}/Compare")
    outcome = page.get_by_role("combobox", name="Outcome")
    expect(outcome).to_be_visible(timeout=WAIT_MS)
    # Other tests may have loaded a newer dataset, which a new session opens on.
    choose(page, "Active dataset", "demo")
    expect(page.get_by_role("combobox", name="Active dataset")).to_have_value("demo", timeout=WAIT_MS)
    # Another outcome re-ranks; back on Revenue, the demo's planted leader comes first.
    for name, headline in (("MRR", "MRR"), ("Revenue", "leads Revenue by 3 weeks")):
        choose(page, "Outcome", name)
        expect(page.get_by_test_id("stAlert").first).to_contain_text(headline, timeout=WAIT_MS)
    # st.dataframe draws on a canvas; its cells are mirrored in an accessible table.
    expect(page.get_by_test_id("glide-cell-1-0")).to_have_text("Users who did report_shared", timeout=WAIT_MS)
    expect(page.get_by_test_id("glide-cell-2-0")).to_have_text("leading by 3 weeks")
    expect(page.get_by_test_id("glide-cell-3-0")).to_have_text("3")
    expect(page.get_by_role("combobox", name="Candidate")).to_have_value("Users who did report_shared")
    expect(page.locator(".js-plotly-plot")).to_have_count(4, timeout=WAIT_MS)
    expect(page.locator(".js-plotly-plot").first).to_contain_text("shifted 3 weeks later")
    no_exception(page)
    # The main column scrolls inside the window: a tall window gets the whole page in one shot.
    page.set_viewport_size({"width": 1400, "height": 4000})
    page.wait_for_timeout(1500)  # let Plotly re-lay out its charts at the new size
    shot(page, "compare")
