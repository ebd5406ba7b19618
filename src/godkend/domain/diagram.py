"""Mermaid flowcharts of workflow definitions: the steps in order, conditions as decisions."""

from __future__ import annotations

from godkend.domain.workflow import Approvers, WorkflowDefinition


def _who(approvers: Approvers) -> str:
    if approvers.manager is not None:
        return (
            "nærmeste leder" if approvers.manager == 1 else f"leder {approvers.manager} niveauer op"
        )
    if approvers.user is not None:
        return f"bruger {approvers.user}"
    where = f" i {approvers.org_unit}" if approvers.org_unit else ""
    return f"rolle {approvers.role}{where}"


def _label(text: str) -> str:
    # Mermaid labels are quoted; a double quote inside would end them.
    return text.replace('"', "'")


def mermaid(definition: WorkflowDefinition) -> str:
    """A top-down flowchart: start, each step (a diamond before it when conditional), the ends."""
    lines = ["flowchart TD", f'    start(["{_label(definition.title.da)}: indsendt"])']
    previous = "start"
    for index, step in enumerate(definition.steps):
        node = f"s{index}"
        box = f'    {node}["{_label(step.name.da)}<br/><small>{_label(_who(step.approvers))}'
        mode = {"any": "", "all": ", alle", "k_of_n": f", {step.k} af N"}[step.mode]
        lines.append(f'{box}{mode}</small>"]')
        if step.when:
            cond = f"c{index}"
            lines.append(f'    {cond}{{"{_label(step.when)}"}}')
            lines.append(f"    {previous} --> {cond}")
            lines.append(f"    {cond} -->|ja| {node}")
            lines.append(f"    {cond} -->|nej| {_next(definition, index)}")
        else:
            lines.append(f"    {previous} --> {node}")
        lines.append(f"    {node} -->|afvist| rejected")
        if step.may_return:
            lines.append(f"    {node} -.->|retur| start")
        previous = node
    lines.append(f"    {previous} -->|godkendt| approved")
    lines.append('    approved(["Godkendt"])')
    lines.append('    rejected(["Afvist"])')
    return "\n".join(lines)


def _next(definition: WorkflowDefinition, index: int) -> str:
    return f"s{index + 1}" if index + 1 < len(definition.steps) else "approved"
