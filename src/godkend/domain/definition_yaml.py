"""Workflow definition files as YAML: parsed into plain data, with the line of every key and item.

The parser refuses what a definition never needs and an attacker could use: Python tags, merge
keys, files over MAX_DEFINITION_CHARS and alias expansion beyond MAX_YAML_NODES.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from godkend.domain.errors import InvalidDefinition

MAX_DEFINITION_CHARS = 256 * 1024
MAX_YAML_NODES = 20_000

Path = tuple[str | int, ...]

_PLAIN_TAGS = frozenset({"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})


@dataclass(frozen=True)
class Problem:
    """One problem found in a definition: its line, its path (may be empty) and what is wrong."""

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


@dataclass
class Document:
    data: object
    lines: dict[Path, int]
    problems: list[Problem] = field(default_factory=list)
    voided: set[Path] = field(default_factory=set)

    def line(self, path: Path) -> int:
        """The line of `path`, or of its nearest ancestor that is in the file."""
        for end in range(len(path), -1, -1):
            if (line := self.lines.get(path[:end])) is not None:
                return line
        return 1

    def problem(self, path: Path, message: str) -> Problem:
        return Problem(self.line(path), path, message)


class _TooLarge(Exception):
    pass


def _fail(source: str, line: int, message: str) -> InvalidDefinition:
    return InvalidDefinition([Problem(line, (), message).format(source)], source=source)


def parse_yaml(text: str, source: str) -> Document:
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
    return Document(data, builder.lines, builder.problems, builder.voided)


class _Builder:
    """Turns composed YAML nodes into plain data, noting the line of every key and item."""

    def __init__(self, loader: yaml.SafeLoader) -> None:
        self.loader = loader
        self.lines: dict[Path, int] = {}
        self.problems: list[Problem] = []
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
                    Problem(line, (*path, key), f"duplicate key {key!r} (first on line {first})")
                )
                continue
            self.lines[(*path, key)] = line
            result[key] = self.build(value_node, (*path, key))
        return result

    def _key(self, node: yaml.Node, path: Path, line: int) -> str | None:
        if node.tag == "tag:yaml.org,2002:merge":
            self.problems.append(Problem(line, path, "merge keys (<<) are not supported"))
            return None
        if not isinstance(node, yaml.ScalarNode):
            self.problems.append(Problem(line, path, "keys must be text"))
            return None
        key = self._scalar(node, path)
        if not isinstance(key, str):
            self.problems.append(Problem(line, path, f"keys must be text, not {key!r}"))
            return None
        return key

    def _scalar(self, node: yaml.Node, path: Path) -> object:
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            return self._void(node, path, f"invalid value: {exc.problem}")

    def _void(self, node: yaml.Node, path: Path, message: str) -> object:
        """Report a value that cannot be used (it becomes None); the model need not report it."""
        self.problems.append(Problem(node.start_mark.line + 1, path, message))
        self.voided.add(path)
        return None
