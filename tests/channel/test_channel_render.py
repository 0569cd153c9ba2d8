"""Notice texts: every template translated in Russian and Arabic, numbers and times
formatted per locale, the same facts in every language."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from deconflict.channel import render

FACTS = {
    "operation": "op-7",
    "party": "coalition",
    "other": "op-3",
    "version": 2,
    "priority": 5,
    "start": 1767225600.0,  # 2026-01-01 00:00 UTC
    "end": 1767229200.0,
    "lower_m": 0.0,
    "upper_m": 1524.0,
    "lat": 34.5,
    "lon": 36.25,
    "alert": "al-1",
    "detail": "CPA 0.8 NM",
    "officer": "Lt. Smith",
    "text": "call me",
    "a": "coalition",
    "b": "russia",
    "by": "russia",
    "notice": "n-1",
    "to": "russia",
    "step": 2,
    "action": "next_contact",
    "target": "Petrov",
}


@pytest.mark.parametrize("language", ["ru", "ar"])
def test_every_template_is_translated(language: str) -> None:
    path = render.LOCALES / language / "LC_MESSAGES" / "deconflict.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    translated = {m.id: m.string for m in catalog if m.id}
    for template in render.TEMPLATES.values():
        assert translated.get(template), f"{language}: no translation of {template!r}"
        fields = set(re.findall(r"\{(\w+)\}", template))
        assert fields == set(re.findall(r"\{(\w+)\}", translated[template]))


@pytest.mark.parametrize(
    "kind",
    sorted(
        {
            k.split(".")[0] if k.startswith(("alert", "arrangement", "escalation")) else k
            for k in render.TEMPLATES
        }
    ),
)
def test_every_kind_renders_with_every_field_filled(kind: str) -> None:
    for language in ("en", "ru", "ar"):
        text = render.text(kind, FACTS, [language], "Asia/Damascus")
        assert "?" not in text and "{" not in text, (language, text)


def test_numbers_and_times_follow_the_locale() -> None:
    english = render.text("operation.new", FACTS, ["en"], "Asia/Damascus")
    russian = render.text("operation.new", FACTS, ["ru-RU"], "Asia/Damascus")
    arabic = render.text("operation.new", FACTS, ["ar"], "Asia/Damascus")
    assert "1,524 m" in english and "34.500" in english
    assert "1\xa0524 м" in russian and "34,500" in russian
    assert "2026-01-01 00:00" in english and "2026-01-01 03:00 +0300" in english
    assert "2026-01-01 03:00" in russian and "по местному времени" in russian
    assert arabic.startswith("عملية جديدة op-7")
    assert render.pick_language(["fr", "ar"]) == "ar" and render.pick_language(["fr"]) == "en"
