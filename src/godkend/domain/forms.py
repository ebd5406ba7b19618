"""Validating submitted form values against a workflow definition, and normalizing them.

Normalized values (what is stored, and what conditions see):
- text: stripped of surrounding whitespace, one line; long_text: line breaks as `\\n`.
  Without a `max_length`, text is capped at 1000 and long_text at 10000 characters.
- number, amount: JSON numbers (or plain decimal strings like "1234.50"); an int when whole,
  else a float; an amount has at most 2 decimals (øre), nothing is rounded silently.
- date: the ISO string 'YYYY-MM-DD' (the API accepts exactly that); date_range:
  `{"from": date, "to": date}` with from <= to.
- select: one option value; multi_select: a list of distinct option values.
- user, org_unit: a username / org unit key (that it exists is the service's to check).
- yes_no: true or false.
An optional field without a value (absent, null, blank text, empty list) is left out.
Form rules (`rules` in the definition) are checked once the fields they name are valid.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation

from godkend.domain.conditions import compile_condition
from godkend.domain.errors import InvalidInput, InvalidInputs
from godkend.domain.workflow import FormField, WorkflowDefinition

DEFAULT_MAX_LENGTH = {"text": 1000, "long_text": 10_000}
MAX_ABS_NUMBER = 1e15
MAX_IDENTIFIER_LENGTH = 100

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DECIMAL_TEXT = re.compile(r"^-?\d{1,16}(\.\d{1,16})?$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_IDENTIFIER = re.compile(r"^[^\s\x00-\x1f\x7f]+$")


class _Bad(Exception):
    """One problem with one field's value; `part` names a sub-value such as `to`."""

    def __init__(self, message: str, *, part: str = "") -> None:
        super().__init__(message)
        self.part = part


def validate_fields(
    definition: WorkflowDefinition, values: Mapping[str, object]
) -> dict[str, object]:
    """The normalized values, or InvalidInputs naming every bad field (`fields.<key>`)."""
    if not isinstance(values, Mapping):
        raise InvalidInputs([InvalidInput("must be an object", field="fields")])
    errors = [
        InvalidInput("unknown field", field=f"fields.{key}")
        for key in values
        if not isinstance(key, str) or definition.field(key) is None
    ]
    normalized: dict[str, object] = {}
    for form_field in definition.fields:
        value = values.get(form_field.key)
        name = f"fields.{form_field.key}"
        if _is_blank(value):
            if form_field.required:
                errors.append(InvalidInput("is required", field=name))
            continue
        try:
            normalized[form_field.key] = _normalize(form_field, value)
        except _Bad as bad:
            errors.append(InvalidInput(str(bad), field=f"{name}.{bad.part}" if bad.part else name))
    errors.extend(_rule_errors(definition, normalized))
    if errors:
        raise InvalidInputs(errors)
    return normalized


def _is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, list | tuple | dict) and not value


def _rule_errors(
    definition: WorkflowDefinition, normalized: Mapping[str, object]
) -> list[InvalidInput]:
    errors = []
    for rule in definition.rules:
        condition = compile_condition(rule.require)
        # A rule over a missing or invalid field says nothing: that field has its own error.
        if not condition.fields_used <= normalized.keys():
            continue
        if not condition.evaluate(normalized, {}):
            target = f"fields.{rule.field}" if rule.field else "fields"
            errors.append(InvalidInput(rule.message.en, field=target, message_da=rule.message.da))
    return errors


# -- one value per type ---------------------------------------------------------------------


def _normalize(form_field: FormField, value: object) -> object:
    return _NORMALIZERS[form_field.type](form_field, value)


def _text(form_field: FormField, value: object) -> str:
    if not isinstance(value, str):
        raise _Bad("must be text")
    text = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if form_field.type == "text" and "\n" in text:
        raise _Bad("must be a single line")
    if _CONTROL.search(text):
        raise _Bad("must not contain control characters")
    limit = form_field.max_length or DEFAULT_MAX_LENGTH[form_field.type]
    if len(text) > limit:
        raise _Bad(f"must be at most {limit} characters")
    if form_field.pattern is not None and re.fullmatch(form_field.pattern, text) is None:
        raise _Bad(f"must match the pattern {form_field.pattern!r}")
    return text


def _number(form_field: FormField, value: object) -> int | float:
    number = _decimal(value)
    if form_field.type == "amount" and _decimals(number) > 2:
        raise _Bad("must have at most 2 decimals")
    if form_field.min is not None and number < Decimal(repr(form_field.min)):
        raise _Bad(f"must be at least {_show(form_field.min)}")
    if form_field.max is not None and number > Decimal(repr(form_field.max)):
        raise _Bad(f"must be at most {_show(form_field.max)}")
    return int(number) if number == number.to_integral_value() else float(number)


def _decimal(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _Bad("must be a number")
    if isinstance(value, str) and not _DECIMAL_TEXT.match(value.strip()):
        raise _Bad("must be a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise _Bad("must be a finite number")
    try:
        # repr gives a float's shortest exact text, so 0.1 stays 0.1 and not 0.1000000000000000055.
        number = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
    except InvalidOperation:
        raise _Bad("must be a number") from None
    if abs(number) > Decimal(repr(MAX_ABS_NUMBER)):
        raise _Bad(f"must be at most {_show(MAX_ABS_NUMBER)} in size")
    return number


def _decimals(number: Decimal) -> int:
    exponent = number.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _show(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else repr(number)


def _date(form_field: FormField, value: object) -> str:
    return _iso_date(value)


def _iso_date(value: object, *, part: str = "") -> str:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, str) and _DATE.match(value):
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise _Bad("must be a date as YYYY-MM-DD", part=part)


def _date_range(form_field: FormField, value: object) -> dict[str, str]:
    if not isinstance(value, Mapping) or set(value) != {"from", "to"}:
        raise _Bad('must be {"from": date, "to": date}')
    start = _iso_date(value["from"], part="from")
    end = _iso_date(value["to"], part="to")
    if end < start:
        raise _Bad("must be on or after from", part="to")
    return {"from": start, "to": end}


def _select(form_field: FormField, value: object) -> str:
    allowed = [o.value for o in form_field.options]
    if not isinstance(value, str) or value not in allowed:
        raise _Bad("must be one of: " + ", ".join(allowed))
    return value


def _multi_select(form_field: FormField, value: object) -> list[str]:
    if not isinstance(value, list | tuple):
        raise _Bad("must be a list of options")
    allowed = [o.value for o in form_field.options]
    chosen: list[str] = []
    for item in value:
        if not isinstance(item, str) or item not in allowed:
            raise _Bad("each must be one of: " + ", ".join(allowed))
        if item in chosen:
            raise _Bad(f"must not repeat {item!r}")
        chosen.append(item)
    return chosen


def _identifier(form_field: FormField, value: object) -> str:
    what = "a username" if form_field.type == "user" else "an org unit key"
    if not isinstance(value, str):
        raise _Bad(f"must be {what}")
    text = value.strip()
    if len(text) > MAX_IDENTIFIER_LENGTH or not _IDENTIFIER.match(text):
        raise _Bad(f"must be {what}")
    return text


def _yes_no(form_field: FormField, value: object) -> bool:
    if not isinstance(value, bool):
        raise _Bad("must be true or false")
    return value


_NORMALIZERS: Mapping[str, Callable[[FormField, object], object]] = {
    "text": _text,
    "long_text": _text,
    "number": _number,
    "amount": _number,
    "date": _date,
    "date_range": _date_range,
    "select": _select,
    "multi_select": _multi_select,
    "user": _identifier,
    "org_unit": _identifier,
    "yes_no": _yes_no,
}
