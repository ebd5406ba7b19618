"""Loading workflow definitions from YAML text: parsing with line numbers, validation, digest.

`load_definition` reports every problem it finds, each as one line
`<source>:<line>: <path>: <message>` (for example
`ferie.yaml:12: steps[0].approvers.role: unknown role 'chef'`); problems without a path (a YAML
syntax error, an empty file) read `<source>:<line>: <message>`. The caller reads the file; this
module only sees text.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from godkend.domain.conditions import ConditionError, check_condition, compile_condition
from godkend.domain.errors import InvalidDefinition
from godkend.domain.workflow import Approvers, FormField, WorkflowDefinition

MAX_DEFINITION_CHARS = 256 * 1024
MAX_YAML_NODES = 20_000
MAX_PATTERN_LENGTH = 300

Path = tuple[str | int, ...]

_NUMERIC_TYPES = frozenset({"number", "amount"})
_TEXT_TYPES = frozenset({"text", "long_text"})
_PLAIN_TAGS = frozenset({"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})
_SHOULD = re.compile(r"^(Input|String|Value|Tuple|List|Dictionary) should ")


@dataclass(frozen=True)
class _Problem:
    line: int
    path: Path
    message: str

    def format(self, source: str) -> str:
        where = f"{source}:{self.line}:"
        if not self.path:
            return f"{where} {self.message}"
        return f"{where} {format_path(self.path)}: {self.message}"


def format_path(path: Path) -> str:
    """`steps[0].approvers.role` for ("steps", 0, "approvers", "role")."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


# -- the public functions -------------------------------------------------------------------


def load_definition(
    text: str,
    *,
    source: str,
    known_roles: frozenset[str] | None = None,
    known_org_units: frozenset[str] | None = None,
) -> WorkflowDefinition:
    """The validated definition in `text`, or InvalidDefinition listing every problem.

    `known_roles` / `known_org_units`, when given, are the only roles / org unit keys that
    `visible_to_roles` and `approvers` may name.
    """
    document = _parse(text, source)
    problems = list(document.problems)
    definition: WorkflowDefinition | None = None
    if not isinstance(document.data, dict):
        problems.append(_Problem(1, (), "the file must hold a mapping (key: value lines)"))
    else:
        semantic = _Semantics(document, known_roles=known_roles, known_org_units=known_org_units)
        problems.extend(semantic.problems())
        try:
            definition = WorkflowDefinition.model_validate(document.data)
        except ValidationError as exc:
            problems.extend(_pydantic_problems(exc, document, skip_root=semantic.found_duplicates))
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


# -- YAML with line numbers -----------------------------------------------------------------


@dataclass
class _Document:
    data: object
    lines: dict[Path, int]
    problems: list[_Problem] = field(default_factory=list)
    voided: set[Path] = field(default_factory=set)

    def line(self, path: Path) -> int:
        """The line of `path`, or of its nearest ancestor that is in the file."""
        for end in range(len(path), -1, -1):
            if (line := self.lines.get(path[:end])) is not None:
                return line
        return 1

    def problem(self, path: Path, message: str) -> _Problem:
        return _Problem(self.line(path), path, message)


class _TooLarge(Exception):
    pass


def _fail(source: str, line: int, message: str) -> InvalidDefinition:
    return InvalidDefinition([_Problem(line, (), message).format(source)], source=source)


def _parse(text: str, source: str) -> _Document:
    if len(text) > MAX_DEFINITION_CHARS:
        raise _fail(source, 1, f"the file is larger than {MAX_DEFINITION_CHARS} characters")
    loader: yaml.SafeLoader | None = None
    try:
        loader = yaml.SafeLoader(text)
        node = loader.get_single_node()
        if node is None:
            raise _fail(source, 1, "the file is empty")
        builder = _Builder(loader)
        data = builder.build(node, ())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise _fail(source, line, f"invalid YAML: {exc.problem or exc.context}") from None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        raise _fail(source, line, f"invalid YAML: {exc.reason} (#x{exc.character:04x})") from None
    except yaml.YAMLError as exc:
        raise _fail(source, 1, f"invalid YAML: {exc}") from None
    except (_TooLarge, RecursionError):
        raise _fail(source, 1, "the file is too large or nested too deeply") from None
    finally:
        if loader is not None:
            loader.dispose()
    return _Document(data, builder.lines, builder.problems, builder.voided)


class _Builder:
    """Turns composed YAML nodes into plain data, noting the line of every key and item."""

    def __init__(self, loader: yaml.SafeLoader) -> None:
        self.loader = loader
        self.lines: dict[Path, int] = {}
        self.problems: list[_Problem] = []
        self.voided: set[Path] = set()
        self.count = 0

    def build(self, node: yaml.Node, path: Path) -> object:
        # Aliases make shared nodes; counting visits bounds "billion laughs" expansion.
        self.count += 1
        if self.count > MAX_YAML_NODES:
            raise _TooLarge
        if not path:
            self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in _PLAIN_TAGS:
            message = f"invalid value: the tag {node.tag!r} is not allowed"
            return self._void(node, path, message)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self._item(i, item, path) for i, item in enumerate(node.value)]
        return self._scalar(node, path)

    def _item(self, index: int, node: yaml.Node, path: Path) -> object:
        self.lines[(*path, index)] = node.start_mark.line + 1
        return self.build(node, (*path, index))

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, object]:
        result: dict[str, object] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            key = self._key(key_node, path, line)
            if key is None:
                continue
            if key in result:
                first = self.lines[(*path, key)]
                self.problems.append(
                    _Problem(line, (*path, key), f"duplicate key {key!r} (first on line {first})")
                )
                continue
            self.lines[(*path, key)] = line
            result[key] = self.build(value_node, (*path, key))
        return result

    def _key(self, node: yaml.Node, path: Path, line: int) -> str | None:
        if node.tag == "tag:yaml.org,2002:merge":
            self.problems.append(_Problem(line, path, "merge keys (<<) are not supported"))
            return None
        if not isinstance(node, yaml.ScalarNode):
            self.problems.append(_Problem(line, path, "keys must be text"))
            return None
        key = self._scalar(node, path)
        if not isinstance(key, str):
            self.problems.append(_Problem(line, path, f"keys must be text, not {key!r}"))
            return None
        return key

    def _scalar(self, node: yaml.Node, path: Path) -> object:
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            return self._void(node, path, f"invalid value: {exc.problem}")

    def _void(self, node: yaml.Node, path: Path, message: str) -> object:
        """Report a value that cannot be used (it becomes None); the model need not report it."""
        self.problems.append(_Problem(node.start_mark.line + 1, path, message))
        self.voided.add(path)
        return None


# -- pydantic's findings --------------------------------------------------------------------


def _pydantic_problems(
    error: ValidationError, document: _Document, *, skip_root: bool
) -> Iterator[_Problem]:
    for item in error.errors(include_url=False):
        path: Path = tuple(item["loc"])
        # The model's own duplicate-key check: reported with better paths by _Semantics.
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
    message = message.removeprefix("Value error, ")
    return _SHOULD.sub("must ", message)


# -- checks beyond the model ----------------------------------------------------------------


def _valid(model: type[BaseModel], data: object) -> Any:
    """The item validated alone, or None: semantic checks look only at items that are valid."""
    try:
        return model.model_validate(data)
    except ValidationError:
        return None


def _items(data: Mapping[str, object], key: str) -> list[object]:
    value = data.get(key)
    return value if isinstance(value, list) else []


class _Semantics:
    """The checks pydantic cannot make: keys unique, CEL valid, roles known, limits sensible."""

    def __init__(
        self,
        document: _Document,
        *,
        known_roles: frozenset[str] | None,
        known_org_units: frozenset[str] | None,
    ) -> None:
        assert isinstance(document.data, dict)
        self.document = document
        self.data: dict[str, object] = document.data
        self.known_roles = known_roles
        self.known_org_units = known_org_units
        self.found_duplicates = False
        self.field_types: dict[str, str | None] = {}
        self.optional_fields: set[str] = set()

    def problems(self) -> Iterator[_Problem]:
        yield from self._fields()
        yield from self._duplicates("steps", "step")
        yield from self._visible_to_roles()
        yield from self._rules()
        yield from self._steps()

    def _problem(self, path: Path, message: str) -> _Problem:
        return self.document.problem(path, message)

    def _duplicates(self, section: str, what: str) -> Iterator[_Problem]:
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

    def _fields(self) -> Iterator[_Problem]:
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

    def _field_limits(self, path: Path, form_field: FormField) -> Iterator[_Problem]:
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

    def _pattern(self, path: Path, pattern: str) -> Iterator[_Problem]:
        if len(pattern) > MAX_PATTERN_LENGTH:
            yield self._problem(path, f"must be at most {MAX_PATTERN_LENGTH} characters")
            return
        try:
            re.compile(pattern)
        except re.error as exc:
            yield self._problem(path, f"invalid regular expression: {exc}")

    def _visible_to_roles(self) -> Iterator[_Problem]:
        for index, role in enumerate(_items(self.data, "visible_to_roles")):
            if isinstance(role, str) and not self._role_known(role):
                yield self._problem(("visible_to_roles", index), f"unknown role {role!r}")

    def _role_known(self, role: str) -> bool:
        return self.known_roles is None or role in self.known_roles

    def _condition(
        self, path: Path, expression: str, *, allow_requester: bool
    ) -> Iterator[_Problem]:
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

    def _rules(self) -> Iterator[_Problem]:
        for index, raw in enumerate(_items(self.data, "rules")):
            if not isinstance(raw, dict):
                continue
            path: Path = ("rules", index)
            if isinstance(require := raw.get("require"), str):
                yield from self._condition((*path, "require"), require, allow_requester=False)
            target = raw.get("field")
            if isinstance(target, str) and target not in self.field_types:
                yield self._problem((*path, "field"), f"unknown field {target!r}")

    def _steps(self) -> Iterator[_Problem]:
        raw_steps = _items(self.data, "steps")
        for index, raw in enumerate(raw_steps):
            if isinstance(raw, dict):
                yield from self._step(("steps", index), raw)
        if raw_steps and all(isinstance(s, dict) and s.get("when") for s in raw_steps):
            message = "at least one step must have no 'when', so every request is decided"
            yield self._problem(("steps",), message)

    def _step(self, path: Path, raw: dict[str, object]) -> Iterator[_Problem]:
        # Checked part by part, so a problem elsewhere in the step hides none of these.
        if isinstance(when := raw.get("when"), str):
            yield from self._condition((*path, "when"), when, allow_requester=True)
        approvers: Approvers | None = _valid(Approvers, raw.get("approvers"))
        if approvers is None:
            return
        if approvers.role is not None and not self._role_known(approvers.role):
            yield self._problem((*path, "approvers", "role"), f"unknown role {approvers.role!r}")
        units = self.known_org_units
        if approvers.org_unit is not None and units is not None and approvers.org_unit not in units:
            message = f"unknown org unit {approvers.org_unit!r}"
            yield self._problem((*path, "approvers", "org_unit"), message)
        k = raw.get("k")
        if raw.get("mode") == "k_of_n" and isinstance(k, int) and k > 1 and approvers.role is None:
            yield self._problem((*path, "k"), "must be 1: a manager or user step has one approver")
