"""The articles (Điều) of a draft's text, so a citizen can comment on one: a line that
starts "Điều N." (or "Điều N:") begins article N, as Vietnamese legal texts are laid out."""

from __future__ import annotations

import re
from dataclasses import dataclass

_ARTICLE = re.compile(r"^\s*Điều\s+(\d{1,4})\s*[.:]?\s*(.*)$")


@dataclass(frozen=True)
class Article:
    number: int
    heading: str


@dataclass(frozen=True)
class Block:
    """A run of the text: an article's first line (``article`` set) or the lines after it."""

    text: str
    article: int | None = None


def articles(text: str) -> list[Article]:
    """The articles in order of appearance, each number once."""
    seen: dict[int, Article] = {}
    for line in text.splitlines():
        match = _ARTICLE.match(line)
        if match and int(match.group(1)) not in seen:
            seen[int(match.group(1))] = Article(int(match.group(1)), match.group(2).strip())
    return list(seen.values())


def blocks(text: str) -> list[Block]:
    """The text cut at each article's first line, for a page that anchors every article."""
    out: list[Block] = []
    run: list[str] = []
    for line in text.splitlines():
        match = _ARTICLE.match(line)
        if match:
            if run:
                out.append(Block("\n".join(run)))
                run = []
            out.append(Block(line.strip(), int(match.group(1))))
        else:
            run.append(line)
    if run:
        out.append(Block("\n".join(run)))
    return out
