"""Workflow definitions: the validated, versioned data saying how a kind of request is decided."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
WorkflowKey = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*$", max_length=64)]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Text(Frozen):
    """A user-visible text in Danish (the default) and English."""

    da: str = Field(min_length=1)
    en: str = Field(min_length=1)

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
    value: str = Field(min_length=1, max_length=100)
    label: Text


class FormField(Frozen):
    """One field of a workflow's form; `amount` is in DKK (øre are allowed)."""

    key: Key
    type: FieldType
    label: Text
    help: Text | None = None
    required: bool = True
    min: float | None = None
    max: float | None = None
    max_length: int | None = Field(default=None, ge=1)
    pattern: str | None = None
    options: tuple[Option, ...] = ()

    @model_validator(mode="after")
    def _options_only_for_selects(self) -> FormField:
        selects = {"select", "multi_select"}
        if self.type in selects and not self.options:
            raise ValueError(f"a {self.type} field needs options")
        if self.type not in selects and self.options:
            raise ValueError(f"a {self.type} field takes no options")
        return self


class Approvers(Frozen):
    """Who decides a step: exactly one of role, manager, user.

    - `role` (+ optional `org_unit`): holders of the role in that org unit; without
      `org_unit`, in the requester's org unit or, failing that, its nearest ancestor with one.
    - `manager: n`: the requester's manager n levels up (1 = nearest manager).
    - `user`: one named user (username).
    """

    role: Key | None = None
    org_unit: str | None = None
    manager: int | None = Field(default=None, ge=1, le=10)
    user: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Approvers:
        chosen = [k for k in ("role", "manager", "user") if getattr(self, k) is not None]
        if len(chosen) != 1:
            raise ValueError("give exactly one of role, manager, user")
        if self.org_unit is not None and self.role is None:
            raise ValueError("org_unit goes with role")
        return self


class Step(Frozen):
    """One sequential step; `when` is a CEL condition over `fields` and `requester`."""

    key: Key
    name: Text
    approvers: Approvers
    mode: Literal["any", "all", "k_of_n"] = "any"
    k: int | None = Field(default=None, ge=1)
    when: str | None = None
    may_return: bool = True

    @model_validator(mode="after")
    def _k_with_k_of_n(self) -> Step:
        if (self.mode == "k_of_n") != (self.k is not None):
            raise ValueError("k is required with mode k_of_n, and only then")
        return self


class FormRule(Frozen):
    """A check across fields: `require` (CEL over `fields` only) must hold, else `message`.

    The rule is checked only when every field it names has a valid value (a missing or bad
    field is reported on its own); the message is reported on `field` (the whole form if None).
    """

    require: str = Field(min_length=1, max_length=1000)
    message: Text
    field: Key | None = None


class WorkflowDefinition(Frozen):
    """A whole workflow as written in its YAML file (the version is assigned when published)."""

    key: WorkflowKey
    title: Text
    description: Text
    visible_to_roles: tuple[Key, ...] = ()
    fields: tuple[FormField, ...] = Field(min_length=1)
    rules: tuple[FormRule, ...] = ()
    steps: tuple[Step, ...] = Field(min_length=1)

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
