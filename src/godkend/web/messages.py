"""The engine's error messages (written in English for the API) in the page's language.

Each known message has a gettext msgid; values inside a message (a limit, a state) are carried
over. A message nobody taught this module is shown as it is rather than hidden.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from godkend.domain import errors as e

Gettext = Callable[[str], str]


def N_(message: str) -> str:
    """Marks a msgid for extraction; it is translated where it is shown."""
    return message


# (pattern of the English message, msgid); named groups become %(name)s values.
_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"is required", N_("This field is required.")),
    (r"a title is required", N_("Give the request a title.")),
    (r"must be text", N_("Enter text.")),
    (r"must be a single line", N_("Must be a single line.")),
    (r"must not contain control characters", N_("Must not contain control characters.")),
    (r"must be at most (?P<max>\d+) characters", N_("Must be at most %(max)s characters.")),
    (r"must match the pattern .*", N_("Does not have the expected format.")),
    (r"must be a number", N_("Enter a number, for example 1.234,50.")),
    (r"must be a finite number", N_("Enter a number, for example 1.234,50.")),
    (r"must have at most 2 decimals", N_("Enter at most 2 decimals (øre).")),
    (r"must be at least (?P<min>[-\d.]+)", N_("Must be at least %(min)s.")),
    (r"must be at most (?P<max>[-\d.e+]+) in size", N_("The number is too large.")),
    (r"must be at most (?P<max>[-\d.]+)", N_("Must be at most %(max)s.")),
    (r"must be a date as YYYY-MM-DD", N_("Enter a valid date.")),
    (r'must be \{"from": date, "to": date\}', N_("Enter both a start and an end date.")),
    (r"must be on or after from", N_("The end date must be on or after the start date.")),
    (r"(each )?must be one of: .*", N_("Choose one of the options.")),
    (r"must be a list of options", N_("Choose one or more of the options.")),
    (r"must not repeat .*", N_("Choose each option only once.")),
    (r"must be a username", N_("Enter a username, for example anna.")),
    (r"must be an org unit key", N_("Enter the key of an organisational unit.")),
    (r"must be true or false", N_("Choose yes or no.")),
    (r"unknown field", N_("This field is not part of the form.")),
    (r"unknown workflow .*", N_("Choose a workflow from the list.")),
    (r"a reason is required to reject or return", N_("Give a reason to reject or return.")),
    (r"a comment cannot be empty", N_("Write a comment first.")),
    (r"wrong username or password", N_("Wrong username or password.")),
    (r"nobody but the requester can approve step .*", N_("Nobody but you could approve a step.")),
    (r"you cannot decide your own request", N_("You cannot decide your own request.")),
    (r"you have already approved this step", N_("You have already approved this step.")),
    (
        r"you have already decided another step of this request",
        N_("You have already decided another step of this request."),
    ),
    (r"only the requester may (?P<command>\w+) a request", N_("Only the requester may do this.")),
    (r"step .* may not return the request", N_("This step cannot return the request.")),
    (r"request not found", N_("The request was not found, or you may not see it.")),
    (r"not a valid page cursor", N_("The page link is not valid.")),
)
_COMPILED = tuple((re.compile(f"^{p}$"), msgid) for p, msgid in _PATTERNS)

# Errors whose class says it all, whatever their message.
_BY_CLASS: tuple[tuple[type[e.GodkendError], str], ...] = (
    (e.StaleVersion, N_("Someone else changed the request meanwhile. Here it is as it is now.")),
    (e.NotAwaitingYou, N_("The request no longer awaits your decision.")),
    (e.NotAnApprover, N_("The request does not await your decision.")),
    (e.IllegalMove, N_("This is no longer possible: the request has moved on.")),
    (e.NoApprover, N_("Nobody can approve a step of this request. Contact the administrator.")),
)


@dataclass(frozen=True)
class FieldError:
    """One message for one field (`fields.from`, `title`, ...) in the page's language."""

    field: str
    message: str


def translate_message(message: str, gettext: Gettext, *, number: Callable[[str], str]) -> str:
    """The English message in the page's language; numbers in it formatted the Danish way."""
    text = message.strip()
    for pattern, msgid in _COMPILED:
        match = pattern.match(text)
        if match is None:
            continue
        values = {k: number(v) for k, v in match.groupdict().items() if v is not None}
        return gettext(msgid) % values if values else gettext(msgid)
    return text


def translate_error(error: e.GodkendError, gettext: Gettext, *, language: str) -> str:
    """A whole error as one sentence for an alert."""
    for cls, msgid in _BY_CLASS:
        if isinstance(error, cls):
            return gettext(msgid)
    return translate_message(error.message, gettext, number=lambda v: v)


def field_errors(
    error: e.InvalidInput | e.InvalidInputs,
    gettext: Gettext,
    *,
    language: str,
    number: Callable[[str], str],
) -> list[FieldError]:
    """Every field error of an InvalidInput(s), translated; form rules carry their own Danish."""
    items = error.errors if isinstance(error, e.InvalidInputs) else [error]
    found = []
    for item in items:
        danish = item.data.get("message_da")
        if language == "da" and isinstance(danish, str):
            text = danish
        elif isinstance(item, e.NoApprover):
            text = translate_error(item, gettext, language=language)
        else:
            text = translate_message(item.message, gettext, number=number)
        found.append(FieldError(item.field, text))
    return found
