"""Form values: each rule accepts what it should and names the field it refuses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from godkend.domain.errors import InvalidInputs
from godkend.domain.forms import validate_fields
from godkend.domain.workflow import (
    Approvers,
    FormField,
    FormRule,
    Option,
    Step,
    Text,
    WorkflowDefinition,
)


def text(value: str) -> Text:
    return Text(da=value, en=value)


def form_field(key: str, kind: str, **extra: object) -> FormField:
    return FormField.model_validate(
        {"key": key, "type": kind, "label": {"da": key, "en": key}} | extra
    )


MANAGER_STEP = Step(
    key="manager", name=Text(da="Leder", en="Manager"), approvers=Approvers(manager=1)
)
OPTIONS = (Option(value="read", label=text("read")), Option(value="admin", label=text("admin")))

DEFINITION = WorkflowDefinition(
    key="all",
    title=text("All types"),
    description=text("Every field type"),
    fields=(
        form_field("title", "text", max_length=20, pattern=r"[A-Z].*"),
        form_field("note", "long_text", required=False),
        form_field("count", "number", required=False, min=1, max=10),
        form_field("amount", "amount", required=False, max=10000),
        form_field("day", "date", required=False),
        form_field("period", "date_range", required=False),
        form_field("level", "select", required=False, options=OPTIONS),
        form_field("levels", "multi_select", required=False, options=OPTIONS),
        form_field("colleague", "user", required=False),
        form_field("unit", "org_unit", required=False),
        form_field("urgent", "yes_no", required=False),
    ),
    steps=(MANAGER_STEP,),
)

LEAVE = WorkflowDefinition(
    key="ferie",
    title=text("Leave"),
    description=text("Leave"),
    fields=(
        form_field("from", "date"),
        form_field("to", "date"),
        form_field("note", "text", required=False),
    ),
    rules=(
        FormRule(
            require="fields.to >= fields.from",
            field="to",
            message=Text(da="Sidste dag skal være efter første", en="must be on or after from"),
        ),
    ),
    steps=(MANAGER_STEP,),
)


def errors(
    values: Mapping[str, object], definition: WorkflowDefinition = DEFINITION
) -> dict[str, str]:
    with pytest.raises(InvalidInputs) as caught:
        validate_fields(definition, values)
    return {e.field: e.message for e in caught.value.errors}


def valid(extra: Mapping[str, object]) -> dict[str, object]:
    return validate_fields(DEFINITION, {"title": "Hello"} | dict(extra))


def test_minimal_values_normalize() -> None:
    assert validate_fields(DEFINITION, {"title": "  Hello "}) == {"title": "Hello"}


def test_unknown_field() -> None:
    assert errors({"title": "Hello", "colour": "red"}) == {"fields.colour": "unknown field"}


def test_missing_required() -> None:
    assert errors({}) == {"fields.title": "is required"}
    assert errors({"title": "   "}) == {"fields.title": "is required"}
    assert errors({"title": None}) == {"fields.title": "is required"}


def test_optional_blank_values_are_left_out() -> None:
    assert valid({"note": "", "levels": [], "count": None, "period": {}}) == {"title": "Hello"}


def test_text_rules() -> None:
    assert errors({"title": 5}) == {"fields.title": "must be text"}
    assert errors({"title": "H" * 21}) == {"fields.title": "must be at most 20 characters"}
    assert valid({"title": "H" * 20})["title"] == "H" * 20
    assert errors({"title": "hello"}) == {"fields.title": "must match the pattern '[A-Z].*'"}
    assert errors({"title": "Two\nlines"}) == {"fields.title": "must be a single line"}
    assert errors({"title": "Bell\x07"}) == {"fields.title": "must not contain control characters"}


def test_long_text_keeps_lines_and_has_a_default_limit() -> None:
    assert valid({"note": "a\r\nb"})["note"] == "a\nb"
    assert errors({"title": "Hi", "note": "x" * 10_001}) == {
        "fields.note": "must be at most 10000 characters"
    }


def test_number_rules() -> None:
    assert valid({"count": 10})["count"] == 10
    assert valid({"count": "2.5"})["count"] == 2.5
    assert valid({"count": 3.0})["count"] == 3
    assert errors({"title": "Hi", "count": 0}) == {"fields.count": "must be at least 1"}
    assert errors({"title": "Hi", "count": 10.5}) == {"fields.count": "must be at most 10"}
    assert errors({"title": "Hi", "count": True}) == {"fields.count": "must be a number"}
    assert errors({"title": "Hi", "count": "ten"}) == {"fields.count": "must be a number"}
    assert errors({"title": "Hi", "count": float("nan")}) == {
        "fields.count": "must be a finite number"
    }


def test_amount_rules() -> None:
    assert valid({"amount": 10000})["amount"] == 10000
    assert valid({"amount": 1234.5})["amount"] == 1234.5
    assert valid({"amount": "0.10"})["amount"] == 0.1
    assert errors({"title": "Hi", "amount": 10000.01}) == {"fields.amount": "must be at most 10000"}
    assert errors({"title": "Hi", "amount": 12.345}) == {
        "fields.amount": "must have at most 2 decimals"
    }
    assert errors({"title": "Hi", "amount": 1e16}) == {
        "fields.amount": "must be at most 1000000000000000 in size"
    }


def test_date_rules() -> None:
    assert valid({"day": "2026-02-28"})["day"] == "2026-02-28"
    assert valid({"day": dt.date(2026, 2, 28)})["day"] == "2026-02-28"
    for bad in (
        "2026-02-30",
        "28-02-2026",
        "28.02.2026",
        "20260228",
        "2026-02-28T10:00:00",
        20260228,
    ):
        assert errors({"title": "Hi", "day": bad}) == {"fields.day": "must be a date as YYYY-MM-DD"}


def test_date_range_rules() -> None:
    period = {"from": "2026-07-01", "to": "2026-07-01"}
    assert valid({"period": period})["period"] == period
    assert errors({"title": "Hi", "period": {"from": "2026-07-02", "to": "2026-07-01"}}) == {
        "fields.period.to": "must be on or after from"
    }
    assert errors({"title": "Hi", "period": {"from": "2026-07-02", "to": "tomorrow"}}) == {
        "fields.period.to": "must be a date as YYYY-MM-DD"
    }
    assert errors({"title": "Hi", "period": {"from": "2026-07-02"}}) == {
        "fields.period": 'must be {"from": date, "to": date}'
    }


def test_select_rules() -> None:
    assert valid({"level": "admin"})["level"] == "admin"
    assert errors({"title": "Hi", "level": "root"}) == {
        "fields.level": "must be one of: read, admin"
    }


def test_multi_select_rules() -> None:
    assert valid({"levels": ["admin", "read"]})["levels"] == ["admin", "read"]
    assert errors({"title": "Hi", "levels": "admin"}) == {
        "fields.levels": "must be a list of options"
    }
    assert errors({"title": "Hi", "levels": ["root"]}) == {
        "fields.levels": "each must be one of: read, admin"
    }
    assert errors({"title": "Hi", "levels": ["read", "read"]}) == {
        "fields.levels": "must not repeat 'read'"
    }


def test_user_org_unit_and_yes_no() -> None:
    assert valid({"colleague": " bo ", "unit": "it-drift", "urgent": False}) == {
        "title": "Hello",
        "colleague": "bo",
        "unit": "it-drift",
        "urgent": False,
    }
    assert errors({"title": "Hi", "colleague": "b o", "unit": 7, "urgent": "yes"}) == {
        "fields.colleague": "must be a username",
        "fields.unit": "must be an org unit key",
        "fields.urgent": "must be true or false",
    }


def test_every_bad_field_is_listed() -> None:
    found = errors({"colour": 1, "count": 0, "amount": "x", "day": "tomorrow"})
    assert found == {
        "fields.colour": "unknown field",
        "fields.title": "is required",
        "fields.count": "must be at least 1",
        "fields.amount": "must be a number",
        "fields.day": "must be a date as YYYY-MM-DD",
    }


def test_values_must_be_a_mapping() -> None:
    assert errors(["title"]) == {"fields": "must be an object"}  # type: ignore[arg-type]


def test_leave_rule_both_ways() -> None:
    same_day = {"from": "2026-07-01", "to": "2026-07-01"}
    assert validate_fields(LEAVE, same_day) == same_day
    with pytest.raises(InvalidInputs) as caught:
        validate_fields(LEAVE, {"from": "2026-07-02", "to": "2026-07-01"})
    (error,) = caught.value.errors
    assert (error.field, error.message) == ("fields.to", "must be on or after from")
    assert error.data["message_da"] == "Sidste dag skal være efter første"


def test_a_rule_over_a_bad_field_stays_quiet() -> None:
    assert errors({"from": "2026-07-02", "to": "someday"}, LEAVE) == {
        "fields.to": "must be a date as YYYY-MM-DD"
    }


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
plausible = {
    "title": st.text(max_size=25),
    "count": st.integers(-5, 15) | st.floats(-5, 15),
    "amount": st.decimals(-100, 20000, places=3).map(str) | st.floats(0, 20000),
    "day": st.dates().map(dt.date.isoformat) | st.text(max_size=12),
    "period": st.fixed_dictionaries({"from": st.dates().map(str), "to": st.dates().map(str)}),
    "level": st.sampled_from(["read", "admin", "root"]),
    "levels": st.lists(st.sampled_from(["read", "admin", "root"]), max_size=3),
    "urgent": st.booleans(),
}
keys = st.sampled_from([f.key for f in DEFINITION.fields] + ["extra"])
random_values = st.dictionaries(keys, json_values, max_size=8) | st.fixed_dictionaries(
    {}, optional={k: s | json_values for k, s in plausible.items()}
)


@settings(max_examples=300, deadline=None)
@given(random_values)
def test_random_values_normalize_or_are_refused(values: dict[str, object]) -> None:
    """Never a crash; a normalized result validates again to itself."""
    try:
        normalized = validate_fields(DEFINITION, values)
    except InvalidInputs as exc:
        refused = [e.field for e in exc.errors]
        assert refused
        assert all(name == "fields" or name.startswith("fields.") for name in refused)
        return
    assert validate_fields(DEFINITION, normalized) == normalized


@settings(max_examples=200, deadline=None)
@given(st.dates(), st.dates())
def test_leave_dates_in_any_order(start: dt.date, end: dt.date) -> None:
    values = {"from": start.isoformat(), "to": end.isoformat()}
    if end >= start:
        assert validate_fields(LEAVE, values) == values
    else:
        assert errors(values, LEAVE) == {"fields.to": "must be on or after from"}
