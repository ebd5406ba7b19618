"""Mermaid flowcharts of workflows: one box per step, a diamond per condition, the engine's path."""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from godkend.domain.definitions import load_definition
from godkend.domain.diagram import mermaid
from godkend.domain.workflow import WorkflowDefinition

WORKFLOWS = Path(__file__).resolve().parents[2] / "src" / "godkend" / "workflows"
BUILT_IN = sorted(WORKFLOWS.glob("*.yaml"))

NODE = re.compile(r'^\s+(\w+)(?:\["|\{"|\(\[")(.*)"(?:\]|\}|\]\))$')
BOX, DIAMOND = re.compile(r"s\d+$"), re.compile(r"c\d+$")
EDGE = re.compile(r"^\s+(\w+) (-->|-\.->)(?:\|([^|]*)\|)? (\w+)$")


@dataclass(frozen=True)
class Edge:
    source: str
    dotted: bool
    label: str | None
    target: str


@dataclass(frozen=True)
class Chart:
    nodes: dict[str, str]
    edges: list[Edge]

    def out_of(self, node: str) -> list[Edge]:
        return [e for e in self.edges if e.source == node]

    def into(self, node: str) -> list[Edge]:
        return [e for e in self.edges if e.target == node]


def parse(text: str) -> Chart:
    """Every line after the header is a node or an edge; anything else fails the test."""
    header, *body = text.splitlines()
    assert header == "flowchart TD"
    nodes: dict[str, str] = {}
    edges: list[Edge] = []
    for line in body:
        if node := NODE.match(line):
            assert node[1] not in nodes, f"node {node[1]} declared twice"
            nodes[node[1]] = node[2]
        elif edge := EDGE.match(line):
            edges.append(Edge(edge[1], edge[2] == "-.->", edge[3], edge[4]))
        else:
            pytest.fail(f"neither a node nor an edge: {line!r}")
    return Chart(nodes, edges)


def unescape(label: str) -> str:
    """The text behind Mermaid's entity codes (`#quot;` is `"`), as the chart shows it."""
    for char, code in (('"', "#quot;"), ("<", "#lt;"), (">", "#gt;"), ("&", "#amp;")):
        label = label.replace(code, char)
    return label


def definition(*steps: Mapping[str, object], title: str = "Test") -> WorkflowDefinition:
    return WorkflowDefinition.model_validate(
        {
            "key": "test",
            "title": {"da": title, "en": title},
            "description": {"da": "Test", "en": "Test"},
            "fields": [{"key": "kind", "type": "text", "label": {"da": "Art", "en": "Kind"}}],
            "steps": [
                {
                    "key": f"step{index}",
                    "name": {"da": f"Trin {index}", "en": f"Step {index}"},
                    "approvers": {"role": "approver"},
                    **step,
                }
                for index, step in enumerate(steps)
            ],
        }
    )


def walk(chart: Chart, conditions: Mapping[str, bool], *, yes: str = "ja") -> list[str]:
    """The step boxes an approved request passes through, each condition decided as given."""
    passed: list[str] = []
    node = "start"
    for _ in range(3 * len(chart.nodes)):  # bounded: a cycle on the approval path fails
        if node == "approved":
            return passed
        forward = [e for e in chart.out_of(node) if not e.dotted and e.target != "rejected"]
        if DIAMOND.match(node):
            forward = [e for e in forward if (e.label == yes) == conditions[node]]
        assert len(forward) == 1, (node, forward)
        node = forward[0].target
        if BOX.match(node):
            passed.append(node)
    pytest.fail(f"no way from start to approved: {passed}")


@pytest.fixture(params=BUILT_IN, ids=lambda path: path.stem)
def built_in(request: pytest.FixtureRequest) -> WorkflowDefinition:
    path: Path = request.param
    return load_definition(path.read_text(), source=path.name)


def test_the_built_in_workflows_are_there() -> None:
    assert {"ferie", "udlaeg", "it-adgang"} <= {path.stem for path in BUILT_IN}


def test_a_built_in_chart_has_a_box_per_step_and_a_diamond_per_condition(
    built_in: WorkflowDefinition,
) -> None:
    text = mermaid(built_in)
    assert text.startswith("flowchart TD\n")
    chart = parse(text)
    steps = built_in.steps
    assert sorted(n for n in chart.nodes if BOX.match(n)) == [f"s{i}" for i in range(len(steps))]
    conditional = [f"c{i}" for i, step in enumerate(steps) if step.when]
    assert sorted(n for n in chart.nodes if DIAMOND.match(n)) == conditional
    assert set(chart.nodes) == {"start", "approved", "rejected"} | {
        f"s{i}" for i in range(len(steps))
    } | set(conditional)
    for index, step in enumerate(steps):
        assert chart.nodes[f"s{index}"].startswith(step.name.da)
        if step.when:
            assert unescape(chart.nodes[f"c{index}"]) == step.when


def test_a_built_in_chart_only_links_nodes_it_declares(built_in: WorkflowDefinition) -> None:
    chart = parse(mermaid(built_in))
    for edge in chart.edges:
        assert {edge.source, edge.target} <= set(chart.nodes), edge
    for index, step in enumerate(built_in.steps):
        assert any(e.target == "rejected" for e in chart.out_of(f"s{index}"))
        returns = [e for e in chart.out_of(f"s{index}") if e.dotted]
        assert [e.target for e in returns] == (["start"] if step.may_return else [])


def test_a_built_in_chart_follows_the_steps_the_engine_would_take(
    built_in: WorkflowDefinition,
) -> None:
    chart = parse(mermaid(built_in))
    diamonds = [f"c{i}" for i, step in enumerate(built_in.steps) if step.when]
    for values in itertools.product([True, False], repeat=len(diamonds)):
        conditions = dict(zip(diamonds, values, strict=True))
        expected = [
            f"s{i}" for i, step in enumerate(built_in.steps) if not step.when or conditions[f"c{i}"]
        ]
        assert walk(chart, conditions) == expected


def test_udlaeg_asks_finance_only_above_10000_kr() -> None:
    path = WORKFLOWS / "udlaeg.yaml"
    chart = parse(mermaid(load_definition(path.read_text(), source=path.name)))
    assert chart.nodes["c1"] == "fields.amount #gt; 10000"
    assert walk(chart, {"c1": True}) == ["s0", "s1"]
    assert walk(chart, {"c1": False}) == ["s0"]


def test_consecutive_conditions_are_each_asked() -> None:
    workflow = definition({"when": "fields.kind == 'a'"}, {"when": "fields.kind == 'b'"}, {})
    chart = parse(mermaid(workflow))
    # The first condition's "no" leads to the second condition, never past it into its step.
    assert [e.target for e in chart.out_of("c0") if e.label == "nej"] == ["c1"]
    assert {e.source for e in chart.into("s1")} == {"c1"}
    for c0, c1 in itertools.product([True, False], repeat=2):
        expected = [s for s, on in (("s0", c0), ("s1", c1), ("s2", True)) if on]
        assert walk(chart, {"c0": c0, "c1": c1}) == expected


def test_a_conditional_last_step_can_be_passed_straight_to_approved() -> None:
    chart = parse(mermaid(definition({}, {"when": "fields.kind == 'a'"})))
    assert walk(chart, {"c1": False}) == ["s0"]
    assert walk(chart, {"c1": True}) == ["s0", "s1"]


def test_double_quotes_in_labels_are_escaped() -> None:
    workflow = definition(
        {"name": {"da": 'Leder "A"', "en": 'Manager "A"'}, "when": 'fields.kind == "x"'},
        title='Et "godt" udlæg',
    )
    text = mermaid(workflow)
    for line in text.splitlines():
        # A label is the one quoted string of its line: a quote inside would end it early.
        assert line.count('"') in (0, 2), line
    chart = parse(text)
    assert chart.nodes["start"].startswith("Et #quot;godt#quot; udlæg")
    assert chart.nodes["s0"].startswith("Leder #quot;A#quot;")
    assert chart.nodes["c0"] == "fields.kind == #quot;x#quot;"


def test_markup_in_names_is_shown_as_text() -> None:
    workflow = definition({"name": {"da": "<b>Chef</b> & co", "en": "Boss"}})
    label = parse(mermaid(workflow)).nodes["s0"]
    assert label.startswith("#lt;b#gt;Chef#lt;/b#gt; #amp; co<br/>")


def test_the_box_tells_how_many_must_approve() -> None:
    workflow = definition({"mode": "all"}, {"mode": "k_of_n", "k": 2}, {"may_return": False})
    chart = parse(mermaid(workflow))
    assert ", alle" in chart.nodes["s0"]
    assert ", 2 af N" in chart.nodes["s1"]
    assert not [e for e in chart.out_of("s2") if e.dotted]


def test_the_chart_in_english() -> None:
    workflow = definition({"when": "fields.kind == 'a'"})
    text = mermaid(workflow, language="en")
    chart = parse(text)
    assert chart.nodes["approved"] == "Approved"
    assert chart.nodes["s0"].startswith("Step 0<br/>")
    assert walk(chart, {"c0": True}, yes="yes") == ["s0"]
    assert walk(chart, {"c0": False}, yes="yes") == []
