"""The definition keys for groups, k-of-N, deadlines, reminders, escalation and working days:
each kind of mistake is rejected with its file, line, path and a message that says what to do."""

from __future__ import annotations

import pytest

from godkend.domain.definitions import load_definition
from godkend.domain.errors import InvalidDefinition
from godkend.domain.workflow import WorkflowDefinition

ROLES = frozenset({"employee", "manager", "finance", "hr", "director"})
UNITS = frozenset({"styrelsen", "oekonomi"})
GROUPS = frozenset({"stillingsudvalg"})

# Line numbers below are the ones the assertions name.
BASE = """\
key: demo
title: {da: Demo, en: Demo}
description: {da: Demo, en: Demo}
visible_to_roles: [hr]
working_days: true
fields:
  - key: amount
    type: amount
    label: {da: Beløb, en: Amount}
steps:
  - key: manager
    name: {da: Leder, en: Manager}
    approvers: {manager: 1}
    deadline: P3D
    reminders: [P1D, P2D]
    escalation: {next_manager: true}
  - key: finance
    name: {da: Økonomi, en: Finance}
    approvers: {role: finance, org_unit: oekonomi}
    when: fields.amount > 10000
    deadline: P5D
    escalation:
      to: {role: manager, org_unit: oekonomi}
"""


def load(text: str, **known: frozenset[str] | None) -> WorkflowDefinition:
    kwargs = {"known_roles": ROLES, "known_org_units": UNITS, "known_groups": GROUPS} | known
    return load_definition(text, source="demo.yaml", **kwargs)


def problems(text: str, **known: frozenset[str] | None) -> list[str]:
    with pytest.raises(InvalidDefinition) as caught:
        load(text, **known)
    return caught.value.problems


def edit(old: str, new: str, text: str = BASE) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def test_the_base_loads_with_its_deadlines() -> None:
    definition = load(BASE)
    assert definition.working_days
    manager, finance = definition.steps
    assert (manager.deadline, manager.reminders) == ("P3D", ("P1D", "P2D"))
    assert manager.escalation is not None
    assert manager.escalation.next_manager
    assert finance.escalation is not None
    assert finance.escalation.to is not None
    assert finance.escalation.to.org_unit == "oekonomi"


# -- approvers: groups and k of N -------------------------------------------------------------


def test_a_known_group_may_decide_k_of_n() -> None:
    text = edit(
        "    approvers: {role: finance, org_unit: oekonomi}\n",
        "    approvers: {group: stillingsudvalg}\n    mode: k_of_n\n    k: 2\n",
    )
    step = load(text).steps[1]
    assert (step.approvers.group, step.mode, step.k) == ("stillingsudvalg", "k_of_n", 2)


def test_an_unknown_group() -> None:
    text = edit("{role: finance, org_unit: oekonomi}", "{group: udvalg}")
    assert problems(text) == ["demo.yaml:19: steps[1].approvers.group: unknown group 'udvalg'"]


def test_groups_are_not_checked_without_known_groups() -> None:
    text = edit("{role: finance, org_unit: oekonomi}", "{group: udvalg}")
    assert load(text, known_groups=None).steps[1].approvers.group == "udvalg"


def test_two_kinds_of_approvers() -> None:
    text = edit("{role: finance, org_unit: oekonomi}", "{role: finance, group: stillingsudvalg}")
    assert problems(text) == [
        "demo.yaml:19: steps[1].approvers: give exactly one of role, manager, user, group"
    ]


def test_org_unit_without_a_role() -> None:
    text = edit("approvers: {manager: 1}", "approvers: {manager: 1, org_unit: oekonomi}")
    assert problems(text) == ["demo.yaml:13: steps[0].approvers: org_unit goes with role"]


def test_k_above_one_for_a_single_user() -> None:
    text = edit(
        "    approvers: {manager: 1}\n", "    approvers: {user: carl}\n    mode: k_of_n\n    k: 2\n"
    )
    assert problems(text, known_groups=GROUPS) == [
        "demo.yaml:15: steps[0].k: must be 1: a manager or user step has one approver",
        "demo.yaml:18: steps[0].escalation.next_manager: applies only to a step decided by a "
        "manager; name the approvers with 'to'",
    ]


def test_a_mode_that_does_not_exist() -> None:
    text = edit("    approvers: {manager: 1}\n", "    approvers: {manager: 1}\n    mode: most\n")
    assert problems(text) == ["demo.yaml:14: steps[0].mode: must be 'any', 'all' or 'k_of_n'"]


# -- deadlines and reminders ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("deadline", "message"),
    [
        ("P1M", "'P1M' is not an ISO-8601 duration in days, hours and minutes (e.g. P3D, PT4H)"),
        (
            "3 days",
            "'3 days' is not an ISO-8601 duration in days, hours and minutes (e.g. P3D, PT4H)",
        ),
        ("P1DT", "'P1DT' is not an ISO-8601 duration in days, hours and minutes (e.g. P3D, PT4H)"),
        ("P0D", "'P0D' is zero: a deadline or reminder must be later than the start"),
        ("P400D", "'P400D' is longer than 366 days"),
    ],
)
def test_a_deadline_that_is_not_a_duration(deadline: str, message: str) -> None:
    text = edit("    deadline: P5D\n", f"    deadline: {deadline}\n")
    assert problems(text) == [f"demo.yaml:21: steps[1].deadline: {message}"]


def test_a_reminder_that_is_not_a_duration() -> None:
    text = edit("reminders: [P1D, P2D]", "reminders: [P1D, 2 days]")
    assert problems(text) == [
        "demo.yaml:15: steps[0].reminders[1]: '2 days' is not an ISO-8601 duration in days, "
        "hours and minutes (e.g. P3D, PT4H)"
    ]


def test_reminders_must_come_before_the_deadline() -> None:
    text = edit("reminders: [P1D, P2D]", "reminders: [P1D, P3D]")
    assert problems(text) == [
        "demo.yaml:15: steps[0].reminders[1]: must be shorter than the deadline (P3D)"
    ]


def test_reminders_must_be_in_order() -> None:
    text = edit("reminders: [P1D, P2D]", "reminders: [P2D, PT36H]")
    assert problems(text) == [
        "demo.yaml:15: steps[0].reminders[1]: must be later than the reminder before (P2D)"
    ]


def test_reminders_and_escalation_need_a_deadline() -> None:
    text = edit("    deadline: P3D\n", "")
    assert problems(text) == ["demo.yaml:11: steps[0]: reminders and escalation need a deadline"]


def test_working_days_is_true_or_false() -> None:
    text = edit("working_days: true", "working_days: sometimes")
    assert problems(text) == ["demo.yaml:5: working_days: must be true or false"]


# -- escalation -------------------------------------------------------------------------------


def test_escalation_names_exactly_one_target() -> None:
    both = edit(
        "escalation: {next_manager: true}", "escalation: {next_manager: true, to: {role: hr}}"
    )
    neither = edit("escalation: {next_manager: true}", "escalation: {}")
    expected = ["demo.yaml:16: steps[0].escalation: give exactly one of to, next_manager"]
    assert problems(both) == expected
    assert problems(neither) == expected


def test_next_manager_only_escalates_a_manager_step() -> None:
    text = edit(
        "    escalation:\n      to: {role: manager, org_unit: oekonomi}\n",
        "    escalation: {next_manager: true}\n",
    )
    assert problems(text) == [
        "demo.yaml:22: steps[1].escalation.next_manager: applies only to a step decided by a "
        "manager; name the approvers with 'to'"
    ]


def test_escalation_to_unknown_names() -> None:
    text = edit("to: {role: manager, org_unit: oekonomi}", "to: {role: chef, org_unit: nowhere}")
    assert problems(text) == [
        "demo.yaml:23: steps[1].escalation.to.role: unknown role 'chef'",
        "demo.yaml:23: steps[1].escalation.to.org_unit: unknown org unit 'nowhere'",
    ]


def test_escalation_to_an_unknown_group() -> None:
    text = edit("to: {role: manager, org_unit: oekonomi}", "to: {group: direktionen}")
    assert problems(text) == [
        "demo.yaml:23: steps[1].escalation.to.group: unknown group 'direktionen'"
    ]


def test_escalation_to_the_same_approvers() -> None:
    text = edit(
        "to: {role: manager, org_unit: oekonomi}", "to: {role: finance, org_unit: oekonomi}"
    )
    assert problems(text) == [
        "demo.yaml:23: steps[1].escalation.to: names the step's own approvers: escalate to "
        "somebody else"
    ]


def test_an_unknown_key_in_escalation() -> None:
    text = edit("escalation: {next_manager: true}", "escalation: {next_manager: true, after: P1D}")
    assert problems(text) == ["demo.yaml:16: steps[0].escalation.after: unknown key"]


def test_a_problem_elsewhere_in_the_step_hides_none_of_these() -> None:
    text = edit("    name: {da: Leder, en: Manager}\n", "")
    text = edit("reminders: [P1D, P2D]", "reminders: [P1D, P4D]", text)
    text = edit("escalation:\n      to: {role: manager", "escalation:\n      to: {role: chef", text)
    assert problems(text) == [
        "demo.yaml:11: steps[0].name: is required",
        "demo.yaml:14: steps[0].reminders[1]: must be shorter than the deadline (P3D)",
        "demo.yaml:22: steps[1].escalation.to.role: unknown role 'chef'",
    ]
