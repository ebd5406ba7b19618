"""Named SQL: loads `-- name: x` sections from the .sql files beside this module."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

_NAME = re.compile(r"^--\s*name:\s*([a-z_][a-z0-9_]*)\s*$", re.MULTILINE)
# `:param` but not `::cast`, and not inside a string literal's `:` (we never put one there).
_PARAM = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")


@dataclass(frozen=True)
class Query:
    """One named statement, rewritten from `:name` parameters to asyncpg's `$n`."""

    name: str
    sql: str
    params: tuple[str, ...]

    def args(self, values: dict[str, object]) -> list[object]:
        missing = [p for p in self.params if p not in values]
        extra = sorted(set(values) - set(self.params))
        if missing or extra:
            raise TypeError(f"query {self.name}: missing {missing}, unexpected {extra}")
        return [values[p] for p in self.params]


def parse(text: str) -> dict[str, Query]:
    queries: dict[str, Query] = {}
    parts = _NAME.split(text)
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        order: list[str] = []

        def number(match: re.Match[str], order: list[str] = order) -> str:
            param = match.group(1)
            if param not in order:
                order.append(param)
            return f"${order.index(param) + 1}"

        sql = _PARAM.sub(number, body.strip())
        if name in queries:
            raise ValueError(f"query {name} defined twice")
        queries[name] = Query(name=name, sql=sql, params=tuple(order))
    return queries


@cache
def all_queries() -> dict[str, Query]:
    queries: dict[str, Query] = {}
    folder = resources.files("godkend.store") / "sql"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".sql"):
            for name, query in parse(entry.read_text(encoding="utf-8")).items():
                if name in queries:
                    raise ValueError(f"query {name} defined twice")
                queries[name] = query
    return queries


def get(name: str) -> Query:
    try:
        return all_queries()[name]
    except KeyError:
        raise KeyError(f"no SQL query named {name!r}") from None
