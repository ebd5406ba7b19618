"""CEL conditions: the built-in thresholds, numbers across int and double, errors that are loud."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from hypothesis import given
from hypothesis import strategies as st

from godkend.domain.conditions import (
    MAX_EXPRESSION_LENGTH,
    ConditionError,
    check_condition,
    compile_condition,
)

ANNA = {"username": "anna", "org_unit": "digitalisering", "roles": ["employee"]}
FIELD_TYPES: dict[str, str | None] = {
    "amount": "amount",
    "purpose": "long_text",
    "from": "date",
    "to": "date",
    "access_level": "select",
    "tags": "multi_select",
    "urgent": "yes_no",
    "period": "date_range",
    "note": "text",
    "broken": None,
}


def holds(
    expression: str, fields: Mapping[str, object], requester: Mapping[str, object] = ANNA
) -> bool:
    return compile_condition(expression).evaluate(fields, requester)


@pytest.mark.parametrize(
    ("amount", "finance_decides"),
    [
        (500, False),
        (9999.99, False),
        (10000, False),
        (10000.0, False),
        (10000.01, True),
        (12000, True),
    ],
)
def test_udlaeg_finance_threshold(amount: float, finance_decides: bool) -> None:
    assert holds("fields.amount > 10000", {"amount": amount}) is finance_decides


@pytest.mark.parametrize(
    ("level", "security_decides"), [("admin", True), ("read", False), ("write", False)]
)
def test_it_adgang_admin_condition(level: str, security_decides: bool) -> None:
    assert holds("fields.access_level == 'admin'", {"access_level": level}) is security_decides


def test_numbers_compare_across_int_and_double() -> None:
    fields = {"amount": 10000}
    assert holds("fields.amount == 10000", fields)
    assert holds("fields.amount == 10000.0", fields)
    assert not holds("fields.amount != 10000", fields)
    assert holds("fields.amount in [5000, 10000]", fields)
    assert not holds("fields.amount in [5000, 20000]", fields)
    assert holds("fields.amount >= 10000 && fields.amount <= 10000.0", fields)
    assert holds("10000 == fields.amount", fields)


def test_dates_compare_as_iso_strings() -> None:
    assert holds("fields.to >= fields.from", {"from": "2026-07-01", "to": "2026-07-21"})
    assert not holds("fields.to >= fields.from", {"from": "2026-07-21", "to": "2026-07-01"})
    assert holds("fields.from >= '2026-07-01'", {"from": "2026-12-24"})
    assert holds(
        "fields.period.to > fields.period.from",
        {"period": {"from": "2026-01-01", "to": "2026-01-02"}},
    )


def test_requester_facts() -> None:
    assert holds("'employee' in requester.roles", {})
    assert holds("requester.roles.exists(r, r == 'employee')", {})
    assert holds("requester.org_unit == 'digitalisering' && requester.username == 'anna'", {})


def test_optional_fields_are_absent_and_has_guards_them() -> None:
    guarded = "has(fields.note) && fields.note == 'x'"
    assert not holds(guarded, {})
    assert holds(guarded, {"note": "x"})
    assert not holds("has(fields.note)", {"note": None})


def test_an_evaluation_error_is_an_error_not_false() -> None:
    with pytest.raises(ConditionError, match="could not be evaluated: no value for 'note'"):
        holds("fields.note == 'x'", {})
    with pytest.raises(ConditionError, match="types that cannot be combined"):
        holds("fields.purpose > 3", {"purpose": "travel"})


def test_a_result_that_is_not_a_bool_is_an_error() -> None:
    with pytest.raises(ConditionError, match=r"gave DoubleType\(12000.0\), not true or false"):
        holds("fields.amount", {"amount": 12000})


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("fields.amount >", "syntax error: unexpected end of the condition"),
        ("fields.amount > 10000 )", "syntax error: unexpected ')' at column 23"),
        ("fields.amount # 3", "syntax error: unexpected '#' at column 15"),
        ("fields.amount >\n  >> 3", "syntax error: unexpected '>' at line 2, column 3"),
        ("   ", "the condition is empty"),
        ("x" * (MAX_EXPRESSION_LENGTH + 1), "longer than 1000 characters"),
        ("(" * 200 + "true" + ")" * 200, "nested too deeply"),
    ],
)
def test_compile_errors_are_one_clear_line(expression: str, message: str) -> None:
    with pytest.raises(
        ConditionError, match=message.replace("(", r"\(").replace(")", r"\)")
    ) as caught:
        compile_condition(expression)
    assert "\n" not in caught.value.message


def test_python_is_never_evaluated() -> None:
    with pytest.raises(ConditionError):
        holds("__import__('os').system('true') == 0", {})


def test_references_are_collected() -> None:
    condition = compile_condition(
        "fields.amount > 1 && fields['to'] > '' && 'x' in requester.roles"
    )
    assert condition.fields_used == {"amount", "to"}
    assert condition.requester_used == {"roles"}


@pytest.mark.parametrize(
    ("expression", "problems"),
    [
        ("fields.amount > 10000", []),
        ("fields.access_level == 'admin' && 'it_security' in requester.roles", []),
        ("requester.roles.exists(r, r == 'hr') || fields.urgent", []),
        ("fields.broken == 3", []),
        ("fields.sum > 1", ["unknown field 'sum'"]),
        ("fields['sum'] > 1", ["unknown field 'sum'"]),
        ("requester.salary > 1", ["requester has no 'salary': use org_unit, roles or username"]),
        ("total > 1", ["unknown name 'total': use fields.<key> or requester.<attribute>"]),
        ("fields.purpose > 3", ["cannot compare fields.purpose (a string) with a number"]),
        ("fields.amount == '10000'", ["cannot compare fields.amount (a number) with a string"]),
        (
            "fields.from < fields.amount",
            ["cannot compare fields.from (a string) with fields.amount (a number)"],
        ),
        ("fields.urgent == 1", ["cannot compare fields.urgent (a bool) with a number"]),
        ("'x' in fields.purpose", ["'in' needs a list or a map on its right, not a string"]),
        ("fields.amount * 2", ["the condition gives a number, not true or false"]),
        ("fields.purpose + '!'", ["the condition gives a string, not true or false"]),
        ("(fields.amount + 1) > 'a'", ["cannot compare a number with a string"]),
    ],
)
def test_check_condition(expression: str, problems: list[str]) -> None:
    assert check_condition(compile_condition(expression), FIELD_TYPES) == problems


def test_check_condition_without_requester() -> None:
    condition = compile_condition("'hr' in requester.roles")
    assert check_condition(condition, FIELD_TYPES, allow_requester=False) == [
        "requester is not available here; use only fields"
    ]


def test_check_condition_wants_optional_fields_guarded() -> None:
    optional = frozenset({"note"})
    bare = compile_condition("fields.note == 'x'")
    guarded = compile_condition("has(fields.note) && fields.note == 'x'")
    assert check_condition(bare, FIELD_TYPES, optional_fields=optional) == [
        "fields.note is optional: guard it with has(fields.note)"
    ]
    assert check_condition(guarded, FIELD_TYPES, optional_fields=optional) == []


numbers = st.one_of(
    st.integers(-(10**12), 10**12),
    st.floats(-1e12, 1e12, allow_nan=False).map(lambda x: round(x, 2)),
)


@given(value=numbers, literal=numbers, operator=st.sampled_from(["<", "<=", ">", ">=", "==", "!="]))
def test_number_comparisons_match_arithmetic(value: float, literal: float, operator: str) -> None:
    """Whatever int/double mix a form value and a literal are, CEL compares like arithmetic."""
    text = repr(float(literal)) if isinstance(literal, float) else str(literal)
    expected = {
        "<": value < literal,
        "<=": value <= literal,
        ">": value > literal,
        ">=": value >= literal,
        "==": value == literal,
        "!=": value != literal,
    }[operator]
    assert holds(f"fields.amount {operator} {text}", {"amount": value}) is expected
