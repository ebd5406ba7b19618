"""Mermaid flowcharts of workflow definitions: the steps in order, conditions as decisions.

Each step box names its approvers, its mode, its deadline and where it escalates; a conditional
step has a diamond before it whose "no" branch goes on to the next step. Labels are in Danish
(the default) or English.
"""

from __future__ import annotations

from godkend.domain.deadlines import parse_duration
from godkend.domain.workflow import Approvers, Escalation, Step, WorkflowDefinition

_WORDS = {
    "da": {
        "submitted": "indsendt",
        "approved": "Godkendt",
        "rejected": "Afvist",
        "yes": "ja",
        "no": "nej",
        "approve": "godkendt",
        "reject": "afvist",
        "return": "retur",
        "all": "alle",
        "of": "af",
        "deadline": "frist",
        "then": "derefter",
        "next_manager": "næste leder",
    },
    "en": {
        "submitted": "submitted",
        "approved": "Approved",
        "rejected": "Rejected",
        "yes": "yes",
        "no": "no",
        "approve": "approved",
        "reject": "rejected",
        "return": "returned",
        "all": "all",
        "of": "of",
        "deadline": "deadline",
        "then": "then",
        "next_manager": "next manager",
    },
}


def _who(approvers: Approvers, language: str) -> str:
    da = language == "da"
    if approvers.manager is not None:
        if approvers.manager == 1:
            return "nærmeste leder" if da else "nearest manager"
        levels = approvers.manager
        return f"leder {levels} niveauer op" if da else f"manager {levels} levels up"
    if approvers.user is not None:
        return f"{'bruger' if da else 'user'} {approvers.user}"
    if approvers.group is not None:
        return f"{'gruppe' if da else 'group'} {approvers.group}"
    where = f" {'i' if da else 'in'} {approvers.org_unit}" if approvers.org_unit else ""
    return f"{'rolle' if da else 'role'} {approvers.role}{where}"


# (language, working days?) -> (one day, several days)
_DAYS = {
    ("da", True): ("arbejdsdag", "arbejdsdage"),
    ("da", False): ("dag", "dage"),
    ("en", True): ("working day", "working days"),
    ("en", False): ("day", "days"),
}


def describe_duration(text: str, *, working_days: bool, language: str = "da") -> str:
    """`P3D` as "3 arbejdsdage" / "3 working days", `PT4H` as "4 t" / "4 h"."""
    duration = parse_duration(text)
    one, many = _DAYS[("en" if language == "en" else "da", working_days)]
    parts = []
    if duration.days:
        parts.append(f"{duration.days} {one if duration.days == 1 else many}")
    hours, minutes = divmod(duration.minutes, 60)
    if hours:
        parts.append(f"{hours} {'h' if language == 'en' else 't'}")
    if minutes:
        parts.append(f"{minutes} min")
    return " ".join(parts)


def _escalation(escalation: Escalation, language: str) -> str:
    if escalation.to is not None:
        return _who(escalation.to, language)
    return _WORDS[language]["next_manager"]


def _details(step: Step, definition: WorkflowDefinition, language: str) -> list[str]:
    """The lines under a step's name: who and how many, then the deadline and escalation."""
    words = _WORDS[language]
    who = _who(step.approvers, language)
    if step.mode == "all":
        who += f", {words['all']}"
    elif step.mode == "k_of_n":
        who += f", {step.k} {words['of']} N"
    lines = [who]
    if step.deadline is not None:
        length = describe_duration(
            step.deadline, working_days=definition.working_days, language=language
        )
        deadline = f"{words['deadline']} {length}"
        if step.escalation is not None:
            deadline += f", {words['then']} {_escalation(step.escalation, language)}"
        lines.append(deadline)
    return lines


def _label(text: str) -> str:
    # Mermaid labels are quoted; entity codes keep quotes and angle brackets from ending them.
    for char, code in (("&", "#amp;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;")):
        text = text.replace(char, code)
    return text


def _entry(definition: WorkflowDefinition, index: int) -> str:
    """Where the flow goes to reach step `index`: its condition, its box, or the end."""
    if index >= len(definition.steps):
        return "approved"
    return f"c{index}" if definition.steps[index].when else f"s{index}"


def mermaid(definition: WorkflowDefinition, *, language: str = "da") -> str:
    """A top-down flowchart: start, each step (a diamond before it when conditional), the ends."""
    language = language if language in _WORDS else "da"
    words = _WORDS[language]
    title = definition.title.in_language(language)
    lines = ["flowchart TD", f'    start(["{_label(title)}: {words["submitted"]}"])']
    lines.append(f"    start --> {_entry(definition, 0)}")
    last = len(definition.steps) - 1
    for index, step in enumerate(definition.steps):
        node, after = f"s{index}", _entry(definition, index + 1)
        name = _label(step.name.in_language(language))
        details = "<br/>".join(_label(line) for line in _details(step, definition, language))
        lines.append(f'    {node}["{name}<br/><small>{details}</small>"]')
        if step.when:
            lines.append(f'    c{index}{{"{_label(step.when)}"}}')
            lines.append(f"    c{index} -->|{words['yes']}| {node}")
            lines.append(f"    c{index} -->|{words['no']}| {after}")
        arrow = f"-->|{words['approve']}|" if index == last else "-->"
        lines.append(f"    {node} {arrow} {after}")
        lines.append(f"    {node} -->|{words['reject']}| rejected")
        if step.may_return:
            lines.append(f"    {node} -.->|{words['return']}| start")
    lines.append(f'    approved(["{words["approved"]}"])')
    lines.append(f'    rejected(["{words["rejected"]}"])')
    return "\n".join(lines)
