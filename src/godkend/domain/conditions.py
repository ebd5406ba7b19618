"""CEL conditions over a request's form fields and requester: compiling, checking and evaluating.

Conditions are CEL (https://cel.dev), run by the `cel-python` interpreter: never Python `eval`.
What an expression sees:

- `fields.<key>` for each form field that has a value. Optional fields without a value are
  *absent*, not null: guard them with `has(fields.note) && ...`.
- number and amount fields are CEL doubles. Numbers compare numerically across int and double
  (`==`, `!=`, `<`, `<=`, `>`, `>=`, `in`), as current CEL specifies, so `fields.amount > 10000`
  and `fields.amount == 10000` both work without writing `10000.0`.
- date fields are strings `'YYYY-MM-DD'`. ISO dates order like text, so `fields.to >= fields.from`
  and `fields.from >= '2026-07-01'` are correct. A date_range is a map `{'from': .., 'to': ..}`.
- text, long_text, select, user and org_unit are strings, multi_select a list of strings,
  yes_no a bool.
- `requester.org_unit` (string), `requester.roles` (list of strings), `requester.username`.

A condition must give a bool; anything else, or an evaluation error, raises ConditionError
rather than silently counting as false.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import celpy
import lark
from celpy import celtypes
from celpy.celparser import CELParseError
from celpy.evaluation import CELEvalError, base_functions

from godkend.domain.cel_tree import attribute_accesses, depth
from godkend.domain.condition_checks import FIELD_KINDS, REQUESTER_ATTRIBUTES, check_condition
from godkend.domain.errors import GodkendError

# The checker lives in its own module; these names are part of this module's interface too.
__all__ = [
    "FIELD_KINDS",
    "MAX_EXPRESSION_LENGTH",
    "REQUESTER_ATTRIBUTES",
    "Condition",
    "ConditionError",
    "check_condition",
    "compile_condition",
    "to_cel",
]

MAX_EXPRESSION_LENGTH = 1000
MAX_TREE_DEPTH = 300


class ConditionError(GodkendError):
    """The condition could not be compiled or evaluated."""


# -- numbers compare across int and double ------------------------------------------------


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _numeric_eq(left: Any, right: Any) -> Any:
    if _is_number(left) and _is_number(right):
        return celtypes.BoolType(float(left) == float(right))
    return base_functions["_==_"](left, right)


def _numeric_ne(left: Any, right: Any) -> Any:
    if _is_number(left) and _is_number(right):
        return celtypes.BoolType(float(left) != float(right))
    return base_functions["_!=_"](left, right)


def _numeric_in(item: Any, container: Any) -> Any:
    if _is_number(item) and isinstance(container, celtypes.ListType):
        items: list[Any] = list(container)
        numbers = (float(c) for c in items if _is_number(c))
        return celtypes.BoolType(float(item) in numbers)
    return base_functions["_in_"](item, container)


_FUNCTIONS: dict[str, Any] = {"_==_": _numeric_eq, "_!=_": _numeric_ne, "_in_": _numeric_in}


@functools.cache
def _environment() -> celpy.Environment:
    # Built once: the environment loads the grammar and raises the recursion limit.
    return celpy.Environment()


# -- compiling ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """A compiled CEL condition and the names it uses."""

    source: str
    fields_used: frozenset[str]
    requester_used: frozenset[str]
    tree: lark.Tree[Any] = field(repr=False, compare=False)
    _runner: celpy.Runner = field(repr=False, compare=False)

    def evaluate(self, fields: Mapping[str, object], requester: Mapping[str, object]) -> bool:
        """True or False for these values; ConditionError when the result is not a bool."""
        activation = {"fields": to_cel(fields), "requester": to_cel(requester)}
        try:
            result = self._runner.evaluate(activation)
        except Exception as exc:  # the interpreter raises assorted Python errors on bad data
            raise ConditionError(
                f"{self.source!r} could not be evaluated: {_reason(exc)}", condition=self.source
            ) from exc
        if isinstance(result, CELEvalError):
            raise ConditionError(
                f"{self.source!r} could not be evaluated: {_reason(result)}", condition=self.source
            )
        if not isinstance(result, celtypes.BoolType):
            raise ConditionError(
                f"{self.source!r} gave {result!r}, not true or false", condition=self.source
            )
        return bool(result)


def _reason(error: BaseException) -> str:
    """A short cause; celpy's own messages can embed its whole activation."""
    args = error.args
    first = str(args[0]) if args else type(error).__name__
    if first.startswith("no such member in mapping"):
        return f"no value for {first.rsplit(':', 1)[-1].strip()}"
    if first.startswith("found no matching overload"):
        return "the values have types that cannot be combined"
    if first.startswith("undeclared reference"):
        return "unknown name " + (repr(args[2][0]) if len(args) > 2 and args[2] else "")
    return first[:200]


@functools.lru_cache(maxsize=1024)
def compile_condition(expression: str) -> Condition:
    """Parse `expression`; ConditionError (one line, with the column) on a syntax error."""
    if not expression.strip():
        raise ConditionError("the condition is empty")
    if len(expression) > MAX_EXPRESSION_LENGTH:
        raise ConditionError(f"the condition is longer than {MAX_EXPRESSION_LENGTH} characters")
    env = _environment()
    try:
        tree = env.compile(expression)
    except CELParseError as exc:
        raise ConditionError(_syntax_message(expression, exc)) from None
    if depth(tree) > MAX_TREE_DEPTH:
        raise ConditionError("the condition is nested too deeply")
    fields_used, requester_used = _references(tree)
    runner = env.program(tree, functions=_FUNCTIONS)
    return Condition(expression, fields_used, requester_used, tree, runner)


def _syntax_message(expression: str, error: CELParseError) -> str:
    """One line naming the unexpected character (the parser's own text spans several lines)."""
    line, column = error.line, error.column
    lines = expression.splitlines() or [""]
    row = lines[line - 1] if line and line <= len(lines) else ""
    at_end = getattr(getattr(error.__context__, "token", None), "type", None) == "$END"
    if at_end or column is None or column > len(row):
        return "syntax error: unexpected end of the condition"
    where = f"line {line}, column {column}" if len(lines) > 1 else f"column {column}"
    return f"syntax error: unexpected {row[column - 1]!r} at {where}"


def _references(tree: lark.Tree[Any]) -> tuple[frozenset[str], frozenset[str]]:
    fields_used: set[str] = set()
    requester_used: set[str] = set()
    for root, name in attribute_accesses(tree):
        (fields_used if root == "fields" else requester_used).add(name)
    return frozenset(fields_used), frozenset(requester_used)


# -- values ---------------------------------------------------------------------------------


def to_cel(value: object) -> Any:
    """A Python value (normalized form values, requester facts) as a CEL value."""
    if isinstance(value, bool):
        return celtypes.BoolType(value)
    if isinstance(value, int | float | Decimal):
        return celtypes.DoubleType(float(value))
    if isinstance(value, str):
        return celtypes.StringType(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return celtypes.StringType(value.isoformat())
    if isinstance(value, Mapping):
        return celtypes.MapType(
            {celtypes.StringType(str(k)): to_cel(v) for k, v in value.items() if v is not None}
        )
    if isinstance(value, list | tuple | frozenset | set):
        return celtypes.ListType([to_cel(v) for v in value])
    raise ConditionError(f"a {type(value).__name__} cannot be used in a condition")
