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
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import celpy
import lark
from celpy import celtypes
from celpy.celparser import CELParseError
from celpy.evaluation import CELEvalError, base_functions

from godkend.domain.errors import GodkendError

MAX_EXPRESSION_LENGTH = 1000
MAX_TREE_DEPTH = 300
REQUESTER_ATTRIBUTES = frozenset({"org_unit", "roles", "username"})

# The kind of value a form field type gives in CEL (see the module docstring).
FIELD_KINDS: Mapping[str, str] = {
    "text": "string",
    "long_text": "string",
    "select": "string",
    "date": "string",
    "user": "string",
    "org_unit": "string",
    "number": "number",
    "amount": "number",
    "yes_no": "bool",
    "multi_select": "list",
    "date_range": "map",
}
_REQUESTER_KINDS = {"org_unit": "string", "username": "string", "roles": "list"}
_LITERAL_KINDS = {
    "INT_LIT": "number",
    "UINT_LIT": "number",
    "FLOAT_LIT": "number",
    "STRING_LIT": "string",
    "MLSTRING_LIT": "string",
    "BYTES_LIT": "bytes",
    "BOOL_LIT": "bool",
    "NULL_LIT": "null",
}
_MACROS = frozenset({"all", "exists", "exists_one", "map", "filter"})
_TYPE_NAMES = frozenset(
    {"int", "uint", "double", "bool", "string", "bytes", "list", "map", "null_type", "type"}
)
_PASS_THROUGH = frozenset(
    {"expr", "conditionalor", "conditionaland", "relation", "addition", "multiplication"}
    | {"unary", "member", "primary", "paren_expr"}
)
_COMPARISONS = frozenset(
    {"relation_lt", "relation_le", "relation_gt", "relation_ge", "relation_eq", "relation_ne"}
)


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
    if _depth(tree) > MAX_TREE_DEPTH:
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


def _depth(tree: lark.Tree[Any]) -> int:
    # Iterative, so that a hostile expression cannot overflow the stack here.
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((c, depth + 1) for c in node.children if isinstance(c, lark.Tree))
    return deepest


def _references(tree: lark.Tree[Any]) -> tuple[frozenset[str], frozenset[str]]:
    fields_used: set[str] = set()
    requester_used: set[str] = set()
    for root, name in _attribute_accesses(tree):
        (fields_used if root == "fields" else requester_used).add(name)
    return frozenset(fields_used), frozenset(requester_used)


def _root_ident(member: object) -> str | None:
    """`fields` for the member tree `fields`, else None."""
    node = member
    for expected in ("member", "primary", "ident"):
        if not isinstance(node, lark.Tree) or node.data != expected or len(node.children) != 1:
            return None
        node = node.children[0]
    return str(node)


def _unwrap(tree: object) -> object:
    """The node under single-child wrappers (expr > ... > primary) down to an ident or literal."""
    node = tree
    while isinstance(node, lark.Tree) and len(node.children) == 1:
        if node.data in {"ident", "literal"}:
            break
        node = node.children[0]
    return node


def _string_literal(tree: object) -> str | None:
    """The value of a plain quoted string literal tree, else None."""
    node = _unwrap(tree)
    if not isinstance(node, lark.Tree) or node.data != "literal":
        return None
    token = node.children[0]
    text = str(token)
    if getattr(token, "type", "") == "STRING_LIT" and "\\" not in text:
        return text[1:-1]
    return None


def _attribute_accesses(tree: lark.Tree[Any]) -> Iterator[tuple[str, str]]:
    """(`fields` or `requester`, name) for each `x.name` and `x['name']` in the tree."""
    for node in tree.iter_subtrees():
        if node.data not in {"member_dot", "member_index"}:
            continue
        root = _root_ident(node.children[0])
        if root not in {"fields", "requester"}:
            continue
        if node.data == "member_dot":
            yield root, str(node.children[1])
        elif (key := _string_literal(node.children[1])) is not None:
            yield root, key


# -- checking against a form ----------------------------------------------------------------


def check_condition(
    condition: Condition,
    field_types: Mapping[str, str | None],
    *,
    allow_requester: bool = True,
    optional_fields: frozenset[str] = frozenset(),
) -> list[str]:
    """Problems with `condition` for a form whose fields have these types (None: unknown).

    Finds unknown names, unknown fields and requester attributes, comparisons whose two sides
    can never be of the same kind (text with a number, say), a result that is not a bool, and
    `optional_fields` used without a `has(fields.<key>)` guard (they may be absent).
    """
    problems = list(
        dict.fromkeys(_name_problems(condition.tree, field_types, allow_requester=allow_requester))
    )
    guarded = _guarded_fields(condition.tree)
    problems.extend(
        f"fields.{key} is optional: guard it with has(fields.{key})"
        for key in sorted((condition.fields_used & optional_fields) - guarded)
    )
    checker = _KindChecker(field_types)
    kind = checker.kind_of(condition.tree)
    problems.extend(checker.problems)
    if kind is not None and kind != "bool":
        problems.append(f"the condition gives a {kind}, not true or false")
    return problems


def _guarded_fields(tree: lark.Tree[Any]) -> frozenset[str]:
    """Fields named inside a `has(...)` anywhere in the tree."""
    guarded: set[str] = set()
    for node in tree.iter_subtrees():
        if node.data == "ident_arg" and str(node.children[0]) == "has" and len(node.children) > 1:
            argument = node.children[1]
            if isinstance(argument, lark.Tree):
                guarded.update(n for r, n in _attribute_accesses(argument) if r == "fields")
    return frozenset(guarded)


def _name_problems(
    tree: lark.Tree[Any], field_types: Mapping[str, str | None], *, allow_requester: bool
) -> Iterator[str]:
    bound = _macro_variables(tree)
    for node in tree.iter_subtrees():
        if node.data == "ident" and (name := str(node.children[0])) not in bound:
            if name == "requester" and not allow_requester:
                yield "requester is not available here; use only fields"
            elif name not in {"fields", "requester"} | _TYPE_NAMES:
                yield f"unknown name {name!r}: use fields.<key> or requester.<attribute>"
        elif node.data == "dot_ident":
            yield f"unknown name '.{node.children[0]}'"
    for root, name in _attribute_accesses(tree):
        if root == "fields" and name not in field_types:
            yield f"unknown field {name!r}"
        elif root == "requester" and allow_requester and name not in REQUESTER_ATTRIBUTES:
            yield f"requester has no {name!r}: use org_unit, roles or username"


def _macro_variables(tree: lark.Tree[Any]) -> frozenset[str]:
    """Names bound by macros such as `requester.roles.exists(r, r == 'hr')`."""
    names: set[str] = set()
    for node in tree.iter_subtrees():
        if node.data == "member_dot_arg" and str(node.children[1]) in _MACROS:
            args = node.children[2] if len(node.children) > 2 else None
            if isinstance(args, lark.Tree) and args.children:
                name = _bare_ident(args.children[0])
                if name is not None:
                    names.add(name)
    return frozenset(names)


def _bare_ident(tree: object) -> str | None:
    node = _unwrap(tree)
    return str(node.children[0]) if isinstance(node, lark.Tree) and node.data == "ident" else None


class _KindChecker:
    """Infers the kind (number, string, bool, list, map, ...) of sub-expressions it can."""

    def __init__(self, field_types: Mapping[str, str | None]) -> None:
        self.field_types = field_types
        self.problems: list[str] = []

    def kind_of(self, node: object) -> str | None:
        if not isinstance(node, lark.Tree):
            return None
        data, children = node.data, node.children
        if data in _PASS_THROUGH and len(children) == 1:
            return self.kind_of(children[0])
        if data == "literal":
            return _LITERAL_KINDS.get(getattr(children[0], "type", ""))
        if data in {"member_dot", "member_index"}:
            return self._attribute_kind(node)
        if data == "relation" and len(children) == 2:
            return self._relation_kind(node)
        if data in {"addition", "multiplication"} and len(children) == 2:
            return self._arithmetic_kind(node)
        if data in {"conditionalor", "conditionaland"} or (data == "unary" and _is_not(node)):
            self._visit_all(children)
            return "bool"
        if data == "ident_arg":
            self._visit_all(children)
            return {"has": "bool", "size": "number"}.get(str(children[0]))
        self._visit_all(children)
        return None

    def _visit_all(self, children: Sequence[object]) -> None:
        for child in children:
            self.kind_of(child)

    def _attribute_kind(self, node: lark.Tree[Any]) -> str | None:
        root = _root_ident(node.children[0])
        if node.data == "member_dot":
            name: str | None = str(node.children[1])
        else:
            name = _string_literal(node.children[1])
            self.kind_of(node.children[1])
        if root == "fields" and name is not None:
            field_type = self.field_types.get(name)
            return FIELD_KINDS.get(field_type) if field_type else None
        if root == "requester" and name is not None:
            return _REQUESTER_KINDS.get(name)
        self.kind_of(node.children[0])
        return None

    def _arithmetic_kind(self, node: lark.Tree[Any]) -> str | None:
        operator, right_tree = node.children
        assert isinstance(operator, lark.Tree)
        left = self.kind_of(operator.children[0])
        right = self.kind_of(right_tree)
        if left == right == "number":
            return "number"
        if left == right == "string" and operator.data == "addition_add":
            return "string"
        return None

    def _relation_kind(self, node: lark.Tree[Any]) -> str:
        operator, right_tree = node.children
        assert isinstance(operator, lark.Tree)
        left = self.kind_of(operator.children[0])
        right = self.kind_of(right_tree)
        if left is None or right is None:
            return "bool"
        if operator.data in _COMPARISONS and left != right:
            self.problems.append(
                f"cannot compare {_describe(operator.children[0], left)} "
                f"with {_describe(right_tree, right)}"
            )
        elif operator.data == "relation_in" and right not in {"list", "map"}:
            self.problems.append(f"'in' needs a list or a map on its right, not a {right}")
        return "bool"


def _is_not(node: lark.Tree[Any]) -> bool:
    first = node.children[0] if node.children else None
    return isinstance(first, lark.Tree) and first.data == "unary_not"


def _describe(tree: object, kind: str) -> str:
    node = _unwrap(tree)
    if isinstance(node, lark.Tree) and node.data in {"member_dot", "member_index"}:
        for root, name in _attribute_accesses(node):
            return f"{root}.{name} (a {kind})"
    return f"a {kind}"


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
