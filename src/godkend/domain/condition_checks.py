"""Type-checking CEL conditions against a form, without evaluating them.

`check_condition` finds what would fail or mislead at run time: unknown names, fields and
requester attributes, comparisons whose sides can never be of one kind, a result that is not a
bool, and optional fields used without a `has()` guard. What values a field type gives in CEL is
described in godkend.domain.conditions.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import lark

from godkend.domain.cel_tree import attribute_accesses, root_ident, string_literal, unwrap

if TYPE_CHECKING:
    from godkend.domain.conditions import Condition

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
                guarded.update(n for r, n in attribute_accesses(argument) if r == "fields")
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
    for root, name in attribute_accesses(tree):
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
    node = unwrap(tree)
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
        root = root_ident(node.children[0])
        if node.data == "member_dot":
            name: str | None = str(node.children[1])
        else:
            name = string_literal(node.children[1])
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
    node = unwrap(tree)
    if isinstance(node, lark.Tree) and node.data in {"member_dot", "member_index"}:
        for root, name in attribute_accesses(node):
            return f"{root}.{name} (a {kind})"
    return f"a {kind}"
