"""End to end in Chromium: a facilitator and a participant in two browsers run a workshop; the tree page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from northstar import tree as mt
from northstar.ingest.load import load_demo
from northstar.metrics.candidates import save_candidate
from northstar.metrics.specs import MetricSpec
from northstar.store.core import Store
from tests.browser import choose, no_exception, shot, streamlit_server

pytestmark = pytest.mark.browser
WAIT_MS = 30_000
# Tall, because Streamlit scrolls inside the page: a screenshot shows only the viewport.
VIEWPORT = {"width": 1400, "height": 2400}
# Clicked in this order: Influenceable last, so its mean (2.5) shows once every score is in.
PAT = {"critical": 5, "measurable": 4, "understandable": 4, "long_term": 3, "influenceable": 1}
PIN = "Zq7#pw"
FOLDER: dict[str, object] = {}  # the server's store folder, for tests that set up with the library
PHONE = {"width": 390, "height": 844}
# Elements reaching past the right edge of the viewport (visible ones only): horizontal overflow.
OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.querySelectorAll('[data-testid="stMain"] *')) {
    const box = el.getBoundingClientRect();
    const shown = getComputedStyle(el).visibility !== 'hidden';
    if (box.width > 0 && box.height > 0 && box.right > width + 1 && shown)
      wide.push(`${el.tagName}.${el.className}`.slice(0, 80) + ` right=${Math.round(box.right)}`);
  }
  const main = document.querySelector('[data-testid="stMain"]');
  return {width, scroll: main ? main.scrollWidth : 0, client: main ? main.clientWidth : 0, wide};
}"""
FRAN = {"critical": 1, "measurable": 4, "understandable": 5, "long_term": 3, "influenceable": 4}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server of this module's own: the demo and a saved metric tree, loaded before it starts."""
    folder = tmp_path_factory.mktemp("browser-workshop")
    store = Store(folder / "store")
    dataset = load_demo(store)
    save_candidate(store, dataset, MetricSpec("Weekly sharers", "active_users", events=("report_shared",)))
    tree = mt.new_tree("Weekly sharers", metric="Weekly sharers")
    tree = mt.add_node(tree, "nsm", "Returning users", team="Growth", metric="Returning users")
    tree = mt.add_node(tree, "omtm-1", "Time spent per active user", metric="Time spent per active user")
    tree = mt.add_node(tree, "nsm", "NPS", team="Customer success", metric="NPS")
    mt.save_tree(store, dataset.name, tree)
    store.close()
    FOLDER["store"] = folder / "store"
    with streamlit_server(folder / "store", folder / "streamlit.log") as url:
        yield url


def new_page(browser: Browser) -> Page:
    return browser.new_context(viewport=VIEWPORT, accept_downloads=True).new_page()


def score(page: Page, code: str, name: str, scores: dict[str, int]) -> None:
    """Click the five scores of the first candidate; each click saves."""
    for criterion, value in scores.items():
        group = page.locator(f".st-key-score-{code}-{name}-0-{criterion}")
        # While a rerun draws, the previous run's copy of a widget can linger beside the new one.
        expect(group).to_have_count(1, timeout=WAIT_MS)
        group.get_by_role("radio", name=str(value), exact=True).click()
        expect(group.get_by_role("radio", name=str(value), exact=True).first).to_be_checked(timeout=WAIT_MS)
    expect(page.get_by_text("All five scores saved.").first).to_be_visible(timeout=WAIT_MS)


def metric(page: Page, label: str):
    # .first: while a fragment reruns, its old elements linger a moment beside the new ones.
    return page.get_by_test_id("stMetric").filter(has_text=label).get_by_test_id("stMetricValue").first


def test_facilitator_and_participant_decide_together(server, browser):
    facilitator = new_page(browser)
    facilitator.goto(f"{server}/Workshop")
    facilitator.get_by_role("textbox", name="Workshop name").fill("Q3 North Star")
    choose(facilitator, "Shortlist", "Active users", "Returning users", "NPS")
    facilitator.get_by_role("textbox", name="Your name (to score as well; optional)").fill("Fran")
    facilitator.get_by_role("textbox", name="Facilitator PIN").first.fill(PIN)
    facilitator.get_by_role("button", name="Start the workshop").click()
    expect(facilitator.get_by_text("Invite people", exact=True)).to_be_visible(timeout=WAIT_MS)
    code = metric(facilitator, "Join code").inner_text()
    link = facilitator.locator("code").filter(has_text="?workshop=").first.inner_text()
    assert link.endswith(f"/Workshop?workshop={code}&lang=en"), "the link opens in the workshop's language"
    assert link.startswith("http://127.0.0.1:")
    # The server listens on loopback only: the share panel says phones cannot open the link.
    expect(facilitator.get_by_text("Phones cannot open this link")).to_be_visible()
    expect(facilitator.get_by_role("img").first).to_be_visible()  # the QR code
    score(facilitator, code, "fran", FRAN)

    participant = new_page(browser)
    participant.goto(link)
    participant.get_by_role("textbox", name="Your name").fill("Pat", timeout=3 * WAIT_MS)
    participant.get_by_role("button", name="Join").click()
    expect(participant.get_by_text("Your scores", exact=True)).to_be_visible(timeout=WAIT_MS)
    score(participant, code, "pat", PAT)
    expect(metric(participant, "Scored")).to_have_text("2", timeout=WAIT_MS)
    no_exception(participant)
    shot(participant, "workshop-participant")
    assert "&key=" in participant.url, "the participant's key is in the URL: a reload keeps them in"
    expect(participant.get_by_role("button", name="Lock the decision")).to_have_count(0)
    expect(participant.get_by_text("Facilitator PIN")).to_have_count(0)

    # Someone else opens the join link and tries to be Pat.
    impostor = new_page(browser)
    impostor.goto(link)
    # A third browser on a busy machine: the form may take a while to become editable.
    impostor.get_by_role("textbox", name="Your name").fill(" PAT ", timeout=3 * WAIT_MS)
    impostor.get_by_role("button", name="Join").click()
    expect(impostor.get_by_text("The name 'Pat' is taken")).to_be_visible(timeout=WAIT_MS)
    expect(impostor.get_by_text("Your scores", exact=True)).to_have_count(0)
    # ... or copies Pat's link without the key
    impostor.goto(participant.url.split("&key=")[0])
    expect(impostor.get_by_text("The name 'Pat' is taken")).to_be_visible(timeout=WAIT_MS)
    expect(impostor.get_by_text("Your scores", exact=True)).to_have_count(0)
    no_exception(impostor)
    shot(impostor, "workshop-impostor")

    # The facilitator's results refresh by themselves: nobody touches that page.
    expect(metric(facilitator, "Joined")).to_have_text("2", timeout=WAIT_MS)
    expect(metric(facilitator, "Scored")).to_have_text("2", timeout=WAIT_MS)
    heatmap = facilitator.locator(".js-plotly-plot").first
    expect(heatmap).to_contain_text("2.5", timeout=WAIT_MS)  # Influenceable: (1 + 4) / 2
    expect(heatmap).to_contain_text("4.5")  # Understandable: (4 + 5) / 2
    expect(facilitator.get_by_text("Scores for 'Critical' on 'Active users' range from 1 to 5")) \
        .to_be_visible()
    no_exception(facilitator)
    shot(facilitator, "workshop-facilitator")

    facilitator.get_by_role("textbox", name="Why we chose it").fill(
        "It leads revenue by three weeks and every team can move it.")
    facilitator.get_by_role("textbox", name="Facilitator PIN").fill(PIN)
    facilitator.get_by_role("button", name="Lock the decision").click()
    expect(facilitator.get_by_text("Decided: Active users")).to_be_visible(timeout=WAIT_MS)
    # The participant's page follows the lock by itself, and goes read-only.
    expect(participant.get_by_text("Decided: Active users")).to_be_visible(timeout=WAIT_MS)
    participant.get_by_text("Your scores and dots (read-only)").click()
    expect(participant.locator(f".st-key-score-{code}-pat-0-critical").get_by_role("radio").first) \
        .to_be_disabled(timeout=WAIT_MS)

    with facilitator.expect_download(timeout=WAIT_MS) as download:
        facilitator.get_by_role("button", name="Download (HTML)").click()
    record = download.value.path().read_text(encoding="utf-8")
    assert "<h2>Active users</h2>" in record
    assert "Evidence from the data" in record and "Metric tree" in record
    no_exception(facilitator)


def test_tree_page_shows_values_leads_and_adds_a_kpi(server, browser):
    page = new_page(browser)
    page.goto(f"{server}/Tree")
    expect(page.get_by_test_id("stMetric").filter(has_text="Returning users")).to_be_visible(timeout=WAIT_MS)
    # Each link says how the lower metric relates to the one above (what it says is the data's business).
    expect(page.get_by_text("Weekly sharers: ")).to_have_count(2)
    expect(page.get_by_text("Returning users: ")).to_have_count(1)
    page.get_by_role("tab", name="Add a KPI").click()
    choose(page, "Under the OMTM", "OMTM · NPS (Customer success)")
    choose(page, "KPI metric", "Churned users")
    page.get_by_role("button", name="Add the KPI").click()
    expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text("Added the KPI Churned users",
                                                                       timeout=WAIT_MS)
    expect(page.get_by_test_id("stMetric").filter(has_text="Churned users")).to_be_visible(timeout=WAIT_MS)
    no_exception(page)
    shot(page, "tree")


def no_horizontal_overflow(page: Page) -> None:
    found = page.evaluate(OVERFLOW_JS)
    assert found["scroll"] <= found["client"] and not found["wide"], found


def test_a_phone_scores_and_reads_results_without_horizontal_scrolling(server, browser):
    from northstar import workshop as ws

    with Store(FOLDER["store"]) as store:
        code = ws.create_workshop(store, "Phones welcome", [
            ("Active users", "Distinct users with any event in the period."),
            ("Returning users", "Users active in the period who were first seen in an earlier period."),
            ("Time spent per active user", "Seconds of sessions per active user in the period.")],
            PIN, dataset="demo").code
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                device_scale_factor=2).new_page()
    phone.goto(f"{server}/Workshop?workshop={code}")
    expect(phone.get_by_text("No scores yet: the means appear")).to_be_visible(timeout=WAIT_MS)
    no_horizontal_overflow(phone)
    shot(phone, "phone-before-scores")
    phone.get_by_role("textbox", name="Your name").fill("Pat")
    phone.get_by_role("button", name="Join").click()
    expect(phone.get_by_text("Your scores", exact=True)).to_be_visible(timeout=WAIT_MS)
    score(phone, code, "pat", PAT)
    compact = phone.locator(".st-key-ws-compact")
    expect(compact).to_be_visible(timeout=WAIT_MS)
    expect(compact).to_contain_text("Influenceable 1.0")
    expect(phone.locator(".st-key-ws-heatmap")).to_be_hidden()
    expect(phone.get_by_role("button", name="Lock the decision")).to_have_count(0)
    no_horizontal_overflow(phone)
    no_exception(phone)
    shot(phone, "phone-scoring")
    compact.scroll_into_view_if_needed()  # Streamlit scrolls inside its page: bring the results in
    shot(phone, "phone-results")


def test_a_swedish_workshop_link_opens_in_swedish(server, browser):
    """A browser in English opens a Swedish workshop's join link: the page, the criteria and
    Northstar's own candidate names are Swedish."""
    from northstar import workshop as ws

    with Store(FOLDER["store"]) as store:
        workshop = ws.create_workshop(store, "Svensk workshop", [
            ("Active users", "Alla användare med någon händelse under perioden."),
            ("Returning users", "Aktiva användare som sågs första gången en tidigare period.")],
            PIN, dataset="demo", lang="sv")
    page = new_page(browser)
    page.goto(f"{server}/Workshop?workshop={workshop.code}&lang=sv")
    name = page.get_by_role("textbox", name="Ditt namn")
    expect(name).to_be_visible(timeout=2 * WAIT_MS)  # the first page of a fresh server loads slowly
    name.fill("Kim")
    page.get_by_role("button", name="Gå med").click()
    expect(page.get_by_text("Dina poäng", exact=True)).to_be_visible(timeout=WAIT_MS)
    card = page.locator(f".st-key-score-{workshop.code}-kim-0-critical")
    expect(card).to_contain_text("Kritisk för framgång", timeout=WAIT_MS)
    for label in ("Mätbar", "Förståelig", "Påverkbar", "Långsiktig"):
        expect(page.locator("[data-testid='stWidgetLabel']").filter(has_text=label).first).to_be_visible()
    expect(page.get_by_text("Antal aktiva användare").first).to_be_visible()
    expect(page.get_by_text("Resultat i realtid", exact=True)).to_be_visible()
    expect(page.get_by_text("Your scores", exact=True)).to_have_count(0)
    expect(page.get_by_text("Critical", exact=True)).to_have_count(0)
    no_exception(page)
    shot(page, "workshop-swedish")
