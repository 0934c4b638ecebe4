"""Near-duplicate clustering of public comments at volume (public_records/clusters.py).

    .venv/bin/python -m bench.clustering --comments 100000 [--quoting 0] [--seed 19]
        [--json PATH]

No server, no database: generates a consultation's comments deterministically (seeded) and
times ``cluster_comments`` on them. The mix, in Vietnamese-looking words (real syllables of
the drafting's vocabulary first, then made-up ones, drawn by a Zipf law so that unrelated
comments share common words and phrases as real ones do):

- 30 % are 20 campaigns of uneven size: a form letter of 40-160 words, each copy with a
  few of these edits: the sender's name changed, a word or two replaced, a word dropped, a
  sentence of its own added, case, punctuation and spacing changed, or the whole text sent
  in decomposed Unicode (NFD, the same letters as far as a reader can tell);
- 70 % are distinct comments of 20-200 words; with ``--quoting N``, N of them quote the same
  50-word passage of the draft and go on with 25-50 words of their own (the index's costly
  case: different comments whose 3-grams mostly overlap).

Comment ids are the arrival order, the campaigns' copies spread among the rest. Reports the
comments, clusters found, campaigns recovered (all of a campaign's copies in one cluster
holding nothing else), the largest wrong merge if any (a cluster joining comments of
different origins), distinct comments left alone, seconds (wall and CPU) and comments per
second. Target: 100,000 comments in ≤ 60 s on the 2-vCPU bench machine.
"""

from __future__ import annotations

import argparse
import os
import random
import time
import unicodedata
from collections import Counter
from itertools import accumulate
from pathlib import Path
from typing import Any

from bench import report
from public_records.clusters import (
    DEFAULT_THRESHOLD,
    NEGATIONS,
    OPPOSITES,
    Cluster,
    cluster_comments,
)


def listed(words: str) -> list[str]:
    """Words written as one string, which reads better than a list literal of syllables."""
    return words.split()


#: Words that turn a statement's sense ("không", "tăng"/"giảm" …): a copy's edits avoid them.
TURNING = NEGATIONS | {w for pair in OPPOSITES for side in pair for w in side.split()}

#: The share of comments that are copies of a campaign's letter, and how many campaigns.
CAMPAIGN_SHARE, CAMPAIGNS = 0.3, 20
#: Real words first (the most frequent), so the texts read like comments on a draft.
COMMON = listed(
    "đề nghị dự thảo quy định điều khoản ban soạn thảo cơ quan người dân doanh nghiệp "
    "thủ tục hồ sơ thời hạn trách nhiệm giải quyết cần bổ sung sửa đổi rõ ràng cụ thể "
    "theo của các và có không được là cho với trong khi đã này những một để về như "
    "tại từ đến nên phải hướng dẫn thực hiện áp dụng ngày tháng năm xin cảm ơn kính gửi "
    "tôi chúng ý kiến góp phù hợp thực tế địa phương tỉnh huyện xã nhà nước pháp luật"
)
ONSETS = [*listed("b c ch d đ g gh gi h k kh l m n ng nh p ph qu r s t th tr v x"), ""]
VOWELS = listed(
    "a ă â e ê i o ô ơ u ư y ai ao au ay âu ây eo êu ia iê oa oă oe oi ôi ơi ua uâ uê ui uô ươ ưu"
)
CODAS = ["", "", "", "c", "ch", "m", "n", "ng", "nh", "p", "t"]
#: The tone marks (none, grave, acute, hook, tilde, dot below), as combining characters.
TONES = ["", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"]
SURNAMES = listed("Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý")
MIDDLE = listed("Văn Thị Hữu Đức Minh Ngọc Thanh Quang Xuân Thu")
GIVEN = listed("An Bình Cường Dung Em Giang Hà Hải Hạnh Hòa Hùng Khánh Lan Linh Long Mai Nam")


def vocabulary(rng: random.Random, size: int = 6000) -> list[str]:
    """``COMMON`` then made-up syllables (onset, vowel with a tone, coda), most frequent
    first."""
    words = list(dict.fromkeys(COMMON))
    seen = set(words)
    while len(words) < size:
        vowel = rng.choice(VOWELS)
        toned = vowel[0] + rng.choice(TONES) + vowel[1:]
        word = unicodedata.normalize("NFC", rng.choice(ONSETS) + toned + rng.choice(CODAS))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


class Writer:
    """Vietnamese-looking sentences, words drawn by a Zipf law over the vocabulary."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.words = vocabulary(rng)
        self.weights = list(accumulate(1 / (rank + 1) for rank in range(len(self.words))))

    def sentence(self, length: int, *, neutral: bool = False) -> str:
        """``neutral``: without a word that turns a statement's sense (``TURNING``)."""
        words = self.rng.choices(self.words, cum_weights=self.weights, k=length)
        if neutral:
            words = [w for w in words if w not in TURNING] or ["ý", "kiến"]
        return " ".join([words[0].capitalize(), *words[1:]]) + self.rng.choice(".;.!.")

    def text(self, length: int) -> str:
        sentences = []
        while length > 0:
            n = min(length, self.rng.randint(8, 20))
            sentences.append(self.sentence(n))
            length -= n
        return " ".join(sentences)

    def name(self) -> str:
        return " ".join(
            [self.rng.choice(SURNAMES), self.rng.choice(MIDDLE), self.rng.choice(GIVEN)]
        )


def letter(writer: Writer) -> str:
    """A campaign's form letter: a greeting with the sender's name (``{name}``), a body."""
    body = writer.text(writer.rng.randint(40, 160))
    return f"Kính gửi Ban soạn thảo. Tôi là {{name}}, xin góp ý như sau. {body}"


def copy_of(writer: Writer, form: str) -> str:
    """One sender's copy of ``form``, with a few small edits of the kinds senders make."""
    rng = writer.rng
    words = form.format(name=writer.name()).split()
    # A sender's edits keep the letter's sense (the generator cannot tell a sense-turning
    # edit, which the clustering must keep apart: tests/unit/test_clusters.py does).
    if rng.random() < 0.3:  # a word or two replaced
        for _ in range(rng.randint(1, 2)):
            at = rng.randrange(len(words))
            if words[at].casefold().strip(".,;!") not in TURNING:
                words[at] = rng.choice([w for w in writer.words[:500] if w not in TURNING])
    if rng.random() < 0.2:  # a word dropped
        at = rng.randrange(len(words))
        if words[at].casefold().strip(".,;!") not in TURNING:
            del words[at]
    if rng.random() < 0.3:  # a sentence of their own, at the end or after the greeting
        own = writer.sentence(rng.randint(5, 15), neutral=True).split()
        at = len(words) if rng.random() < 0.7 else 8
        words[at:at] = own
    if rng.random() < 0.2:  # half the words shouted, the others stripped of punctuation
        words = [w.upper() if rng.random() < 0.5 else w.strip(".,;!") for w in words]
    text = (" " if rng.random() < 0.8 else "  ").join(words)  # or spaced out
    if rng.random() < 0.1:  # typed on a system that sends decomposed Unicode
        text = unicodedata.normalize("NFD", text)
    return text


def generate(count: int, seed: int, quoting: int = 0) -> tuple[list[tuple[int, str]], list[int]]:
    """``count`` comments (id, text) and each one's origin: the campaign's number (0..19),
    or -1 for a distinct comment (``quoting`` of which quote one passage)."""
    rng = random.Random(seed)
    writer = Writer(rng)
    forms = [letter(writer) for _ in range(CAMPAIGNS)]
    # Uneven campaign sizes, as real ones are: a few large, most small, each at least 2.
    copies = int(count * CAMPAIGN_SHARE)
    shares = [rng.paretovariate(1.2) for _ in forms]
    sizes = [max(2, int(copies * s / sum(shares))) for s in shares]
    sizes[0] += copies - sum(sizes)
    origins = [c for c, size in enumerate(sizes) for _ in range(size)]
    origins += [-1] * (count - len(origins))
    rng.shuffle(origins)
    texts = [
        copy_of(writer, forms[o]) if o >= 0 else writer.text(rng.randint(20, 200)) for o in origins
    ]
    passage = writer.text(50)
    distinct = [n for n, o in enumerate(origins) if o < 0]
    for n in distinct[:quoting]:
        texts[n] = f"Về đoạn: “{passage}” Ý kiến: {writer.text(rng.randint(25, 50))}"
    return list(enumerate(texts, start=1)), origins


def score(
    clusters: list[Cluster], origins: list[int]
) -> tuple[int, list[dict[str, Any]], int, dict[str, Any] | None]:
    """Campaigns recovered, what became of the others, distinct comments left alone, and the
    largest wrong merge (``None`` if none)."""
    origin_of = {i: o for i, o in enumerate(origins, start=1)}
    sizes = Counter(origins)
    clusters_of: dict[int, list[Cluster]] = {c: [] for c in sizes if c >= 0}
    alone, wrong = 0, None
    wrong_size = 0
    for cluster in clusters:
        mix = Counter(origin_of[m] for m in cluster.members)
        for origin in mix:
            if origin >= 0:
                clusters_of[origin].append(cluster)
        if mix == Counter({-1: 1}):
            alone += 1
        elif (len(mix) > 1 or mix[-1] > 1) and len(cluster.members) > wrong_size:
            wrong_size = len(cluster.members)
            wrong = {
                "size": len(cluster.members),
                "representative": cluster.representative,
                "campaigns": sorted(o for o in mix if o >= 0),
                "distinct_comments": mix[-1],
            }
    recovered, missed = 0, []
    for origin, found in sorted(clusters_of.items()):
        if len(found) == 1 and len(found[0].members) == sizes[origin]:
            recovered += 1
        else:
            missed.append(
                {
                    "campaign": origin,
                    "copies": sizes[origin],
                    "clusters": len(found),
                    "largest": max(len(c.members) for c in found),
                }
            )
    return recovered, missed, alone, wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument(
        "--quoting", type=int, default=0, help="distinct comments quoting one passage"
    )
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--json", type=Path, default=None, help="also write the result here")
    args = parser.parse_args()
    # The machine is shared: a result records the load around it.
    load_at_start = os.getloadavg()
    started = time.perf_counter()
    comments, origins = generate(args.comments, args.seed, args.quoting)
    generated = time.perf_counter() - started
    started, cpu_started = time.perf_counter(), time.process_time()
    clusters = cluster_comments(comments, threshold=args.threshold)
    seconds = time.perf_counter() - started
    # On a busy machine the wall time waits for other work; the CPU time does not.
    cpu_seconds = time.process_time() - cpu_started
    recovered, missed, alone, wrong = score(clusters, origins)
    distinct = origins.count(-1)
    report(
        {
            "comments": len(comments),
            "campaigns_planted": CAMPAIGNS,
            "campaign_copies": len(comments) - distinct,
            "distinct_comments": distinct,
            "quoting_one_passage": min(args.quoting, distinct),
            "threshold": args.threshold,
            "clusters_found": len(clusters),
            "campaigns_recovered": recovered,
            "campaigns_not_recovered": missed,
            "distinct_comments_left_alone": alone,
            "largest_wrong_merge": wrong,
            "seconds": round(seconds, 2),
            "comments_per_s": round(len(comments) / seconds),
            "cpu_seconds": round(cpu_seconds, 2),
            "generation_seconds": round(generated, 2),
            "load_average_at_start": [round(x, 2) for x in load_at_start],
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        },
        args.json,
    )


if __name__ == "__main__":
    main()
