"""Without a money column, the count of purchase-like events is the "Orders" outcome."""

from __future__ import annotations

from northstar.ingest.load import ingest_file
from northstar.metrics import compute
from northstar.metrics.candidates import default_candidates
from tests.conftest import fixture
from tests.test_cli import run


def test_orders_is_the_outcome_when_there_is_no_money(store):
    data = ingest_file(store, fixture("no_money.csv"))
    specs = {s.name: s for s in default_candidates(store, data)}
    assert "Revenue" not in specs and "Transactions" not in specs
    orders = specs["Orders"]
    assert (orders.kind, orders.role, orders.events) == ("transactions", "outcome", ("order_completed",))
    values = compute(store, data, [orders])
    weekly = {str(p)[:10]: v for p, v in zip(values["period"], values["value"], strict=True)}
    # Week of Mon 1 Jan: a on the 2nd, b on the 4th and 5th = 3; week of 8 Jan: c on the 9th = 1;
    # week of 15 Jan: a on the 16th = 1.
    assert weekly == {"2024-01-01": 3, "2024-01-08": 1, "2024-01-15": 1}
    assert any("Orders (count of 'order_completed') is the outcome" in str(n) for n in data.notes)
    assert not any("pick one to get Revenue" in str(n) for n in data.notes)


def test_no_purchase_like_event_is_not_guessed(store):
    data = ingest_file(store, fixture("no_money_no_sale.csv"))
    assert "Orders" not in {s.name for s in default_candidates(store, data)}
    assert any("no purchase-like event" in str(n) for n in data.notes)


def test_compare_runs_on_orders(tmp_path):
    # 20 weeks from Mon 1 Jan 2024: in week w, users 0..(w % 5 + 2) view a page and users
    # 0..(w % 3) complete an order.
    rows = ["user_id,timestamp,event"]
    for week in range(20):
        start = 1_704_067_200 + week * 604_800 + 3_600
        rows += [f"u{user},{start + user},page_view" for user in range(week % 5 + 3)]
        rows += [f"u{user},{start + 60 + user},order_completed" for user in range(week % 3 + 1)]
    path = tmp_path / "shop.csv"
    path.write_text("\n".join(rows) + "\n")
    db = tmp_path / "store"
    loaded = run("ingest", str(path), "--db", str(db))
    assert loaded.returncode == 0, loaded.stderr
    assert "Orders (count of 'order_completed') is the outcome" in loaded.stdout
    compared = run("compare", "--db", str(db), "--outcome", "Orders")
    assert compared.returncode == 0, compared.stderr
