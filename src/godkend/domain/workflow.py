"""Workflow definitions: the validated, versioned data saying how a kind of request is decided.

The models' docstrings (class and attribute) are the descriptions in the JSON Schema that
`definition_json_schema()` gives and the API serves; docs/workflows.md explains them at length.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from godkend.domain.deadlines import parse_duration

WORKFLOW_KEY_PATTERN = r"^[a-z][a-z0-9_-]*$"
Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
WorkflowKey = Annotated[str, Field(pattern=WORKFLOW_KEY_PATTERN, max_length=64)]

SCHEMA_ID = "https://godkend.example/schemas/workflow-definition.json"
DURATION_PATTERN = r"^P(?!$)(?:[0-9]{1,6}D)?(?:T(?=[0-9])(?:[0-9]{1,6}H)?(?:[0-9]{1,6}M)?)?$"


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class Text(Frozen):
    """A user-visible text in Danish (the default) and English."""

    da: str = Field(min_length=1)
    """The Danish text."""
    en: str = Field(min_length=1)
    """The English text."""

    def in_language(self, language: str) -> str:
        return self.en if language == "en" else self.da


FieldType = Literal[
    "text",
    "long_text",
    "number",
    "amount",
    "date",
    "date_range",
    "select",
    "multi_select",
    "user",
    "org_unit",
    "yes_no",
]


class Option(Frozen):
    """One choice of a select or multi_select field."""

    value: str = Field(min_length=1, max_length=100)
    """What is stored and what conditions compare with."""
    label: Text
    """What the user sees."""


class FormField(Frozen):
    """One field of a workflow's form; `amount` is in DKK (øre are allowed)."""

    key: Key
    """The field's name in `fields` (lower case, digits, `_`)."""
    type: FieldType
    """text, long_text, number, amount (DKK), date, date_range, select, multi_select, user
    (a username), org_unit (an org unit key) or yes_no."""
    label: Text
    """The field's label on the form."""
    help: Text | None = None
    """A help text shown under the field."""
    required: bool = True
    """Whether a value must be given; an optional field without a value is absent."""
    min: float | None = None
    """The smallest value (number and amount only)."""
    max: float | None = None
    """The largest value (number and amount only)."""
    max_length: int | None = Field(default=None, ge=1)
    """The most characters (text and long_text only; else 1000 and 10000)."""
    pattern: str | None = None
    """A regular expression the whole text must match (text and long_text only)."""
    options: tuple[Option, ...] = ()
    """The choices (select and multi_select only, and required there)."""

    @model_validator(mode="after")
    def _options_only_for_selects(self) -> FormField:
        selects = {"select", "multi_select"}
        if self.type in selects and not self.options:
            raise ValueError(f"a {self.type} field needs options")
        if self.type not in selects and self.options:
            raise ValueError(f"a {self.type} field takes no options")
        return self


APPROVER_KINDS = ("role", "manager", "user", "group")


class Approvers(Frozen):
    """Who decides a step: exactly one of role, manager, user, group.

    - `role` (+ optional `org_unit`): holders of the role in that org unit; without
      `org_unit`, in the requester's org unit or, failing that, its nearest ancestor with one.
    - `manager: n`: the requester's manager n levels up (1 = nearest manager).
    - `user`: one named user (username).
    - `group`: the members of a named group (e.g. an approval committee).
    """

    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [{"required": [kind]} for kind in APPROVER_KINDS],
            "dependentRequired": {"org_unit": ["role"]},
        }
    )

    role: Key | None = None
    """Holders of this role decide (in `org_unit`, or nearest the requester)."""
    org_unit: str | None = None
    """With `role`: the org unit (key) whose role holders decide."""
    manager: int | None = Field(default=None, ge=1, le=10)
    """The requester's manager this many levels up decides (1 = nearest manager)."""
    user: str | None = None
    """This user (username) decides."""
    group: Key | None = None
    """The members of this group decide."""

    @model_validator(mode="after")
    def _exactly_one(self) -> Approvers:
        chosen = [k for k in APPROVER_KINDS if getattr(self, k) is not None]
        if len(chosen) != 1:
            raise ValueError("give exactly one of role, manager, user, group")
        if self.org_unit is not None and self.role is None:
            raise ValueError("org_unit goes with role")
        return self


def _check_duration(value: str) -> str:
    parse_duration(value)  # its ValueError names the problem
    return value


Duration = Annotated[
    str,
    Field(
        max_length=32,
        json_schema_extra={"pattern": DURATION_PATTERN},
        examples=["P3D", "PT4H", "P1DT12H"],
    ),
    AfterValidator(_check_duration),
]


_NEXT_MANAGER: dict[str, Any] = {"properties": {"next_manager": {"const": True}}}


class Escalation(Frozen):
    """Who takes over a step when its deadline passes: given approvers, or the next manager.

    Exactly one of `to` and `next_manager`; `next_manager` only on a `manager: n` step, where it
    means the requester's manager n + 1 levels up.
    """

    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {"required": ["to"], "not": {"required": ["next_manager"], **_NEXT_MANAGER}},
                {"required": ["next_manager"], **_NEXT_MANAGER, "not": {"required": ["to"]}},
            ]
        }
    )

    to: Approvers | None = None
    """These approvers take over the step."""
    next_manager: bool = False
    """true (on a `manager: n` step only): the requester's manager n + 1 levels up takes over."""

    @model_validator(mode="after")
    def _exactly_one(self) -> Escalation:
        if (self.to is None) == (not self.next_manager):
            raise ValueError("give exactly one of to, next_manager")
        return self


class Step(Frozen):
    """One sequential step; `when` is a CEL condition over `fields` and `requester`."""

    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"mode": {"const": "k_of_n"}}, "required": ["mode"]},
            "then": {"required": ["k"]},
            "else": {"not": {"required": ["k"]}},
            "dependentRequired": {"reminders": ["deadline"], "escalation": ["deadline"]},
        }
    )

    key: Key
    """The step's name in the request's history and events (lower case, digits, `_`)."""
    name: Text
    """What users see, e.g. "Nærmeste leder" / "Nearest manager"."""
    approvers: Approvers
    """Who decides the step."""
    mode: Literal["any", "all", "k_of_n"] = "any"
    """any: one approval completes the step; all: every approver must approve; k_of_n: `k` of
    them. One rejection or return decides the step in every mode."""
    k: int | None = Field(default=None, ge=1)
    """With mode k_of_n: how many approvals complete the step."""
    when: str | None = None
    """A CEL condition over `fields` and `requester`: the step applies only when it is true."""
    may_return: bool = True
    """Whether the approvers may return the request to the requester for changes."""
    deadline: Duration | None = None
    """How long the approvers have, from when the step starts (ISO-8601: P3D, PT4H)."""
    reminders: tuple[Duration, ...] = ()
    """When to remind the approvers, counted like the deadline from when the step starts; each
    shorter than the deadline, in increasing order."""
    escalation: Escalation | None = None
    """Who takes over the step when its deadline passes."""

    @model_validator(mode="after")
    def _k_with_k_of_n(self) -> Step:
        if (self.mode == "k_of_n") != (self.k is not None):
            raise ValueError("k is required with mode k_of_n, and only then")
        if (self.reminders or self.escalation) and self.deadline is None:
            raise ValueError("reminders and escalation need a deadline")
        return self


class FormRule(Frozen):
    """A check across fields: `require` (CEL over `fields` only) must hold, else `message`.

    The rule is checked only when every field it names has a valid value (a missing or bad
    field is reported on its own); the message is reported on `field` (the whole form if None).
    """

    require: str = Field(min_length=1, max_length=1000)
    """A CEL expression over `fields` that must be true."""
    message: Text
    """What the user is told when it is false."""
    field: Key | None = None
    """The field the message is shown on (the whole form if absent)."""


class WorkflowDefinition(Frozen):
    """A whole workflow as written in its YAML file (the version is assigned when published)."""

    model_config = ConfigDict(title="godkend workflow definition")

    key: WorkflowKey
    """The workflow's key (lower case, digits, `-`, `_`); the file is named `<key>.yaml`."""
    title: Text
    """The workflow's name, e.g. "Ferie" / "Leave"."""
    description: Text
    """What the workflow is for and who decides, shown when a request is started."""
    visible_to_roles: tuple[Key, ...] = ()
    """Holders of these roles may see every request of this workflow."""
    working_days: bool = False
    """true: deadlines and reminders count Danish working days (no weekends, no public
    holidays, no state days off) instead of calendar days."""
    fields: tuple[FormField, ...] = Field(min_length=1)
    """The form, in order."""
    rules: tuple[FormRule, ...] = ()
    """Checks across fields, made when the form is submitted."""
    steps: tuple[Step, ...] = Field(min_length=1)
    """The approval steps, decided one after the other."""

    @model_validator(mode="after")
    def _unique_keys(self) -> WorkflowDefinition:
        for what, keys in (
            ("field", [f.key for f in self.fields]),
            ("step", [s.key for s in self.steps]),
        ):
            seen: set[str] = set()
            for key in keys:
                if key in seen:
                    raise ValueError(f"duplicate {what} key {key!r}")
                seen.add(key)
        return self

    def field(self, key: str) -> FormField | None:
        return next((f for f in self.fields if f.key == key), None)


def definition_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a definition file's data, with descriptions."""
    schema = WorkflowDefinition.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}
