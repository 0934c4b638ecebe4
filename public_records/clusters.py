"""Near-duplicate comments (nhóm ý kiến trùng lặp, chiến dịch vận động): a form letter sent
by thousands, copied with a name changed or a sentence added, is one cluster, so the
drafting unit reads and answers it once.

Pure: texts in, clusters out (no database, no I/O, nothing downloaded). Exact repeats (the
same text once normalised) cost nothing; the rest are compared by MinHash signatures of
their word 3-grams in an LSH index (``datasketch``), and a candidate is confirmed by the
edit similarity of the two texts (``rapidfuzz``), which an unrelated text sharing a few
phrases does not reach. Each cluster has a leader, its first text; a text joins the cluster
of the most similar indexed text it matches, else leads a cluster of its own. Only a few
texts of each cluster are indexed, so a campaign of 30,000 costs 30,000 lookups, not
30,000² comparisons, and clusters do not chain from one topic to another through a long
series of small steps.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from datasketch import MinHash, MinHashLSH
from rapidfuzz import fuzz

#: Permutations per signature: enough to estimate a Jaccard similarity of 0.5 within a few
#: hundredths, few enough to sign 100,000 comments in seconds.
NUM_PERM = 64
#: The Jaccard similarity of 3-gram sets at which the LSH index offers a candidate: loose,
#: since a name changed in a short letter already costs several 3-grams; the edit similarity
#: decides.
CANDIDATE_JACCARD = 0.3
#: A text joins a leader from this edit similarity (0..1) of the two normalised texts.
DEFAULT_THRESHOLD = 0.75
#: Texts of a cluster kept in the index (its leader and the first to join it).
SAMPLES = 8
#: Texts with fewer words than this are shingled by characters instead.
MIN_WORDS = 6


@dataclass(frozen=True)
class Cluster:
    """Comments that say the same thing; the representative is the earliest (smallest id)."""

    representative: int
    members: tuple[int, ...]


def normalized(text: str) -> str:
    """Unicode NFC, case folded, punctuation dropped, whitespace collapsed (diacritics kept:
    in Vietnamese they make the word)."""
    text = unicodedata.normalize("NFC", text).casefold()
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def _shingles(text: str) -> set[bytes]:
    words = text.split()
    if len(words) >= MIN_WORDS:
        return {" ".join(words[i : i + 2]).encode() for i in range(len(words) - 1)}
    if len(text) <= 5:
        return {text.encode()}
    return {text[i : i + 5].encode() for i in range(len(text) - 4)}


def cluster_comments(
    comments: Iterable[tuple[int, str]], *, threshold: float = DEFAULT_THRESHOLD
) -> list[Cluster]:
    """Every comment id in exactly one cluster (a comment alike to no other is a cluster of
    one), the largest clusters first, then the earliest."""
    # Exact repeats first: one distinct text stands for all who sent it.
    ids_of: dict[str, list[int]] = {}
    for cid, text in sorted(comments):
        ids_of.setdefault(normalized(text), []).append(cid)
    texts = list(ids_of)  # in order of each text's earliest id
    signatures = MinHash.bulk((_shingles(t) for t in texts), num_perm=NUM_PERM)
    index = MinHashLSH(threshold=CANDIDATE_JACCARD, num_perm=NUM_PERM)
    leader_of: list[int] = []
    indexed: dict[int, int] = {}  # leader -> how many of its texts the index holds
    cutoff = threshold * 100
    for n, (text, signature) in enumerate(zip(texts, signatures, strict=True)):
        best, best_score = n, cutoff
        for candidate in index.query(signature):
            score = fuzz.ratio(text, texts[candidate], score_cutoff=best_score)
            if score >= best_score:
                best, best_score = leader_of[candidate], score
        leader_of.append(best)
        # A cluster is found by its first few texts, not its leader's alone: two variants of
        # one letter may each be nearer the others than to the leader.
        if indexed.get(best, 0) < SAMPLES:
            indexed[best] = indexed.get(best, 0) + 1
            index.insert(n, signature)
    members: dict[int, list[int]] = {}
    for n, text in enumerate(texts):
        members.setdefault(leader_of[n], []).extend(ids_of[text])
    clusters = [Cluster(min(m), tuple(sorted(m))) for m in members.values()]
    return sorted(clusters, key=lambda c: (-len(c.members), c.representative))
