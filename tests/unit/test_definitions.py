"""Loading workflow definitions: every problem reported, each as `file:line: path: message`."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from godkend.domain.definitions import definition_digest, format_path, load_definition
from godkend.domain.errors import InvalidDefinition
from godkend.domain.workflow import WorkflowDefinition

ROLES = frozenset({"employee", "manager", "auditor", "admin", "finance", "hr", "it_security"})

# Line numbers below are the ones the assertions name.
BASE = """\
key: demo
title: {da: Demo, en: Demo}
description: {da: Demo, en: Demo}
visible_to_roles: [hr]
fields:
  - key: amount
    type: amount
    label: {da: Beløb, en: Amount}
  - key: kind
    type: select
    label: {da: Art, en: Kind}
    options:
      - {value: a, label: {da: A, en: A}}
steps:
  - key: manager
    name: {da: Leder, en: Manager}
    approvers: {manager: 1}
  - key: finance
    name: {da: Økonomi, en: Finance}
    approvers: {role: finance}
    when: fields.amount > 10000
"""


def load(text: str) -> WorkflowDefinition:
    return load_definition(text, source="demo.yaml", known_roles=ROLES)


def problems(text: str, **kwargs: frozenset[str]) -> list[str]:
    with pytest.raises(InvalidDefinition) as caught:
        load_definition(text, source="demo.yaml", **({"known_roles": ROLES} | kwargs))
    assert caught.value.data["source"] == "demo.yaml"
    return caught.value.problems


def edit(old: str, new: str, text: str = BASE) -> str:
    assert text.count(old) >= 1, old
    return text.replace(old, new, 1)


def test_a_valid_definition_loads() -> None:
    definition = load(BASE)
    assert definition.key == "demo"
    assert [s.key for s in definition.steps] == ["manager", "finance"]
    assert definition.steps[1].when == "fields.amount > 10000"


def test_yaml_syntax_error_names_its_line() -> None:
    text = edit("approvers: {manager: 1}", "approvers: {manager: 1")
    assert problems(text) == ["demo.yaml:18: invalid YAML: expected ',' or '}', but got ':'"]


def test_unknown_key() -> None:
    text = edit("    approvers: {manager: 1}\n", "    approvers: {manager: 1}\n    colour: red\n")
    assert problems(text) == ["demo.yaml:18: steps[0].colour: unknown key"]


def test_missing_top_level_key() -> None:
    assert problems(edit("title: {da: Demo, en: Demo}\n", "")) == [
        "demo.yaml:1: title: is required"
    ]


def test_missing_key_in_a_list_item_names_the_item_line() -> None:
    text = edit("    name: {da: Økonomi, en: Finance}\n", "")
    assert problems(text) == ["demo.yaml:18: steps[1].name: is required"]


def test_duplicate_yaml_key() -> None:
    text = edit("    type: amount\n", "    type: amount\n    type: number\n")
    assert problems(text) == ["demo.yaml:8: fields[0].type: duplicate key 'type' (first on line 7)"]


def test_unknown_role() -> None:
    text = edit("approvers: {role: finance}", "approvers: {role: chef}")
    assert problems(text) == ["demo.yaml:20: steps[1].approvers.role: unknown role 'chef'"]


def test_unknown_role_in_visible_to_roles() -> None:
    text = edit("visible_to_roles: [hr]", "visible_to_roles: [hr, boss]")
    assert problems(text) == ["demo.yaml:4: visible_to_roles[1]: unknown role 'boss'"]


def test_roles_are_not_checked_without_known_roles() -> None:
    text = edit("approvers: {role: finance}", "approvers: {role: chef}")
    assert load_definition(text, source="demo.yaml").steps[1].approvers.role == "chef"


def test_unknown_org_unit_when_org_units_are_known() -> None:
    text = edit("{role: finance}", "{role: finance, org_unit: nowhere}")
    assert problems(text, known_org_units=frozenset({"oekonomi"})) == [
        "demo.yaml:20: steps[1].approvers.org_unit: unknown org unit 'nowhere'"
    ]


def test_bad_cel() -> None:
    text = edit("when: fields.amount > 10000", "when: fields.amount >")
    assert problems(text) == [
        "demo.yaml:21: steps[1].when: invalid CEL: syntax error: unexpected end of the condition"
    ]


def test_cel_referencing_an_unknown_field() -> None:
    text = edit("when: fields.amount > 10000", "when: fields.sum > 10000")
    assert problems(text) == ["demo.yaml:21: steps[1].when: unknown field 'sum'"]


def test_cel_referencing_an_unknown_requester_attribute_or_name() -> None:
    text = edit("when: fields.amount > 10000", "when: requester.salary > 1 || budget > 2")
    assert problems(text) == [
        "demo.yaml:21: steps[1].when: unknown name 'budget': use fields.<key> or "
        "requester.<attribute>",
        "demo.yaml:21: steps[1].when: requester has no 'salary': use org_unit, roles or username",
    ]


def test_cel_comparing_a_text_field_with_a_number() -> None:
    text = edit("when: fields.amount > 10000", "when: fields.kind > 3")
    assert problems(text) == [
        "demo.yaml:21: steps[1].when: cannot compare fields.kind (a string) with a number"
    ]


def test_cel_that_is_not_a_condition() -> None:
    text = edit("when: fields.amount > 10000", "when: fields.amount + 1")
    assert problems(text) == [
        "demo.yaml:21: steps[1].when: the condition gives a number, not true or false"
    ]


def test_cel_may_use_the_requester_in_steps() -> None:
    text = edit(
        "when: fields.amount > 10000",
        "when: fields.amount > 10000 && !('finance' in requester.roles)",
    )
    assert load(text).steps[1].when is not None


def test_k_without_k_of_n() -> None:
    text = edit("    approvers: {manager: 1}\n", "    approvers: {manager: 1}\n    k: 2\n")
    assert problems(text) == [
        "demo.yaml:15: steps[0]: k is required with mode k_of_n, and only then"
    ]


def test_k_above_one_needs_a_role() -> None:
    text = edit(
        "    approvers: {manager: 1}\n", "    approvers: {manager: 1}\n    mode: k_of_n\n    k: 2\n"
    )
    assert problems(text) == [
        "demo.yaml:19: steps[0].k: must be 1: a manager or user step has one approver"
    ]


def test_duplicate_step_keys() -> None:
    text = edit("  - key: finance", "  - key: manager")
    assert problems(text) == [
        "demo.yaml:18: steps[1].key: duplicate step key 'manager' (also steps[0])"
    ]


def test_duplicate_field_keys() -> None:
    text = edit("  - key: kind", "  - key: amount")
    assert problems(text) == [
        "demo.yaml:9: fields[1].key: duplicate field key 'amount' (also fields[0])"
    ]


def test_select_without_options() -> None:
    text = edit("    options:\n      - {value: a, label: {da: A, en: A}}\n", "")
    assert problems(text) == ["demo.yaml:9: fields[1]: a select field needs options"]


def test_wrong_value_types_say_what_is_expected() -> None:
    text = edit("type: amount", "type: money")
    text = edit("approvers: {manager: 1}", "approvers: {manager: 0}", text)
    text = edit("  - key: finance\n", "  - just text\n  - key: finance\n", text)
    assert problems(text) == [
        "demo.yaml:7: fields[0].type: must be 'text', 'long_text', 'number', 'amount', 'date', "
        "'date_range', 'select', 'multi_select', 'user', 'org_unit' or 'yes_no'",
        "demo.yaml:17: steps[0].approvers.manager: must be greater than or equal to 1",
        "demo.yaml:18: steps[1]: must be a mapping (key: value lines)",
    ]


def test_field_limits_must_fit_the_field_type() -> None:
    text = edit(
        "    label: {da: Art, en: Kind}\n",
        "    label: {da: Art, en: Kind}\n    min: 1\n    pattern: '[a-'\n",
    )
    text = edit("    type: amount\n", "    type: amount\n    min: 10\n    max: 5\n", text)
    assert problems(text) == [
        "demo.yaml:9: fields[0].max: must be at least min (10)",
        "demo.yaml:14: fields[1].min: min applies only to number and amount",
        "demo.yaml:15: fields[1].pattern: pattern applies only to text and long_text",
        "demo.yaml:15: fields[1].pattern: invalid regular expression: "
        "unterminated character set at position 0",
    ]


def test_optional_fields_in_step_conditions_must_be_guarded() -> None:
    text = edit("    type: amount\n", "    type: amount\n    required: false\n")
    assert problems(text) == [
        "demo.yaml:22: steps[1].when: fields.amount is optional: guard it with has(fields.amount)"
    ]
    guarded = edit("fields.amount > 10000", "has(fields.amount) && fields.amount > 10000", text)
    assert load(guarded).fields[0].required is False


def test_every_step_conditional_is_an_error() -> None:
    text = edit("    approvers: {manager: 1}\n", "    approvers: {manager: 1}\n    when: 1 < 2\n")
    assert problems(text) == [
        "demo.yaml:14: steps: at least one step must have no 'when', so every request is decided"
    ]


RULES = """\
rules:
  - require: fields.amount <= 50000
    field: amount
    message: {da: For stort, en: Too large}
"""


def test_form_rules_load_and_are_checked() -> None:
    assert load(edit("steps:\n", RULES + "steps:\n")).rules[0].field == "amount"
    bad = RULES.replace("fields.amount <= 50000", "requester.roles == fields.nope")
    bad = bad.replace("field: amount", "field: total")
    assert problems(edit("steps:\n", bad + "steps:\n")) == [
        "demo.yaml:15: rules[0].require: requester is not available here; use only fields",
        "demo.yaml:15: rules[0].require: unknown field 'nope'",
        "demo.yaml:16: rules[0].field: unknown field 'total'",
    ]


def test_several_problems_are_all_reported_in_line_order() -> None:
    text = edit("visible_to_roles: [hr]", "visible_to_roles: [hr, boss]")
    text = edit("    type: amount\n", "    type: amount\n    type: number\n", text)
    text = edit("    options:\n      - {value: a, label: {da: A, en: A}}\n", "", text)
    text = edit("approvers: {role: finance}", "approvers: {role: chef}", text)
    text = edit("when: fields.amount > 10000", "when: fields.sum > 10000", text)
    text = edit("  - key: finance", "  - key: manager", text)
    text += "colour: red\n"
    assert problems(text) == [
        "demo.yaml:4: visible_to_roles[1]: unknown role 'boss'",
        "demo.yaml:8: fields[0].type: duplicate key 'type' (first on line 7)",
        "demo.yaml:10: fields[1]: a select field needs options",
        "demo.yaml:17: steps[1].key: duplicate step key 'manager' (also steps[0])",
        "demo.yaml:19: steps[1].approvers.role: unknown role 'chef'",
        "demo.yaml:20: steps[1].when: unknown field 'sum'",
        "demo.yaml:21: colour: unknown key",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "demo.yaml:1: the file is empty"),
        ("- just\n- a list\n", "demo.yaml:1: the file must hold a mapping (key: value lines)"),
        ("a: 1\n---\nb: 2\n", "demo.yaml:2: invalid YAML: but found another document"),
    ],
)
def test_documents_that_are_not_definitions(text: str, expected: str) -> None:
    assert problems(text) == [expected]


def test_python_tags_are_refused() -> None:
    text = edit("key: demo", "key: !!python/object/apply:os.system ['true']")
    text = edit("title: {da: Demo, en: Demo}", "title: !!python/name:os.system ''", text)
    assert problems(text) == [
        "demo.yaml:1: key: invalid value: the tag "
        "'tag:yaml.org,2002:python/object/apply:os.system' is not allowed",
        "demo.yaml:2: title: invalid value: could not determine a constructor for the tag "
        "'tag:yaml.org,2002:python/name:os.system'",
    ]


def test_unprintable_characters_name_their_line() -> None:
    assert problems("key: demo\ntitle: \x1f\n") == [
        "demo.yaml:2: invalid YAML: special characters are not allowed (#x001f)"
    ]


def test_alias_bombs_are_bounded() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    assert problems("\n".join(lines)) == ["demo.yaml:1: the file is too large or nested too deeply"]


def test_deep_nesting_is_bounded() -> None:
    assert problems("a: " + "[" * 3000 + "]" * 3000) == [
        "demo.yaml:1: the file is too large or nested too deeply"
    ]


def test_format_path() -> None:
    assert format_path(("steps", 0, "approvers", "role")) == "steps[0].approvers.role"
    assert format_path(("visible_to_roles", 2)) == "visible_to_roles[2]"
    assert format_path(()) == ""


def test_digest_ignores_formatting_and_defaults_but_not_content() -> None:
    reformatted = edit("    approvers: {manager: 1}\n", "    approvers:\n      manager: 1\n")
    reformatted = edit(
        "  - key: manager\n", "  # the nearest manager\n  - key: manager\n", reformatted
    )
    explicit_default = edit("    type: amount\n", "    type: amount\n    required: true\n")
    changed = edit("fields.amount > 10000", "fields.amount > 20000")
    digest = definition_digest(load(BASE))
    assert len(digest) == 64
    assert definition_digest(load(reformatted)) == digest
    assert definition_digest(load(explicit_default)) == digest
    assert definition_digest(load(changed)) != digest


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_damaged_definitions_fail_cleanly(data: st.DataObject) -> None:
    """Deleting or garbling any lines gives a definition or InvalidDefinition, nothing else."""
    lines = BASE.splitlines(keepends=True)
    for _ in range(data.draw(st.integers(1, 3))):
        index = data.draw(st.integers(0, len(lines) - 1))
        replacement = data.draw(st.sampled_from(["", "  x: [\n", "- 1\n", "    k: 0\n", "\t\n"]))
        lines[index] = replacement
    found: list[str] = []
    try:
        load("".join(lines))
    except InvalidDefinition as exc:
        found = exc.problems or ["(no problem named)"]
    assert all(p.startswith("demo.yaml:") for p in found)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_fails_cleanly(text: str) -> None:
    with pytest.raises(InvalidDefinition):
        load(text)
