"""Column-role detection from export names, overrides, and the errors for missing/ambiguous roles."""

import pytest

from northstar.errors import NorthstarError
from northstar.ingest.roles import parse_overrides, resolve_mapping, role_name

EXPORTS = {
    "mixpanel": (["distinct_id", "time", "event", "$city", "mp_country_code"],
                 {"user_id": "distinct_id", "timestamp": "time", "event": "event", "amount": None}),
    "amplitude": (["user_id", "device_id", "event_time", "event_type", "revenue"],
                  {"user_id": "user_id", "timestamp": "event_time", "event": "event_type",
                   "amount": "revenue"}),
    "ga4": (["event_date", "event_timestamp", "event_name", "user_pseudo_id", "engagement_time_msec"],
            {"user_id": "user_pseudo_id", "timestamp": "event_timestamp", "event": "event_name",
             "duration": '"engagement_time_msec" / 1000'}),
    "segment": (["messageId", "userId", "anonymousId", "timestamp", "type", "event"],
                {"user_id": "userId", "timestamp": "timestamp", "event": "event"}),
    "stripe": (["id", "object", "customer", "created", "amount", "currency"],
               {"user_id": "customer", "timestamp": "created", "event": None,
                "amount": '"amount" / 100'}),
    "online_retail": (["InvoiceNo", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"],
                      {"user_id": "CustomerID", "timestamp": "InvoiceDate", "event": None,
                       "amount": '"Quantity" * "UnitPrice"'}),
    "generic": (["Customer ID", "Order Date", "Action", "Total", "NPS"],
                {"user_id": "Customer ID", "timestamp": "Order Date", "event": "Action",
                 "amount": "Total", "nps_score": "NPS"}),
}


@pytest.mark.parametrize("export", EXPORTS)
def test_detects_roles_of_common_exports(export):
    columns, expected = EXPORTS[export]
    mapping = resolve_mapping(columns)
    for role, source in expected.items():
        assert mapping.source(role) == source, role


def test_overrides_win_and_empty_means_not_in_file():
    mapping = resolve_mapping(["user_id", "time", "created_at", "event", "amount"],
                              {"timestamp": "created_at", "amount": ""})
    assert mapping.source("timestamp") == "created_at"
    assert mapping.source("amount") is None


def test_override_matches_column_case_insensitively():
    assert resolve_mapping(["User", "When"], {"user_id": "user", "ts": "when"}).source(
        "timestamp") == "When"


def test_ambiguous_required_role_names_the_candidates():
    with pytest.raises(NorthstarError) as err:
        resolve_mapping(["customer_name", "start_date", "end_date"])
    assert err.value.title == "Ambiguous timestamp column"
    assert "'start_date', 'end_date'" in err.value.detail
    assert "--map timestamp=COLUMN" in err.value.detail


def test_missing_required_role_lists_columns():
    with pytest.raises(NorthstarError) as err:
        resolve_mapping(["page", "timestamp", "event"])
    assert err.value.title == "No user_id column"
    assert "page, timestamp, event" in err.value.detail


def test_lenient_mapping_leaves_unknowns_empty_for_the_form():
    mapping = resolve_mapping(["customer_name", "start_date", "end_date"], strict=False)
    assert mapping.source("timestamp") is None
    assert mapping.source("user_id") == "customer_name"


def test_parse_overrides():
    assert parse_overrides(["ts=created", "amount=Quantity * UnitPrice", "nps="]) == {
        "timestamp": "created", "amount": "Quantity * UnitPrice", "nps_score": ""}
    with pytest.raises(NorthstarError, match="role=COLUMN"):
        parse_overrides(["created"])
    with pytest.raises(NorthstarError, match="not a column role"):
        role_name("colour")
