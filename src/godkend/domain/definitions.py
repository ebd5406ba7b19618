"""Loading workflow definitions from YAML text: parsing with line numbers, validation, digest.

`load_definition` reports every problem it finds, each as one line
`<source>:<line>: <path>: <message>` (for example
`ferie.yaml:12: steps[0].approvers.role: unknown role 'chef'`); problems without a path (a YAML
syntax error, an empty file) read `<source>:<line>: <message>`. The caller reads the file; this
module only sees text. The YAML layer is godkend.domain.definition_yaml, the checks beyond the
model godkend.domain.definition_checks.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator

from pydantic import ValidationError

from godkend.domain.definition_checks import DefinitionChecks, KnownNames
from godkend.domain.definition_yaml import (
    MAX_DEFINITION_CHARS,
    MAX_YAML_NODES,
    Document,
    Path,
    Problem,
    format_path,
    parse_yaml,
)
from godkend.domain.errors import InvalidDefinition
from godkend.domain.workflow import WorkflowDefinition

__all__ = [
    "MAX_DEFINITION_CHARS",
    "MAX_YAML_NODES",
    "definition_digest",
    "format_path",
    "load_definition",
]

_SHOULD = re.compile(r"^(Input|String|Value|Tuple|List|Dictionary) should ")


def load_definition(
    text: str,
    *,
    source: str,
    known_roles: frozenset[str] | None = None,
    known_org_units: frozenset[str] | None = None,
    known_groups: frozenset[str] | None = None,
) -> WorkflowDefinition:
    """The validated definition in `text`, or InvalidDefinition listing every problem.

    `known_roles` / `known_org_units` / `known_groups`, when given, are the only roles, org unit
    keys and group keys that `visible_to_roles`, `approvers` and `escalation.to` may name.
    """
    document = parse_yaml(text, source)
    problems = list(document.problems)
    definition: WorkflowDefinition | None = None
    if not isinstance(document.data, dict):
        problems.append(Problem(1, (), "the file must hold a mapping (key: value lines)"))
    else:
        known = KnownNames(roles=known_roles, org_units=known_org_units, groups=known_groups)
        checks = DefinitionChecks(document, known=known)
        problems.extend(checks.problems())
        try:
            definition = WorkflowDefinition.model_validate(document.data)
        except ValidationError as exc:
            problems.extend(_pydantic_problems(exc, document, skip_root=checks.found_duplicates))
    if problems or definition is None:
        ordered = sorted(problems, key=lambda p: p.line)
        raise InvalidDefinition([p.format(source) for p in ordered], source=source)
    return definition


def definition_digest(definition: WorkflowDefinition) -> str:
    """sha256 (hex) of the definition's canonical JSON: equal content, equal digest."""
    canonical = json.dumps(
        definition.model_dump(mode="json"),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# -- pydantic's findings --------------------------------------------------------------------


def _pydantic_problems(
    error: ValidationError, document: Document, *, skip_root: bool
) -> Iterator[Problem]:
    for item in error.errors(include_url=False):
        path: Path = tuple(item["loc"])
        # The model's own duplicate-key check: reported with better paths by DefinitionChecks.
        if not path and skip_root:
            continue
        if any(path[: len(v)] == v for v in document.voided):
            continue
        yield document.problem(path, _pydantic_message(item["type"], item["msg"]))


def _pydantic_message(kind: str, message: str) -> str:
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "is required"
    if kind in {"model_type", "dict_type", "model_attributes_type"}:
        return "must be a mapping (key: value lines)"
    if kind in {"tuple_type", "list_type"}:
        return "must be a list (- item lines)"
    if kind in {"bool_type", "bool_parsing"}:
        return "must be true or false"
    message = message.removeprefix("Value error, ")
    return _SHOULD.sub("must ", message)
