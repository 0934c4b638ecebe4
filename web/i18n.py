"""The workspace in Vietnamese or English (chuyển ngôn ngữ): Vietnamese by default, English
by a switch in every page's header that needs no JavaScript and is remembered in a cookie.

Templates say their text in Vietnamese through ``_("…")``; this catalog gives the English.
The procedure's own words come from its data (``label_en`` of stages and actions; a role has
a Vietnamese label only). Messages composed by the workflows — a refusal, a deadline's
explanation, a notification — are already bilingual ("vi / en") or Vietnamese, and stay so.
Dates stay dd/mm/yyyy in Vietnam's time zone in both languages.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from fastapi import Request

COOKIE = "lang"
VIETNAMESE, ENGLISH = "vi", "en"
LANGUAGES = (VIETNAMESE, ENGLISH)
#: How long the choice is remembered (a year).
COOKIE_SECONDS = 365 * 86400

#: The templates' Vietnamese text → English (``tests/unit/test_i18n.py`` checks that every
#: text a template passes to ``_`` is there, and nothing there is unused).
CATALOG = Path(__file__).parent / "english.yaml"
ENGLISH_TEXT: dict[str, str] = yaml.safe_load(CATALOG.read_text(encoding="utf-8"))


def language(request: Request) -> str:
    """The language the browser chose (the cookie), Vietnamese if none."""
    return ENGLISH if request.cookies.get(COOKIE) == ENGLISH else VIETNAMESE


def translator(lang: str) -> Callable[[str], str]:
    """``_`` for the templates: the English of a Vietnamese text, in English."""
    if lang != ENGLISH:
        return _same
    return lambda text: ENGLISH_TEXT.get(text, text)


def _same(text: str) -> str:
    return text


def local_path(target: str | None) -> str:
    """Where to go back to after switching: a path on this site, never another site."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target:
        return "/"
    return target
