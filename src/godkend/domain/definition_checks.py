"""The checks on a workflow definition that its pydantic model cannot make.

Keys unique, CEL conditions valid and type-checked against the form, roles, org units and
groups known, field limits that fit the field type, deadlines with sensible reminders and
escalation. Each check looks only at the parts that are valid on their own, so one problem
never hides another, and every problem carries the path and line it is about.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from godkend.domain.condition_checks import check_condition
from godkend.domain.conditions import ConditionError, compile_condition
from godkend.domain.deadlines import parse_duration
from godkend.domain.definition_yaml import Document, Path, Problem
from godkend.domain.workflow import Approvers, Escalation, FormField

MAX_PATTERN_LENGTH = 300

_NUMERIC_TYPES = frozenset({"number", "amount"})
_TEXT_TYPES = frozenset({"text", "long_text"})


@dataclass(frozen=True)
class KnownNames:
    """The names a definition may use; None means "not checked" (no directory at hand)."""

    roles: frozenset[str] | None = None
    org_units: frozenset[str] | None = None
    groups: frozenset[str] | None = None


def _valid(model: type[BaseModel], data: object) -> Any:
    """The item validated alone, or None: semantic checks look only at items that are valid."""
    try:
        return model.model_validate(data)
    except ValidationError:
        return None


def _items(data: Mapping[str, object], key: str) -> list[object]:
    value = data.get(key)
    return value if isinstance(value, list) else []


class DefinitionChecks:
    """Runs every check over one parsed definition file."""

    def __init__(self, document: Document, *, known: KnownNames) -> None:
        assert isinstance(document.data, dict)
        self.document = document
        self.data: dict[str, object] = document.data
        self.known = known
        self.found_duplicates = False
        self.field_types: dict[str, str | None] = {}
        self.optional_fields: set[str] = set()

    def problems(self) -> Iterator[Problem]:
        yield from self._fields()
        yield from self._duplicates("steps", "step")
        yield from self._visible_to_roles()
        yield from self._rules()
        yield from self._steps()

    def _problem(self, path: Path, message: str) -> Problem:
        return self.document.problem(path, message)

    def _duplicates(self, section: str, what: str) -> Iterator[Problem]:
        seen: dict[str, int] = {}
        for index, item in enumerate(_items(self.data, section)):
            key = item.get("key") if isinstance(item, dict) else None
            if not isinstance(key, str):
                continue
            if key in seen:
                self.found_duplicates = True
                message = f"duplicate {what} key {key!r} (also {section}[{seen[key]}])"
                yield self._problem((section, index, "key"), message)
            else:
                seen[key] = index

    # -- the form ---------------------------------------------------------------------------

    def _fields(self) -> Iterator[Problem]:
        yield from self._duplicates("fields", "field")
        for index, raw in enumerate(_items(self.data, "fields")):
            key = raw.get("key") if isinstance(raw, dict) else None
            form_field: FormField | None = _valid(FormField, raw)
            if isinstance(key, str):
                self.field_types.setdefault(key, form_field.type if form_field else None)
                if form_field is not None and not form_field.required:
                    self.optional_fields.add(key)
            if form_field is not None:
                yield from self._field_limits(("fields", index), form_field)

    def _field_limits(self, path: Path, form_field: FormField) -> Iterator[Problem]:
        kind = form_field.type
        for name in ("min", "max"):
            if getattr(form_field, name) is not None and kind not in _NUMERIC_TYPES:
                yield self._problem((*path, name), f"{name} applies only to number and amount")
        low, high = form_field.min, form_field.max
        if low is not None and high is not None and low > high:
            yield self._problem((*path, "max"), f"must be at least min ({low:g})")
        for name in ("max_length", "pattern"):
            if getattr(form_field, name) is not None and kind not in _TEXT_TYPES:
                yield self._problem((*path, name), f"{name} applies only to text and long_text")
        if form_field.pattern is not None:
            yield from self._pattern((*path, "pattern"), form_field.pattern)
        seen: set[str] = set()
        for index, option in enumerate(form_field.options):
            if option.value in seen:
                message = f"duplicate option {option.value!r}"
                yield self._problem((*path, "options", index, "value"), message)
            seen.add(option.value)

    def _pattern(self, path: Path, pattern: str) -> Iterator[Problem]:
        if len(pattern) > MAX_PATTERN_LENGTH:
            yield self._problem(path, f"must be at most {MAX_PATTERN_LENGTH} characters")
            return
        try:
            re.compile(pattern)
        except re.error as exc:
            yield self._problem(path, f"invalid regular expression: {exc}")

    # -- names from the directory -----------------------------------------------------------

    def _visible_to_roles(self) -> Iterator[Problem]:
        for index, role in enumerate(_items(self.data, "visible_to_roles")):
            if isinstance(role, str) and not self._known(self.known.roles, role):
                yield self._problem(("visible_to_roles", index), f"unknown role {role!r}")

    @staticmethod
    def _known(names: frozenset[str] | None, name: str) -> bool:
        return names is None or name in names

    def _approvers(self, path: Path, approvers: Approvers) -> Iterator[Problem]:
        if approvers.role is not None and not self._known(self.known.roles, approvers.role):
            yield self._problem((*path, "role"), f"unknown role {approvers.role!r}")
        unit = approvers.org_unit
        if unit is not None and not self._known(self.known.org_units, unit):
            yield self._problem((*path, "org_unit"), f"unknown org unit {unit!r}")
        if approvers.group is not None and not self._known(self.known.groups, approvers.group):
            yield self._problem((*path, "group"), f"unknown group {approvers.group!r}")

    # -- conditions -------------------------------------------------------------------------

    def _condition(
        self, path: Path, expression: str, *, allow_requester: bool
    ) -> Iterator[Problem]:
        try:
            condition = compile_condition(expression)
        except ConditionError as exc:
            yield self._problem(path, f"invalid CEL: {exc.message}")
            return
        # Rules skip absent fields; step conditions see them absent, so they must guard them.
        optional = frozenset(self.optional_fields) if allow_requester else frozenset()
        problems = check_condition(
            condition, self.field_types, allow_requester=allow_requester, optional_fields=optional
        )
        for message in problems:
            yield self._problem(path, message)

    def _rules(self) -> Iterator[Problem]:
        for index, raw in enumerate(_items(self.data, "rules")):
            if not isinstance(raw, dict):
                continue
            path: Path = ("rules", index)
            if isinstance(require := raw.get("require"), str):
                yield from self._condition((*path, "require"), require, allow_requester=False)
            target = raw.get("field")
            if isinstance(target, str) and target not in self.field_types:
                yield self._problem((*path, "field"), f"unknown field {target!r}")

    # -- steps ------------------------------------------------------------------------------

    def _steps(self) -> Iterator[Problem]:
        raw_steps = _items(self.data, "steps")
        for index, raw in enumerate(raw_steps):
            if isinstance(raw, dict):
                yield from self._step(("steps", index), raw)
        if raw_steps and all(isinstance(s, dict) and s.get("when") for s in raw_steps):
            message = "at least one step must have no 'when', so every request is decided"
            yield self._problem(("steps",), message)

    def _step(self, path: Path, raw: dict[str, object]) -> Iterator[Problem]:
        # Checked part by part, so a problem elsewhere in the step hides none of these.
        if isinstance(when := raw.get("when"), str):
            yield from self._condition((*path, "when"), when, allow_requester=True)
        approvers: Approvers | None = _valid(Approvers, raw.get("approvers"))
        if approvers is not None:
            yield from self._approvers((*path, "approvers"), approvers)
            yield from self._k(path, raw, approvers)
        deadline = _minutes(raw.get("deadline"))
        if deadline is not None:
            yield from self._reminders(path, raw, deadline)
        escalation: Escalation | None = _valid(Escalation, raw.get("escalation"))
        if escalation is not None:
            yield from self._escalation((*path, "escalation"), escalation, approvers)

    def _k(self, path: Path, raw: dict[str, object], approvers: Approvers) -> Iterator[Problem]:
        k = raw.get("k")
        several = approvers.role is not None or approvers.group is not None
        if raw.get("mode") == "k_of_n" and isinstance(k, int) and k > 1 and not several:
            yield self._problem((*path, "k"), "must be 1: a manager or user step has one approver")

    def _reminders(
        self, path: Path, raw: dict[str, object], deadline: tuple[str, int]
    ) -> Iterator[Problem]:
        previous: tuple[str, int] | None = None
        for index, item in enumerate(_items(raw, "reminders")):
            reminder = _minutes(item)
            if reminder is None:
                continue  # the model reports it
            where = (*path, "reminders", index)
            if reminder[1] >= deadline[1]:
                yield self._problem(where, f"must be shorter than the deadline ({deadline[0]})")
            elif previous is not None and reminder[1] <= previous[1]:
                yield self._problem(
                    where, f"must be later than the reminder before ({previous[0]})"
                )
            previous = reminder

    def _escalation(
        self, path: Path, escalation: Escalation, approvers: Approvers | None
    ) -> Iterator[Problem]:
        if escalation.next_manager and approvers is not None and approvers.manager is None:
            message = "applies only to a step decided by a manager; name the approvers with 'to'"
            yield self._problem((*path, "next_manager"), message)
        if escalation.to is not None:
            yield from self._approvers((*path, "to"), escalation.to)
            if escalation.to == approvers:
                message = "names the step's own approvers: escalate to somebody else"
                yield self._problem((*path, "to"), message)


def _minutes(value: object) -> tuple[str, int] | None:
    """A duration as (its text, its nominal length in minutes), or None if it is not one."""
    if not isinstance(value, str):
        return None
    try:
        return value, parse_duration(value).total_minutes
    except ValueError:
        return None
