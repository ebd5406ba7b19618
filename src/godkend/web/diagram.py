"""A workflow's flow as an accessible SVG drawn on the server, and the same flow as text.

Drawn here rather than by a browser-side Mermaid renderer: no script, no inline styles (so the
strict CSP holds), labels in the page's language, and an SVG with a title and description plus
a text outline, so the diagram is as readable with a screen reader as without one.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from godkend.domain.diagram import describe_duration
from godkend.domain.workflow import Approvers, Step, WorkflowDefinition

Gettext = Callable[[str], str]

WIDTH = 720
CX = 290  # the centre of the main column
BOX_W = 320
STEP_H = 76
PILL_H = 44
DIAMOND_H = 88
GAP = 44
LINE = 18  # text line height
WRAP = 36  # characters per line inside a box


def N_(message: str) -> str:
    """Marks a msgid for extraction; it is translated where it is shown."""
    return message


ROLE_NAMES = {
    "employee": N_("employee"),
    "manager": N_("manager"),
    "director": N_("director"),
    "auditor": N_("auditor"),
    "admin": N_("administrator"),
    "finance": N_("finance"),
    "hr": N_("HR"),
    "legal": N_("legal"),
    "system_owner": N_("system owner"),
    "it_security": N_("IT security"),
    "communications": N_("communications"),
}


@dataclass(frozen=True)
class OutlineStep:
    """One step as text: its name, who decides, how many, and when it applies."""

    name: str
    who: str
    mode: str
    condition: str
    may_return: bool
    deadline: str = ""


def who_decides(approvers: Approvers, gettext: Gettext) -> str:
    _ = gettext
    if approvers.manager is not None:
        if approvers.manager == 1:
            return _("The requester's nearest manager")
        return _("The requester's manager %(levels)s levels up") % {"levels": approvers.manager}
    if approvers.user is not None:
        return _("The user %(user)s") % {"user": approvers.user}
    if approvers.group is not None:
        return _("The group %(group)s") % {"group": approvers.group}
    role = _(ROLE_NAMES.get(approvers.role or "", approvers.role or ""))
    if approvers.org_unit:
        return _("Role %(role)s in %(unit)s") % {"role": role, "unit": approvers.org_unit}
    return _("Role %(role)s in the requester's unit") % {"role": role}


def mode_text(step: Step, gettext: Gettext) -> str:
    _ = gettext
    if step.mode == "all":
        return _("all of them must approve")
    if step.mode == "k_of_n":
        return _("%(k)s of them must approve") % {"k": step.k}
    return _("one of them decides")


def condition_text(definition: WorkflowDefinition, step: Step, language: str) -> str:
    """The step's CEL condition with field keys replaced by the fields' labels."""
    if not step.when:
        return ""

    def label(match: re.Match[str]) -> str:
        found = definition.field(match.group(1))
        return f"«{found.label.in_language(language)}»" if found else match.group(0)

    return re.sub(r"fields\.([a-z][a-z0-9_]*)", label, step.when)


def outline(
    definition: WorkflowDefinition, *, language: str, gettext: Gettext
) -> list[OutlineStep]:
    return [
        OutlineStep(
            name=step.name.in_language(language),
            who=who_decides(step.approvers, gettext),
            mode=mode_text(step, gettext),
            condition=condition_text(definition, step, language),
            may_return=step.may_return,
            deadline=_deadline(definition, step, language),
        )
        for step in definition.steps
    ]


def _deadline(definition: WorkflowDefinition, step: Step, language: str) -> str:
    if not step.deadline:
        return ""
    return describe_duration(step.deadline, working_days=definition.working_days, language=language)


class _Canvas:
    """Collects SVG elements; every text is escaped here."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def box(self, x: float, y: float, w: float, h: float, *, kind: str, rx: float = 6) -> None:
        self.parts.append(
            f'<rect class="dg-{kind}" x="{x:.0f}" y="{y:.0f}" width="{w:.0f}" '
            f'height="{h:.0f}" rx="{rx:.0f}"/>'
        )

    def diamond(self, cx: float, y: float, w: float, h: float) -> None:
        points = f"{cx},{y} {cx + w / 2},{y + h / 2} {cx},{y + h} {cx - w / 2},{y + h / 2}"
        self.parts.append(f'<polygon class="dg-condition" points="{points}"/>')

    def text(self, x: float, y: float, lines: list[str], *, kind: str = "label") -> None:
        spans = "".join(
            f'<tspan x="{x:.0f}" dy="{0 if i == 0 else LINE}">{escape(line)}</tspan>'
            for i, line in enumerate(lines)
        )
        self.parts.append(
            f'<text class="dg-{kind}" x="{x:.0f}" y="{y:.0f}" text-anchor="middle">{spans}</text>'
        )

    def arrow(self, points: list[tuple[float, float]], *, kind: str = "flow") -> None:
        path = " ".join(f"{x:.0f},{y:.0f}" for x, y in points)
        self.parts.append(
            f'<polyline class="dg-{kind}" points="{path}" marker-end="url(#dg-arrow)"/>'
        )

    def label(self, x: float, y: float, text: str, *, anchor: str = "start") -> None:
        self.parts.append(
            f'<text class="dg-edge" x="{x:.0f}" y="{y:.0f}" text-anchor="{anchor}">'
            f"{escape(text)}</text>"
        )


def _centered(canvas: _Canvas, y: float, h: float, lines: list[str], kind: str) -> None:
    first = y + h / 2 - (len(lines) - 1) * LINE / 2 + 5
    canvas.text(CX, first, lines, kind=kind)


def svg(definition: WorkflowDefinition, *, language: str, gettext: Gettext, ident: str) -> Markup:
    """The flow from submission to approval, each step with who decides it."""
    _ = gettext
    c = _Canvas()
    title = definition.title.in_language(language)
    y = 16.0
    c.box(CX - BOX_W / 2, y, BOX_W, PILL_H, kind="terminal", rx=22)
    _centered(c, y, PILL_H, [_("Submitted")], "terminal-text")
    step_centres: list[float] = []
    bypass_from: list[float] = []  # y of conditions whose "no" edge skips to the next node
    y += PILL_H
    for index, step in enumerate(definition.steps):
        y = _edge_into(c, y, bypass_from, no=_("no"))
        if step.when:
            c.diamond(CX, y, BOX_W, DIAMOND_H)
            lines = textwrap.wrap(condition_text(definition, step, language), 30)[:3]
            _centered(c, y, DIAMOND_H, lines, "condition-text")
            c.label(CX + 8, y + DIAMOND_H + 16, _("yes"))
            bypass_from.append(y + DIAMOND_H / 2)
            y += DIAMOND_H
            y = _edge_into(c, y, [], no="")
        c.box(CX - BOX_W / 2, y, BOX_W, STEP_H, kind=f"step step-{index % 2}")
        lines = [
            *textwrap.wrap(step.name.in_language(language), WRAP)[:1],
            *textwrap.wrap(who_decides(step.approvers, gettext), WRAP + 6)[:2],
        ]
        _centered(c, y, STEP_H, lines, "step-text")
        step_centres.append(y + STEP_H / 2)
        y += STEP_H
    y = _edge_into(c, y, bypass_from, no=_("no"))
    c.box(CX - BOX_W / 2, y, BOX_W, PILL_H, kind="approved", rx=22)
    _centered(c, y, PILL_H, [_("Approved")], "terminal-text")
    height = y + PILL_H + 16
    _rejections(c, step_centres, _("Rejected"), _("rejected"))
    desc = _("Flowchart: %(steps)s step(s) from submission to approval.") % {
        "steps": len(definition.steps)
    }
    return Markup(  # noqa: S704 -- every text above went through html.escape
        f'<svg class="diagram" role="img" aria-labelledby="{ident}-title {ident}-desc" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" width="{WIDTH}" height="{height:.0f}" '
        f'xmlns="http://www.w3.org/2000/svg" focusable="false">'
        f'<title id="{ident}-title">{escape(title)}</title>'
        f'<desc id="{ident}-desc">{escape(desc)}</desc>'
        '<defs><marker id="dg-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto-start-reverse"><path class="dg-arrowhead" '
        'd="M0,0 L10,5 L0,10 z"/></marker></defs>'
        f"{''.join(c.parts)}</svg>"
    )


def _edge_into(c: _Canvas, y: float, bypass_from: list[float], *, no: str) -> float:
    """The arrow down to the next node; pending "no" edges of conditions join it from the left."""
    c.arrow([(CX, y), (CX, y + GAP)])
    left = CX - BOX_W / 2
    for start in bypass_from:
        c.arrow(
            [(left, start), (left - 40, start), (left - 40, y + GAP / 2), (CX - 4, y + GAP / 2)]
        )
        c.label(left - 36, start - 6, no)
    bypass_from.clear()
    return y + GAP


def _rejections(c: _Canvas, centres: list[float], title: str, edge: str) -> None:
    """One "rejected" end to the right, with an edge from each step."""
    if not centres:
        return
    x = CX + BOX_W / 2 + 90
    mid = (centres[0] + centres[-1]) / 2
    c.box(x, mid - PILL_H / 2, 150, PILL_H, kind="rejected", rx=22)
    c.text(x + 75, mid + 5, [title], kind="terminal-text")
    for y in centres:
        c.arrow([(CX + BOX_W / 2, y), (x - 2, mid)], kind="reject")
    c.label(CX + BOX_W / 2 + 8, centres[0] - 8, edge)
