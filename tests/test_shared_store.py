"""One store, many processes: the CLI while the app serves it, writes during an ingest, two app servers."""

from __future__ import annotations

import subprocess
import sys

import pytest
from playwright.sync_api import Page, expect

from benchmarks.store_concurrency import last_scores, score_during_ingest
from northstar import workshop as ws
from northstar.ingest import load_demo
from northstar.store import Store
from tests.browser import no_exception, shot, streamlit_server
from tests.conftest import ROOT, fixture

WAIT_MS = 90_000  # two app servers, the CLI and Chromium share the machine with the other tests
VIEWPORT = {"width": 1400, "height": 2000}
CRITERIA = ws.CRITERION_KEYS


def northstar(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "northstar", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


def test_score_writes_land_and_never_queue_behind_an_ingest(tmp_path):
    """20 threads write scores while another process ingests a 1M-row file: every score lands, and
    writes go on during the ingest (the waits are printed, not asserted: benchmarks/store_concurrency.py
    measures them)."""
    run = score_during_ingest(tmp_path, 1_000_000)
    assert "Loaded big: 1,000,000 rows, 20,000 users" in run.ingest_stdout
    # every score landed, holding the last round's value: 20 people × 3 candidates × 5 criteria
    assert len(run.scores) == 300
    got = run.scores.groupby(["participant", "candidate"])["score"].agg(["min", "max"])
    assert (got["min"] == got["max"]).all()
    assert got["min"].to_dict() == last_scores()
    assert sum(run.during_ingest) > 0, "no score was written while the ingest ran"
    print(f"\n{len(run.waits_s)} score writes, {sum(run.during_ingest)} during the ingest "
          f"({run.ingest_s:.1f} s in all); worst wait {max(run.waits_s) * 1000:.0f} ms")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The demo and an open workshop in a store that a real `streamlit run` serves."""
    folder = tmp_path_factory.mktemp("shared-store")
    with Store(folder / "store") as store:
        load_demo(store)
        workshop = ws.create_workshop(store, "Shared", [("Active users", ""), ("Returning users", "")],
                                      "Zq7#pw", dataset="demo")
    with streamlit_server(folder / "store", folder / "a.log") as url:
        yield folder, url, workshop.code, workshop.host_secret


def page_of(browser, url: str) -> Page:
    page = browser.new_context(viewport=VIEWPORT).new_page()
    page.goto(url)
    return page


def scored_metric(page: Page, label: str):
    return page.get_by_test_id("stMetric").filter(has_text=label).get_by_test_id("stMetricValue").first


@pytest.mark.browser
def test_cli_commands_run_while_the_app_serves_the_store(served, browser, tmp_path):
    folder, url, code, host = served
    db = str(folder / "store")
    compare_page = page_of(browser, f"{url}/Compare")
    expect(compare_page.get_by_text("Users who did report_shared").first).to_be_visible(timeout=WAIT_MS)
    workshop_page = page_of(browser, f"{url}/Workshop?workshop={code}&name=Dana")
    expect(workshop_page.get_by_text("Your scores", exact=True)).to_be_visible(timeout=WAIT_MS)

    metrics = northstar("metrics", "--db", db, "--dataset", "demo")
    assert metrics.returncode == 0, metrics.stderr
    assert metrics.stdout.startswith("period,metric,value\n") and ",Active users," in metrics.stdout
    compare = northstar("compare", "--db", db, "--dataset", "demo", "--outcome", "Revenue")
    assert compare.returncode == 0, compare.stderr
    assert compare.stdout.splitlines()[1].startswith("Users who did report_shared,")
    with Store(folder / "store") as store:
        ws.lock(store, code, "Zq7#pw", "Active users", "", "Everyone understands it.", host=host)
    report = northstar("report", "--db", db, "--workshop", code, "--out", str(tmp_path / "d.md"))
    assert report.returncode == 0, report.stderr
    assert "Active users" in (tmp_path / "d.md").read_text()
    ingest = northstar("ingest", str(fixture("mixpanel.csv")), "--db", db, "--dataset", "extra")
    assert ingest.returncode == 0, ingest.stderr

    # The pages keep working on the same store, and see what the CLI did.
    expect(workshop_page.get_by_text("Decided: Active users")).to_be_visible(timeout=WAIT_MS)
    compare_page.reload()
    expect(compare_page.get_by_text("Users who did report_shared").first).to_be_visible(timeout=WAIT_MS)
    data_page = page_of(browser, f"{url}/Data")
    data_page.get_by_role("combobox", name="Active dataset").click(timeout=WAIT_MS)
    expect(data_page.get_by_role("option", name="extra", exact=True)).to_be_visible(timeout=WAIT_MS)
    for page in (compare_page, workshop_page, data_page):
        no_exception(page)
    shot(workshop_page, "shared-store-workshop-after-cli")


@pytest.mark.browser
def test_a_score_written_through_one_app_process_shows_in_another(tmp_path, browser):
    with Store(tmp_path / "store") as store:
        load_demo(store)
        code = ws.create_workshop(store, "Two servers", [("Active users", ""), ("NPS", "")], "Zq7#pw",
                                  dataset="demo").code
    with streamlit_server(tmp_path / "store", tmp_path / "a.log") as first, \
            streamlit_server(tmp_path / "store", tmp_path / "b.log") as second:
        watcher = page_of(browser, f"{second}/Workshop?workshop={code}&name=Watcher")
        expect(scored_metric(watcher, "Joined")).to_have_text("1", timeout=WAIT_MS)
        scorer = page_of(browser, f"{first}/Workshop?workshop={code}&name=Sam")
        group = scorer.locator(f".st-key-score-{code}-sam-0-critical")
        expect(group).to_have_count(1, timeout=WAIT_MS)
        group.get_by_role("radio", name="4", exact=True).click()
        expect(group.get_by_role("radio", name="4", exact=True).first).to_be_checked(timeout=WAIT_MS)
        # Nobody touches the watcher's page on the other server: its live results refresh by themselves.
        expect(scored_metric(watcher, "Joined")).to_have_text("2", timeout=WAIT_MS)
        expect(scored_metric(watcher, "Scored")).to_have_text("1", timeout=WAIT_MS)
        no_exception(watcher)
        no_exception(scorer)
        shot(watcher, "shared-store-second-server")
