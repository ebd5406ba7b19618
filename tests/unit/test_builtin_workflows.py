"""The built-in workflows: they load, they say what CONTRACT.md promises, and they decide right."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from godkend.domain.conditions import compile_condition
from godkend.domain.definitions import definition_digest, load_definition
from godkend.domain.errors import InvalidInputs
from godkend.domain.forms import validate_fields
from godkend.domain.workflow import WorkflowDefinition
from godkend.services.demo import ORG_UNITS as DEMO_ORG_UNITS
from godkend.workflows import builtin_definition_texts

ROLES = frozenset(
    {"employee", "manager", "auditor", "admin", "finance", "hr", "it_security", "system_owner"}
    | {"legal", "communications", "director"}
)
ORG_UNITS = frozenset({key for key, _, _ in DEMO_ORG_UNITS})
ANNA = {"username": "anna", "org_unit": "digitalisering", "roles": ["employee"]}


def builtins() -> dict[str, WorkflowDefinition]:
    return {
        name: load_definition(text, source=name, known_roles=ROLES, known_org_units=ORG_UNITS)
        for name, text in builtin_definition_texts()
    }


def applying_steps(definition: WorkflowDefinition, fields: Mapping[str, object]) -> list[str]:
    values = validate_fields(definition, fields)
    return [
        s.key
        for s in definition.steps
        if s.when is None or compile_condition(s.when).evaluate(values, ANNA)
    ]


def test_the_built_ins_are_there_and_load() -> None:
    definitions = builtins()
    assert set(definitions) >= {"ferie.yaml", "udlaeg.yaml", "it-adgang.yaml"}
    for name, definition in definitions.items():
        assert name == f"{definition.key}.yaml"
        assert definition.visible_to_roles


def test_ferie_is_as_the_contract_says() -> None:
    ferie = builtins()["ferie.yaml"]
    assert [(f.key, f.type, f.required) for f in ferie.fields] == [
        ("from", "date", True),
        ("to", "date", True),
        ("note", "text", False),
    ]
    (step,) = ferie.steps
    assert step.approvers.manager == 1
    assert step.when is None
    assert ferie.visible_to_roles == ("hr",)


def test_ferie_wants_the_last_day_on_or_after_the_first() -> None:
    ferie = builtins()["ferie.yaml"]
    assert validate_fields(ferie, {"from": "2026-07-06", "to": "2026-07-24", "note": ""}) == {
        "from": "2026-07-06",
        "to": "2026-07-24",
    }
    with pytest.raises(InvalidInputs) as caught:
        validate_fields(ferie, {"from": "2026-07-24", "to": "2026-07-06"})
    assert [e.field for e in caught.value.errors] == ["fields.to"]


UDLAEG = {"date": "2026-03-02", "category": "transport", "purpose": "Togbillet til Aarhus"}


@pytest.mark.parametrize(
    ("amount", "steps"),
    [
        (450, ["manager"]),
        (10000, ["manager"]),
        ("10000.01", ["manager", "finance"]),
        (25000, ["manager", "finance"]),
    ],
)
def test_udlaeg_sends_large_amounts_to_finance(amount: object, steps: list[str]) -> None:
    udlaeg = builtins()["udlaeg.yaml"]
    assert applying_steps(udlaeg, UDLAEG | {"amount": amount}) == steps
    finance = udlaeg.steps[1].approvers
    assert (finance.role, finance.org_unit) == ("finance", "oekonomi")


@pytest.mark.parametrize(
    ("level", "steps"),
    [
        ("read", ["manager", "system_owner"]),
        ("write", ["manager", "system_owner"]),
        ("admin", ["manager", "system_owner", "it_security"]),
    ],
)
def test_it_adgang_adds_it_security_for_admin_access(level: str, steps: list[str]) -> None:
    it_adgang = builtins()["it-adgang.yaml"]
    fields = {
        "system": "esdh",
        "access_level": level,
        "justification": "Sagsbehandling",
        "needed_from": "2026-04-01",
    }
    assert applying_steps(it_adgang, fields) == steps
    owner, security = it_adgang.steps[1].approvers, it_adgang.steps[2].approvers
    assert (owner.role, owner.org_unit) == ("system_owner", "it-drift")
    assert (security.role, security.org_unit) == ("it_security", "it-drift")


def test_digests_are_stable() -> None:
    first = {name: definition_digest(d) for name, d in builtins().items()}
    assert first == {name: definition_digest(d) for name, d in builtins().items()}
    assert len(set(first.values())) == len(first)
