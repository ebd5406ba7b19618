"""Names shown for the engine's states and actions, and how a field's value is displayed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from godkend.domain.workflow import FormField
from godkend.web.i18n import Formats

Gettext = Callable[[str], str]


def N_(message: str) -> str:
    """Marks a msgid for extraction; it is translated where it is shown."""
    return message


STATUS = {
    "pending": (N_("Pending"), "badge-info"),
    "approved": (N_("Approved"), "badge-success"),
    "rejected": (N_("Rejected"), "badge-error"),
    "returned": (N_("Returned for changes"), "badge-warning"),
    "withdrawn": (N_("Withdrawn"), "badge-neutral"),
}

STEP_STATUS = {
    "waiting": N_("Waiting"),
    "active": N_("Awaiting decision"),
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
    "returned": N_("Returned"),
    "skipped": N_("Does not apply"),
}

ACTIONS = {
    "request.submit": N_("Submitted"),
    "request.approve": N_("Approved"),
    "request.reject": N_("Rejected"),
    "request.return": N_("Returned for changes"),
    "request.withdraw": N_("Withdrawn"),
    "request.resubmit": N_("Resubmitted"),
    "request.comment": N_("Commented"),
}

VERDICTS = {
    "approve": N_("Approved"),
    "reject": N_("Rejected"),
    "return": N_("Returned for changes"),
}


def status_label(status: str, gettext: Gettext) -> str:
    label, _ = STATUS.get(status, (status, ""))
    return gettext(label)


def status_class(status: str) -> str:
    return STATUS.get(status, ("", "badge-neutral"))[1]


def step_status_label(status: str, gettext: Gettext) -> str:
    return gettext(STEP_STATUS.get(status, status))


def action_label(action: str, gettext: Gettext) -> str:
    return gettext(ACTIONS.get(action, action))


def field_value(
    f: FormField | None, value: Any, *, language: str, formats: Formats, gettext: Gettext
) -> str:
    """A stored field value as a person reads it: Danish dates and amounts, option labels."""
    if value is None:
        return ""
    kind = f.type if f is not None else ""
    if kind == "date":
        return formats.date(value)
    if kind == "date_range" and isinstance(value, Mapping):
        return f"{formats.date(value.get('from'))} \u2013 {formats.date(value.get('to'))}"
    if kind == "amount":
        return formats.amount(value)
    if kind == "number":
        return formats.number(value)
    if kind in ("select", "multi_select") and f is not None:
        labels = {o.value: o.label.in_language(language) for o in f.options}
        chosen = value if isinstance(value, list) else [value]
        return ", ".join(labels.get(str(v), str(v)) for v in chosen)
    if kind == "yes_no":
        return gettext("Yes") if value else gettext("No")
    return str(value)
