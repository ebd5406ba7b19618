"""The web UI's languages: Babel catalogues (compiled in memory) and Danish-format dates, amounts.

The `.po` files under `i18n/` are the source of truth; they are compiled when the process first
needs them (no `.mo` files to build or commit). Messages are written in English in the code and
templates (the gettext msgids) and translated to Danish in `da/LC_MESSAGES/messages.po`.
"""

from __future__ import annotations

import datetime as dt
import gettext
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal

LANGUAGES = ("da", "en")
# Each language is named in itself, as language switchers do.
LANGUAGE_NAMES = (("da", "Dansk"), ("en", "English"))
DEFAULT_LANGUAGE = "da"
TIMEZONE = "Europe/Copenhagen"
CATALOGUE_DIR = Path(__file__).parent / "i18n"
DOMAIN = "messages"

# Danish number and date conventions in both languages: en_DK is English words, Danish formats.
_PLAIN_DECIMAL = re.compile(r"[0-9]{1,16}(\.[0-9]{1,16})?")
_GROUPED = re.compile(r"[0-9]{1,3}(\.[0-9]{3})+")
_LOCALES = {"da": "da_DK", "en": "en_DK"}
_DATETIME_PATTERNS = {"da": "d. MMM y 'kl.' HH.mm", "en": "d MMM y, HH:mm"}


def language_or_default(value: str | None) -> str:
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def po_path(language: str) -> Path:
    return CATALOGUE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(language: str) -> gettext.GNUTranslations:
    """The language's catalogue, compiled from its `.po` file once per process."""
    with po_path(language).open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN)
    buffer = BytesIO()
    # Fuzzy entries are not trusted translations: leave them out, like msgfmt does.
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@dataclass(frozen=True)
class Formats:
    """Dates, times, numbers and amounts as a Danish reader expects them, in either language."""

    language: str

    @property
    def locale(self) -> str:
        return _LOCALES[self.language]

    def date(self, value: dt.date | str | None) -> str:
        day = _as_date(value)
        return "" if day is None else format_date(day, format="long", locale=self.locale)

    def datetime(self, value: dt.datetime | str | None) -> str:
        moment = _as_datetime(value)
        if moment is None:
            return ""
        pattern = _DATETIME_PATTERNS[self.language]
        return format_datetime(moment, pattern, tzinfo=ZoneInfo(TIMEZONE), locale=self.locale)

    def iso_datetime(self, value: dt.datetime | str | None) -> str:
        moment = _as_datetime(value)
        return "" if moment is None else moment.astimezone(dt.UTC).isoformat()

    def number(self, value: object) -> str:
        number = _as_decimal(value)
        return str(value) if number is None else format_decimal(number, locale=self.locale)

    def amount(self, value: object) -> str:
        number = _as_decimal(value)
        if number is None:
            return str(value)
        return format_currency(number, "DKK", locale=self.locale)

    def amount_input(self, value: object) -> str:
        """An amount as typed into a form: `1234,50` (no grouping, so it reads back the same)."""
        number = _as_decimal(value)
        if number is None:
            return "" if value is None else str(value)
        return format(number, "f").replace(".", ",")


def _as_date(value: dt.date | str | None) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _as_datetime(value: dt.datetime | str | None) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        moment = value
    else:
        try:
            moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _as_decimal(value: object) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        return None
    try:
        number = Decimal(repr(value) if isinstance(value, float) else str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def parse_decimal_input(text: str) -> str | None:
    """A number typed the Danish way (`1.234,50`, `1234,5`) or plainly (`1234.50`) as `1234.50`.

    None when the text is not a number in either form; the caller then passes the raw text on,
    so that the server's own message ("must be a number") is what the user sees.
    """
    raw = text.strip().replace(" ", "").replace("\u00a0", "").replace("kr.", "").strip()
    if not raw:
        return None
    sign = "-" if raw.startswith("-") else ""
    body = raw.lstrip("-+")
    if "," in body:
        whole, _, fraction = body.rpartition(",")
        whole = whole.replace(".", "")
        candidate = f"{whole}.{fraction}"
    elif _is_grouped_thousands(body):
        candidate = body.replace(".", "")
    else:
        candidate = body
    if not _PLAIN_DECIMAL.fullmatch(candidate):
        return None
    return format(Decimal(sign + candidate), "f")


def _is_grouped_thousands(body: str) -> bool:
    return _GROUPED.fullmatch(body) is not None


def js_strings(gettext_: Any) -> dict[str, str]:
    """The texts the page's scripts show, in the page's language (scripts hold no texts)."""
    _ = gettext_
    return {
        "required": _("This field is required."),
        "notNumber": _("Enter a number, for example 1.234,50."),
        "tooManyDecimals": _("Enter at most 2 decimals (øre)."),
        "atLeast": _("Must be at least %(min)s."),
        "atMost": _("Must be at most %(max)s."),
        "tooLong": _("Must be at most %(max)s characters."),
        "notDate": _("Enter a date."),
        "dateOrder": _("The end date must be on or after the start date."),
        "errorSummary": _("There is a problem"),
        "errorPrefix": _("Error:"),
        "close": _("Close"),
        "reasonRequired": _("Give a reason to reject or return."),
        "connecting": _("Connecting…"),
        "connected": _("Live updates are on"),
        "reconnecting": _("Reconnecting…"),
        "offline": _("Live updates are paused. Trying again…"),
        "notifications": _("Notifications"),
        "noNotifications": _("No notifications yet."),
        "unread": _("unread"),
        "newRequestHere": _("The list was updated."),
        "reloaded": _("The page was brought up to date."),
    }
