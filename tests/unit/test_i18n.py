"""The workspace's English switch: every text a template passes to ``_`` has its English,
nothing in the catalog is left over, and the switch only sends the browser back to a page of
this site."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from web.i18n import ENGLISH, ENGLISH_TEXT, VIETNAMESE, local_path, translator

TEMPLATES = Path("web/templates")
CALL = re.compile(r'_\("([^"]*)"\)')


def _texts() -> set[str]:
    return {t for p in TEMPLATES.glob("*.html") for t in CALL.findall(p.read_text("utf-8"))}


def test_every_text_a_template_translates_has_its_english() -> None:
    used = _texts()
    assert "Hộp việc" in used  # the scan sees the templates' calls
    assert sorted(used - ENGLISH_TEXT.keys()) == []
    assert sorted(ENGLISH_TEXT.keys() - used) == []
    assert all(en.strip() and en != vi for vi, en in ENGLISH_TEXT.items() if vi.strip())


#: A letter only Vietnamese writes (the English page must not show it outside ``_``).
VIETNAMESE_LETTER = re.compile(
    "[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹáàãéèíìóòõúùý]", re.IGNORECASE
)
#: The switch back to Vietnamese is written in Vietnamese (``lang="vi"``) on purpose.
SWITCH_BACK = "Tiếng Việt"


def test_no_template_writes_vietnamese_outside_the_catalog() -> None:
    left = [
        f"{p.name}:{n}: {line.strip()[:100]}"
        for p in sorted(TEMPLATES.glob("*.html"))
        for n, line in enumerate(p.read_text("utf-8").splitlines(), 1)
        if VIETNAMESE_LETTER.search(CALL.sub("", line).replace(SWITCH_BACK, ""))
    ]
    assert left == []


def test_vietnamese_is_the_default_and_english_is_the_catalog() -> None:
    assert translator(VIETNAMESE)("Hộp việc") == "Hộp việc"
    assert translator(ENGLISH)("Hộp việc") == "Inbox"
    assert translator(ENGLISH)("Không có trong danh mục") == "Không có trong danh mục"


@pytest.mark.parametrize(
    ("target", "back_to"),
    [
        ("/ho-so/so-xd-daklak:quy-dinh", "/ho-so/so-xd-daklak:quy-dinh"),
        ("/?tab=cho-nguoi-khac", "/?tab=cho-nguoi-khac"),
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
    ],
)
def test_the_switch_goes_back_only_to_this_site(target: str, back_to: str) -> None:
    assert local_path(target) == back_to
