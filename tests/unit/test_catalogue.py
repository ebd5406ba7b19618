"""The built-in catalogue: 25+ workflows that load against the demo directory, match the JSON
Schema, draw as diagrams, and carry the deadlines and thresholds an agency relies on."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import jsonschema
import pytest
import yaml

from godkend.domain.conditions import compile_condition
from godkend.domain.deadlines import parse_duration
from godkend.domain.definitions import definition_digest, load_definition
from godkend.domain.diagram import mermaid
from godkend.domain.errors import InvalidInputs
from godkend.domain.forms import validate_fields
from godkend.domain.workflow import WorkflowDefinition, definition_json_schema
from godkend.services.demo import ORG_UNITS
from godkend.workflows import builtin_definition_texts

# The roles migration 0001 creates.
ROLES = frozenset(
    {"employee", "manager", "auditor", "admin", "finance", "hr", "it_security", "system_owner"}
    | {"legal", "communications", "director"}
)
DEMO_ORG_UNITS = frozenset(key for key, _, _ in ORG_UNITS)
# No groups exist yet, so a built-in naming one would fail to publish.
DEMO_GROUPS: frozenset[str] = frozenset()
ANNA = {"username": "anna", "org_unit": "digitalisering", "roles": ["employee"]}
TEXTS = builtin_definition_texts()


def builtins() -> dict[str, WorkflowDefinition]:
    """File name -> definition, each loaded as `godkend demo` publishes it."""
    return {
        name: load_definition(
            text,
            source=name,
            known_roles=ROLES,
            known_org_units=DEMO_ORG_UNITS,
            known_groups=DEMO_GROUPS,
        )
        for name, text in TEXTS
    }


def applying_steps(definition: WorkflowDefinition, fields: Mapping[str, object]) -> list[str]:
    values = validate_fields(definition, fields)
    return [
        s.key
        for s in definition.steps
        if s.when is None or compile_condition(s.when).evaluate(values, ANNA)
    ]


def test_there_are_at_least_25_and_each_file_is_named_by_its_ascii_key() -> None:
    definitions = builtins()
    assert len(definitions) >= 25
    for name, definition in definitions.items():
        assert name == f"{definition.key}.yaml"
        assert re.fullmatch(r"[a-z][a-z0-9-]*\.yaml", name), name


def test_ferie_is_as_the_contract_says() -> None:
    ferie = builtins()["ferie.yaml"]
    assert [(f.key, f.type, f.required) for f in ferie.fields] == [
        ("from", "date", True),
        ("to", "date", True),
        ("note", "text", False),
    ]
    (step,) = ferie.steps
    assert (step.approvers.manager, step.when) == (1, None)
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


def test_every_workflow_is_bilingual_and_says_who_may_see_it() -> None:
    for name, definition in builtins().items():
        assert definition.visible_to_roles, name
        assert "auditor" not in definition.visible_to_roles, f"{name}: auditors see all anyway"
        assert definition.title.da != definition.title.en, name
        assert definition.description.da != definition.description.en, name


def test_danish_titles_use_danish_letters() -> None:
    titles = {d.key: d.title.da for d in builtins().values()}
    assert titles["ansaettelse"] == "Ansættelse"
    assert titles["indkoeb"] == "Indkøb"
    assert titles["budgetaendring"] == "Budgetændring"
    assert titles["udlaeg"] == "Udlæg"
    assert titles["repraesentation"] == "Repræsentation"


def test_every_step_has_a_deadline_in_working_days() -> None:
    for name, definition in builtins().items():
        assert definition.working_days, name
        for step in definition.steps:
            assert step.deadline is not None, f"{name}: {step.key}"
            # A few working days at most, or hours for the fast ones (press releases).
            assert parse_duration(step.deadline).days <= 10, f"{name}: {step.key}"


def test_most_steps_remind_and_escalate() -> None:
    steps = [s for d in builtins().values() for s in d.steps]
    assert sum(bool(s.reminders) for s in steps) >= 0.9 * len(steps)
    assert sum(s.escalation is not None for s in steps) >= 0.6 * len(steps)


def test_the_catalogue_uses_every_approver_kind_but_group_and_every_mode() -> None:
    steps = [s for d in builtins().values() for s in d.steps]
    assert {s.mode for s in steps} == {"any", "all", "k_of_n"}
    kinds = {k for s in steps for k in ("role", "manager", "user") if getattr(s.approvers, k)}
    assert kinds == {"role", "manager", "user"}
    assert not any(s.approvers.group for s in steps)


def test_aktindsigt_has_the_legal_deadline_of_7_working_days() -> None:
    aktindsigt = builtins()["aktindsigt.yaml"]
    assert aktindsigt.working_days
    legal = aktindsigt.steps[0]
    assert (legal.key, legal.deadline) == ("legal", "P7D")
    assert legal.escalation is not None
    assert legal.escalation.to is not None
    assert (legal.escalation.to.role, legal.escalation.to.org_unit) == ("manager", "jura")
    assert legal.reminders == ("P3D", "P5D")


INDKOEB = {"description": "Licenser", "category": "it", "framework_agreement": True}


@pytest.mark.parametrize(
    ("amount", "steps"),
    [
        ("99999.99", ["manager"]),
        (100000, ["manager", "finance"]),
        (499999, ["manager", "finance"]),
        (500000, ["manager", "finance", "direction"]),
        ("1044399.99", ["manager", "finance", "direction"]),
        (1044400, ["manager", "finance", "legal", "direction"]),
    ],
)
def test_indkoeb_thresholds_and_the_eu_tender_threshold(amount: object, steps: list[str]) -> None:
    indkoeb = builtins()["indkoeb.yaml"]
    fields = INDKOEB | {"amount": amount, "account": "22100"}
    assert applying_steps(indkoeb, fields) == steps
    amount_field = indkoeb.field("amount")
    assert amount_field is not None
    assert amount_field.help is not None
    assert "1.044.400 kr." in amount_field.help.da
    assert "DKK 1,044,400" in amount_field.help.en


def test_tjenesterejse_abroad_needs_the_direktion() -> None:
    rejse = builtins()["tjenesterejse.yaml"]
    base = {
        "destination": "Bruxelles",
        "period": {"from": "2026-05-04", "to": "2026-05-05"},
        "purpose": "Rådsmøde",
        "transport": "train",
        "estimated_cost": 6000,
    }
    assert applying_steps(rejse, base | {"abroad": True}) == ["manager", "direction"]
    assert applying_steps(rejse, base | {"abroad": False}) == ["manager"]


# -- the JSON Schema --------------------------------------------------------------------------


def _validator() -> jsonschema.Draft202012Validator:
    schema = definition_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize(("name", "text"), TEXTS, ids=[name for name, _ in TEXTS])
def test_the_json_schema_accepts_every_builtin(name: str, text: str) -> None:
    errors = [e.message for e in _validator().iter_errors(yaml.safe_load(text))]
    assert errors == [], name


def test_the_json_schema_describes_every_property() -> None:
    schema = definition_json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    for model in ("Step", "Approvers", "FormField", "Escalation", "FormRule", "Option", "Text"):
        definition = schema["$defs"][model]
        assert definition["description"], model
        for key, prop in definition["properties"].items():
            assert prop.get("description"), f"{model}.{key}"


FERIE: dict[str, Any] = yaml.safe_load(dict(TEXTS)["ferie.yaml"])


def _with_step(**changes: Any) -> dict[str, Any]:
    step: dict[str, Any] = FERIE["steps"][0] | changes
    return FERIE | {"steps": [step]}


@pytest.mark.parametrize(
    "data",
    [
        FERIE | {"colour": "red"},
        _with_step(approvers={"role": "hr", "manager": 1}),
        _with_step(approvers={"manager": 1, "org_unit": "jura"}),
        _with_step(k=2),
        _with_step(mode="k_of_n"),
        _with_step(deadline="P1M"),
        _with_step(deadline="PT"),
        _with_step(deadline=None, reminders=["P1D"], escalation=None),
        _with_step(escalation={"to": {"role": "hr"}, "next_manager": True}),
        _with_step(escalation={}),
        FERIE | {"working_days": "yes"},
    ],
)
def test_the_json_schema_rejects_what_the_loader_rejects(data: dict[str, Any]) -> None:
    data = {k: v for k, v in data.items() if v is not None}
    data["steps"] = [{k: v for k, v in s.items() if v is not None} for s in data["steps"]]
    assert list(_validator().iter_errors(data))


# -- diagrams ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["da", "en"])
def test_every_builtin_draws_as_a_mermaid_flowchart(language: str) -> None:
    for name, definition in builtins().items():
        chart = mermaid(definition, language=language)
        lines = chart.splitlines()
        assert lines[0] == "flowchart TD", name
        for index, step in enumerate(definition.steps):
            box = next(line for line in lines if line.strip().startswith(f"s{index}["))
            assert step.name.in_language(language).replace('"', "#quot;") in box
            if step.when is not None:
                assert any(line.strip().startswith(f"c{index}{{") for line in lines), name
        # Quotes only delimit labels: an odd count on a line would break the chart.
        assert all(line.count('"') % 2 == 0 for line in lines), name
        assert "approved" in chart
        assert "rejected" in chart


def test_a_skipped_condition_leads_to_the_next_condition() -> None:
    chart = mermaid(builtins()["indkoeb.yaml"])
    # finance (1), legal (2) and direction (3) are all conditional: "no" goes to the next test.
    assert "    c1 -->|nej| c2" in chart
    assert "    c2 -->|nej| c3" in chart
    assert "    c3 -->|nej| approved" in chart
    assert "fields.amount #gt;= 1044400" in chart
    assert "frist 10 arbejdsdage, derefter rolle manager i jura" in chart
