"""Notice texts: every template translated in Russian and Arabic, numbers and times
formatted per locale, the same facts in every language."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from deconflict.channel import escalation, render

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
    wordings = [*render.TEMPLATES.values(), *render.ACTIONS.values(), *render.TARGETS.values()]
    for template in wordings:
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


@pytest.mark.parametrize("language", ["ru", "ar"])
@pytest.mark.parametrize("action", sorted(render.ACTIONS))
@pytest.mark.parametrize("target_key", [*sorted(render.TARGETS), None])
def test_escalation_steps_are_worded_in_the_recipients_language(
    language: str, action: str, target_key: str | None
) -> None:
    facts = {**FACTS, "action": action, "critical": action == "supervisor"}
    if target_key is not None:
        facts["target"] = escalation.TARGET_TEXTS[target_key].format(to="russia")
        facts["target_key"] = target_key
    english = render.text("escalation", facts, ["en"])
    text = render.text("escalation", facts, [language])
    catalogue = render.translations(language)
    assert catalogue.gettext(render.ACTIONS[action]) in text
    assert render.ACTIONS[action] in english
    words = {action, render.ACTIONS[action], *action.split("_")}
    if target_key is not None:
        worded = catalogue.gettext(render.TARGETS[target_key]).format(to="russia")
        assert worded in text and facts["target"] in english
        words |= set(re.findall(r"[a-z]{3,}", escalation.TARGET_TEXTS[target_key]))
    else:
        assert "Petrov" in text  # a name stays a name
    latin = set(re.findall(r"[A-Za-z_]{3,}", text)) - {"russia", "Petrov", "CRITICAL"}
    assert not latin & words, (language, text)


def test_the_stored_escalation_targets_are_the_english_wording() -> None:
    assert {k: render.TARGETS[k] for k in escalation.TARGET_TEXTS} == escalation.TARGET_TEXTS
