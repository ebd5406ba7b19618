"""The web UI's texts: all translated, none hard-coded; Danish formats (no browser needed)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from godkend.domain.errors import InvalidInput, InvalidInputs, StaleVersion
from godkend.web import i18n
from godkend.web.messages import field_errors, translate_error

WEB = Path(i18n.__file__).parent
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _extracted() -> set[str]:
    """Every msgid in the web package's code and templates, as `make i18n` extracts them."""
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    found = extract_from_dir(
        str(WEB),
        method_map=method_map,
        keywords={"_": None, "gettext": None, "ngettext": (1, 2), "N_": None},
        options_map={"templates/**.html": {"trimmed": "true"}},
    )
    ids: set[str] = set()
    for _, _, message, _, _ in found:
        ids.add(message[0] if isinstance(message, tuple) else message)
    return ids


def _catalogue(language: str) -> dict[str, tuple[str, ...]]:
    """msgid (the singular) -> its translations, for entries that are not fuzzy."""
    with i18n.po_path(language).open("rb") as handle:
        catalog = read_po(handle)
    found: dict[str, tuple[str, ...]] = {}
    for m in catalog:
        if not m.id or m.fuzzy:
            continue
        msgid = str(m.id[0]) if isinstance(m.id, list | tuple) else str(m.id)
        strings = m.string if isinstance(m.string, list | tuple) else (m.string,)
        found[msgid] = tuple(str(s) for s in strings)
    return found


def test_every_text_has_a_danish_translation_with_the_same_placeholders() -> None:
    danish = _catalogue("da")
    english = _catalogue("en")
    missing = sorted(_extracted() - danish.keys())
    assert missing == [], f"run `make i18n` and translate: {missing}"
    assert sorted(_extracted() - english.keys()) == []
    for msgid, strings in danish.items():
        assert all(strings), f"untranslated: {msgid!r}"
        for text in strings:
            assert set(PLACEHOLDER.findall(text)) <= set(PLACEHOLDER.findall(msgid)) | {"num"}


def test_templates_hold_no_text_of_their_own() -> None:
    """What a template shows comes from gettext, the data or the definitions, never literal."""
    # The brand, and the attribute names the `described` macro writes.
    allowed = {"godkend", "aria", "describedby", "invalid", "true"}
    for template in sorted((WEB / "templates").glob("*.html")):
        source = template.read_text(encoding="utf-8")
        # The page kind (for the live client) is a name, not a text.
        source = re.sub(r"\{% block (page_kind|body_attrs) %\}.*?\{% endblock %\}", " ", source)
        bare = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", " ", source, flags=re.S)
        bare = re.sub(r"<script.*?</script>|<[^>]*>", " ", bare, flags=re.S)
        words = {w for w in re.findall(r"[A-Za-zÆØÅæøå]{2,}", bare) if w not in allowed}
        assert words == set(), f"{template.name}: {sorted(words)}"
        literal_attributes = re.findall(
            r'(?:aria-label|title|alt|placeholder)="([^"{]*[A-Za-z][^"{]*)"', source
        )
        assert literal_attributes == [], f"{template.name}: {literal_attributes}"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1.234,50", "1234.50"),
        ("1234,5", "1234.5"),
        ("12.345", "12345"),
        ("1.234.567,89 kr.", "1234567.89"),
        ("0,01", "0.01"),
        ("1234.50", "1234.50"),
        ("-12,5", "-12.5"),
        ("12,3,4", None),
        ("abc", None),
        ("²", None),
        ("", None),
    ],
)
def test_amounts_are_read_the_danish_way(typed: str, expected: str | None) -> None:
    assert i18n.parse_decimal_input(typed) == expected


def test_dates_amounts_and_times_are_shown_in_danish_format() -> None:
    da, en = i18n.Formats("da"), i18n.Formats("en")
    assert da.amount(1234.5) == "1.234,50\xa0kr."
    assert en.amount("1234.5") == "1.234,50\xa0kr."
    assert da.date("2026-07-01") == "1. juli 2026"
    assert en.date("2026-07-01") == "1 July 2026"
    # 10:05 UTC in summer is 12:05 in Copenhagen.
    assert da.datetime(datetime(2026, 7, 1, 10, 5, tzinfo=UTC)) == "1. jul. 2026 kl. 12.05"
    assert en.datetime("2026-12-01T10:05:00Z") == "1 Dec 2026, 11:05"
    assert da.amount_input(1234.5) == "1234,5"


def test_engine_messages_are_shown_in_the_page_language() -> None:
    gettext = i18n.translations("da").gettext
    errors = InvalidInputs(
        [
            InvalidInput("is required", field="fields.from"),
            InvalidInput("must be at least 0.01", field="fields.amount"),
            InvalidInput(
                "The last day must be on or after the first day.",
                field="fields.to",
                message_da="Sidste feriedag skal være samme dag som eller efter første feriedag.",
            ),
        ]
    )
    shown = field_errors(errors, gettext, language="da", number=i18n.Formats("da").number)
    assert [(e.field, e.message) for e in shown] == [
        ("fields.from", "Feltet skal udfyldes."),
        ("fields.amount", "Skal være mindst 0,01."),
        ("fields.to", "Sidste feriedag skal være samme dag som eller efter første feriedag."),
    ]
    stale = StaleVersion(request_id=1, expected=1, actual=2)
    assert translate_error(stale, gettext, language="da").startswith("En anden har ændret")
