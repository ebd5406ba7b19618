"""The built-in workflow definitions: one YAML file each, shipped inside the package."""

from __future__ import annotations

from importlib.resources import files


def builtin_definition_texts() -> list[tuple[str, str]]:
    """(file name, YAML text) of every built-in definition, sorted by file name."""
    package = files(__name__)
    entries = [e for e in package.iterdir() if e.is_file() and e.name.endswith(".yaml")]
    return [(e.name, e.read_text(encoding="utf-8")) for e in sorted(entries, key=lambda e: e.name)]
