"""A workflow's form as HTML widgets, and a posted form back into the values the engine validates.

What the person typed is kept as typed (`1.234,50`), so a form shown again after an error holds
their text, not a reformatted one; only on submission is it converted to the engine's values.
Dates are typed as day, month and year in three boxes (DKFDS's date input), so their order is
the Danish one whatever language the browser itself speaks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from godkend.domain.workflow import FormField, WorkflowDefinition
from godkend.web.i18n import Formats, parse_decimal_input
from godkend.web.messages import FieldError

FIELD_PREFIX = "fields."
NUMERIC = frozenset({"number", "amount"})
RANGE_PARTS = ("from", "to")
DATE_PARTS = ("day", "month", "year")
_DAY_OR_MONTH = re.compile(r"[0-9]{1,2}")
_YEAR = re.compile(r"[0-9]{4}")


@dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True)
class Widget:
    """One form field ready for the template: names, ids, texts, what was typed, its errors."""

    key: str
    type: str
    label: str
    help: str
    required: bool
    value: Any
    options: tuple[Option, ...] = ()
    errors: Mapping[str, str] = field(default_factory=dict)
    min: str = ""
    max: str = ""
    min_value: str = ""
    max_value: str = ""
    max_length: int | None = None

    @property
    def name(self) -> str:
        return FIELD_PREFIX + self.key

    @property
    def id(self) -> str:
        return "f-" + self.key.replace("_", "-")

    def part_id(self, part: str) -> str:
        return f"{self.id}-{part}"

    def error(self, part: str = "") -> str:
        return self.errors.get(part, "")

    @property
    def has_error(self) -> bool:
        return bool(self.errors)


def raw_values(definition: WorkflowDefinition, form: FormData) -> dict[str, Any]:
    """The form's values as typed: strings, lists (multi_select), pairs (date_range)."""
    values: dict[str, Any] = {}
    for f in definition.fields:
        name = FIELD_PREFIX + f.key
        if f.type == "multi_select":
            values[f.key] = [v for v in form.getlist(name) if isinstance(v, str)]
        elif f.type == "date_range":
            values[f.key] = {p: _typed_date(form, f"{name}.{p}") for p in RANGE_PARTS}
        elif f.type == "date":
            values[f.key] = _typed_date(form, name)
        else:
            values[f.key] = _text(form.get(name))
    return values


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _typed_date(form: FormData, name: str) -> dict[str, str]:
    return {p: _text(form.get(f"{name}.{p}")).strip()[:8] for p in DATE_PARTS}


def _iso_date(typed: Any) -> str | None:
    """Day, month, year as `YYYY-MM-DD`; a bad date goes on as typed, for the engine to name."""
    parts = typed if isinstance(typed, Mapping) else {}
    day, month, year = (str(parts.get(p) or "") for p in DATE_PARTS)
    if not (day or month or year):
        return None
    if _DAY_OR_MONTH.fullmatch(day) and _DAY_OR_MONTH.fullmatch(month) and _YEAR.fullmatch(year):
        return f"{year}-{int(month):02d}-{int(day):02d}"
    return f"{year}-{month}-{day}"


def _typed_parts(iso: Any) -> dict[str, str]:
    """A stored `YYYY-MM-DD` as the three boxes show it."""
    year, _, rest = str(iso).partition("-")
    month, _, day = rest.partition("-")
    return {"day": day.lstrip("0"), "month": month.lstrip("0"), "year": year}


def submission(definition: WorkflowDefinition, raw: Mapping[str, Any]) -> dict[str, Any]:
    """The typed values as the engine takes them; blanks are left out (the engine names them)."""
    values: dict[str, Any] = {}
    for f in definition.fields:
        value = _convert(f, raw.get(f.key))
        if value is not None:
            values[f.key] = value
    return values


def _convert(f: FormField, value: Any) -> Any:
    if f.type == "multi_select":
        return list(value) if value else None
    if f.type == "date_range":
        parts = value if isinstance(value, Mapping) else {}
        dates = {p: _iso_date(parts.get(p)) for p in RANGE_PARTS}
        return dates if any(dates.values()) else None
    if f.type == "date":
        return _iso_date(value)
    if not isinstance(value, str) or not value.strip():
        return None
    if f.type in NUMERIC:
        return parse_decimal_input(value) or value
    if f.type == "yes_no":
        return {"yes": True, "no": False}.get(value, value)
    return value


def stored_as_typed(
    definition: WorkflowDefinition, fields: Mapping[str, Any], formats: Formats
) -> dict[str, Any]:
    """A stored request's values as a person would type them, to prefill a form (resubmit)."""
    raw: dict[str, Any] = {}
    for f in definition.fields:
        value = fields.get(f.key)
        if value is None:
            continue
        if f.type in NUMERIC:
            raw[f.key] = formats.amount_input(value)
        elif f.type == "date":
            raw[f.key] = _typed_parts(value)
        elif f.type == "date_range" and isinstance(value, Mapping):
            raw[f.key] = {p: _typed_parts(value.get(p, "")) for p in RANGE_PARTS}
        elif f.type == "yes_no":
            raw[f.key] = "yes" if value else "no"
        else:
            raw[f.key] = value
    return raw


def widgets(
    definition: WorkflowDefinition,
    *,
    language: str,
    formats: Formats,
    raw: Mapping[str, Any],
    errors: Sequence[FieldError] = (),
) -> list[Widget]:
    return [
        Widget(
            key=f.key,
            type=f.type,
            label=f.label.in_language(language),
            help=f.help.in_language(language) if f.help else "",
            required=f.required,
            value=raw.get(f.key, _empty(f)),
            options=tuple(Option(o.value, o.label.in_language(language)) for o in f.options),
            errors=_errors_of(f.key, errors),
            min="" if f.min is None else formats.number(f.min),
            max="" if f.max is None else formats.number(f.max),
            min_value="" if f.min is None else repr(f.min),
            max_value="" if f.max is None else repr(f.max),
            max_length=f.max_length,
        )
        for f in definition.fields
    ]


def _empty(f: FormField) -> Any:
    if f.type == "multi_select":
        return []
    if f.type == "date_range":
        return {p: dict.fromkeys(DATE_PARTS, "") for p in RANGE_PARTS}
    if f.type == "date":
        return dict.fromkeys(DATE_PARTS, "")
    return ""


def _errors_of(key: str, errors: Sequence[FieldError]) -> dict[str, str]:
    name = FIELD_PREFIX + key
    found: dict[str, str] = {}
    for error in errors:
        if error.field == name:
            found.setdefault("", error.message)
        elif error.field.startswith(name + "."):
            found.setdefault(error.field[len(name) + 1 :], error.message)
    return found


def unplaced_errors(
    errors: Sequence[FieldError], *, placed: Sequence[Widget], others: Sequence[str] = ()
) -> list[FieldError]:
    """Errors that belong to no widget and no other named input: shown for the whole form."""
    names = [w.name for w in placed]

    def has_place(name: str) -> bool:
        return name in others or any(name == n or name.startswith(n + ".") for n in names)

    return [e for e in errors if not has_place(e.field)]


def summary_links(widgets_: Sequence[Widget]) -> list[tuple[str, str]]:
    """(element id, message) for the error summary, in form order; each links to its input."""
    links: list[tuple[str, str]] = []
    for w in widgets_:
        for part, message in w.errors.items():
            links.append((_target_id(w, part), f"{w.label}: {message}"))
    return links


def _target_id(w: Widget, part: str) -> str:
    if w.type == "date_range":
        return w.part_id(f"{part or 'from'}-day")
    if w.type == "date":
        return w.part_id("day")
    if w.type in ("multi_select", "yes_no"):
        return w.part_id("0")
    return w.id
