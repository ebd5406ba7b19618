"""Reading parsed CEL expressions (lark trees): names, string literals, `x.name` accesses."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import lark


def depth(tree: lark.Tree[Any]) -> int:
    """The depth of the tree; iterative, so that a hostile expression cannot overflow the stack."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((c, level + 1) for c in node.children if isinstance(c, lark.Tree))
    return deepest


def root_ident(member: object) -> str | None:
    """`fields` for the member tree `fields`, else None."""
    node = member
    for expected in ("member", "primary", "ident"):
        if not isinstance(node, lark.Tree) or node.data != expected or len(node.children) != 1:
            return None
        node = node.children[0]
    return str(node)


def unwrap(tree: object) -> object:
    """The node under single-child wrappers (expr > ... > primary) down to an ident or literal."""
    node = tree
    while isinstance(node, lark.Tree) and len(node.children) == 1:
        if node.data in {"ident", "literal"}:
            break
        node = node.children[0]
    return node


def string_literal(tree: object) -> str | None:
    """The value of a plain quoted string literal tree, else None."""
    node = unwrap(tree)
    if not isinstance(node, lark.Tree) or node.data != "literal":
        return None
    token = node.children[0]
    text = str(token)
    if getattr(token, "type", "") == "STRING_LIT" and "\\" not in text:
        return text[1:-1]
    return None


def attribute_accesses(tree: lark.Tree[Any]) -> Iterator[tuple[str, str]]:
    """(`fields` or `requester`, name) for each `x.name` and `x['name']` in the tree."""
    for node in tree.iter_subtrees():
        if node.data not in {"member_dot", "member_index"}:
            continue
        root = root_ident(node.children[0])
        if root not in {"fields", "requester"}:
            continue
        if node.data == "member_dot":
            yield root, str(node.children[1])
        elif (key := string_literal(node.children[1])) is not None:
            yield root, key
