"""Notice texts in the recipient's language: English, Russian or Arabic.

The templates are gettext messages (English ids, `.po` catalogues under `locales/`,
read at run time through Babel, so `pip install` alone gives every language: no compiled
`.mo` file to forget). Numbers, dates and units are formatted for the locale by Babel;
every time is shown in UTC and in the party's local time zone. Both sides read the same
facts: only the words and the number formatting change.
"""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

LOCALES = Path(__file__).resolve().parent / "locales"
DOMAIN = "deconflict"
LANGUAGES = ("en", "ru", "ar")


def _(message: str) -> str:
    """Marks a template for extraction (pybabel extract -k _); translated in `text`."""
    return message


TEMPLATES: dict[str, str] = {
    "operation.new": _(
        "New operation {operation} of {party}: {start} to {end} UTC ({start_local} local), "
        "{lower} to {upper} m, near {lat}, {lon}."
    ),
    "operation.changed": _(
        "Operation {operation} of {party} changed (version {version}): {start} to {end} UTC "
        "({start_local} local), {lower} to {upper} m."
    ),
    "operation.cancelled": _("Operation {operation} of {party} was cancelled."),
    "operation.enters_zone": _(
        "Operation {operation} of {party} enters your zone: it stays pending until you "
        "acknowledge it. {start} to {end} UTC ({start_local} local), {lower} to {upper} m."
    ),
    "override": _(
        "Operation {operation} of {party} (priority {priority}) was accepted over your "
        "operation {other}. Its window: {start} to {end} UTC ({start_local} local)."
    ),
    "conflict": _("Conflict between operation {operation} and {other}."),
    "alert": _("Tactical alert {alert}: {detail}"),
    "alert.closed": _("Tactical alert {alert} is closed."),
    "hotline": _("Hotline message from {party} ({officer}): {text}"),
    "arrangement.suspended": _(
        "The arrangement between {a} and {b} was suspended by {by}: planning notices need "
        "no acknowledgement; safety notices still do."
    ),
    "arrangement.resumed": _("The arrangement between {a} and {b} was resumed by {by}."),
    "escalation": _(
        "Notice {notice} to {to} is still unacknowledged: escalation step {step} ({action}, "
        "{target})."
    ),
    "escalation.critical": _(
        "CRITICAL: notice {notice} to {to} is still unacknowledged and the operation starts "
        "soon: escalation step {step} ({action}, {target})."
    ),
}


ACTIONS: dict[str, str] = {
    "resend": _("re-send"),
    "next_contact": _("next duty contact"),
    "supervisor": _("supervisor"),
}
"""Escalation rungs (`channel.policy.LADDER`), as the `{action}` of an escalation text."""

TARGETS: dict[str, str] = {
    "all_officers": _("{to} (all duty officers)"),
    "duty_desk": _("{to} duty desk"),
    "default_supervisor": _("supervisor of the {to} arrangement"),
}
"""Escalation targets the hub words itself (`escalation.TARGET_TEXTS`, same English)."""


@functools.cache
def translations(language: str) -> NullTranslations:
    """The catalogue for `language` (English: the ids themselves)."""
    po = LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if language == "en" or not po.exists():
        return NullTranslations()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def pick_language(languages: tuple[str, ...] | list[str]) -> str:
    """The first of the party's languages that we have, else English."""
    for language in languages:
        base = language.split("-")[0].split("_")[0].lower()
        if base in LANGUAGES:
            return base
    return "en"


def _zone(name: str) -> Any:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _facts(kind: str, facts: Mapping[str, Any], language: str, zone: str) -> dict[str, Any]:
    """Template fields: numbers and times formatted for the locale."""
    values: dict[str, Any] = {k: v for k, v in facts.items() if isinstance(v, str | int)}
    for key in ("lower_m", "upper_m"):
        if isinstance(facts.get(key), int | float):
            values[key.removesuffix("_m")] = format_decimal(
                round(float(facts[key])), locale=language
            )
    for key in ("lat", "lon"):
        if isinstance(facts.get(key), int | float):
            values[key] = format_decimal(float(facts[key]), format="#,##0.000", locale=language)
    for key in ("start", "end"):
        if isinstance(facts.get(key), int | float):
            moment = datetime.fromtimestamp(float(facts[key]), UTC)
            values[key] = format_datetime(moment, "yyyy-MM-dd HH:mm", tzinfo=UTC, locale=language)
            values[f"{key}_local"] = format_datetime(
                moment, "yyyy-MM-dd HH:mm zzz", tzinfo=_zone(zone), locale=language
            )
    return values


class _Fields(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def text(
    kind: str,
    facts: Mapping[str, Any],
    languages: tuple[str, ...] | list[str] = ("en",),
    timezone: str = "UTC",
) -> str:
    """The notice's text in the recipient's first supported language."""
    try:
        key = json.dumps(facts, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return _text(kind, facts, pick_language(languages), timezone)
    return _cached(kind, key, pick_language(languages), timezone)


@functools.lru_cache(maxsize=4096)
def _cached(kind: str, facts: str, language: str, timezone: str) -> str:
    """One operation's notice goes to many parties in few languages: render it once each."""
    return _text(kind, json.loads(facts), language, timezone)


def _text(kind: str, facts: Mapping[str, Any], language: str, timezone: str) -> str:
    key = kind
    if kind == "alert" and facts.get("closed"):
        key = "alert.closed"
    elif kind == "arrangement":
        key = f"arrangement.{facts.get('state', 'suspended')}"
    elif kind == "escalation" and facts.get("critical"):
        key = "escalation.critical"
    template = TEMPLATES.get(key, "{kind}")
    catalogue = translations(language)
    translated = catalogue.gettext(template)
    fields = _Fields(_facts(kind, facts, language, timezone))
    fields.setdefault("kind", kind)
    if kind == "escalation":
        action = facts.get("action")
        if isinstance(action, str) and action in ACTIONS:
            fields["action"] = catalogue.gettext(ACTIONS[action])
        target_key = facts.get("target_key")
        if isinstance(target_key, str) and target_key in TARGETS:
            fields["target"] = catalogue.gettext(TARGETS[target_key]).format_map(fields)
    return translated.format_map(fields)
