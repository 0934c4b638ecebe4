"""Near-duplicate public comments (nhóm ý kiến trùng lặp / chiến dịch): a form letter sent by
thousands, each copy with a name changed, a word swapped or a sentence added, is one cluster,
so the drafting unit reads and answers it once; a comment like no other is a cluster of one.

Pure: (id, text) pairs in, clusters out; no database, no I/O, nothing downloaded.

How, cheapest first:

1. Texts are normalised (Unicode NFC, case folded, punctuation dropped, whitespace
   collapsed; diacritics kept, since in Vietnamese they make the word: "đề nghị" and "đê
   nghi" are not the same text). Equal normalised texts are one entry, found by hashing, so
   exact repeats cost nothing further.
2. Each distinct text becomes a set of shingles (word 3-grams; character 5-grams for a text
   too short for those) and a MinHash signature of that set, computed for all texts at once
   with numpy: the values ``datasketch.MinHash`` (scheme "affine32") would compute one text
   at a time, in a third of the CPU time of ``MinHash.bulk``.
3. A ``datasketch.MinHashLSH`` index offers, for each text in order of its earliest id,
   earlier texts whose shingle sets probably overlap it.
4. Each candidate is confirmed by the edit similarity of the two texts' words
   (``rapidfuzz.fuzz.ratio`` over the word sequences ≥ threshold), and a confirmed pair is
   joined by union-find: a cluster is the texts linked by a chain of confirmed pairs, and its
   representative is its earliest comment.

Words, not characters, are compared: two unrelated Vietnamese texts already score 0.4-0.5
over characters (few letters, many spaces), so comments that quote the same passage of the
draft and then say different things would reach 0.8; over words, their own parts add almost
nothing. (``fuzz.token_set_ratio`` would be worse still: a short comment whose words all
appear in a long one scores 1.0.)

Costs are kept linear in the number of comments. Only a cluster's first ``SAMPLES`` texts go
into the index: a later copy of a letter needs one of them to match, not all of them, so a
campaign of 30,000 costs 30,000 look-ups returning a handful of candidates each, not
30,000²/2 candidate pairs. A text is compared with at most ``CANDIDATES`` candidates, the
likeliest. And where *different* comments crowd one neighbourhood (many quoting the same
long passage), later ones go into a stricter index, so that a look-up does not walk the
whole crowd (see ``_linked``). Measured (bench/clustering.py, 2 vCPU): 100,000 comments, 30 %
of them copies in 20 campaigns, in about 15 s of CPU and 1.2 GB; with 10,000 of the others
quoting one passage, about 1 s more.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from datasketch import LeanMinHash, MinHash, MinHashLSH
from rapidfuzz import fuzz

#: The default similarity (0..1, ``fuzz.ratio`` / 100 over the words) from which two comments
#: are one. Measured (bench/clustering.py): a copy of a 70-110-word letter with a few edits
#: (the sender's name, a word or two, a sentence of their own) scores 0.84-0.97 against the
#: letter and at least 0.76 against another copy (the chain through other copies links
#: those); different people's comments on the same clause, sharing the drafting's words
#: ("đề nghị", "khoản 2 Điều 5", "thời hạn"), score 0.1-0.35, unrelated ones below 0.3.
DEFAULT_THRESHOLD = 0.8
#: Permutations per signature. 128 rather than 64: the LSH index's bands are then sharper, so
#: fewer copies of a letter are missed and fewer unrelated texts offered. Measured on the
#: bench's 100,000 comments: with 64, one copy of a campaign of 709 ends up alone; with 128,
#: every campaign is whole, for about 5 s more.
NUM_PERM = 128
#: The seed of the permutations (datasketch's default).
SEED = 1
#: Texts of one cluster held in the LSH index (see the module's docstring).
SAMPLES = 8
#: Candidates compared with a text, at most: comments that quote the same passage of the draft
#: and go on to say different things are candidates for one another (their 3-gram sets
#: overlap), and comparing each with all the others would cost their number squared.
CANDIDATES = 32
#: Candidates from which a text's neighbourhood is crowded (see ``_linked``): eight clusters'
#: worth of indexed texts.
CROWD = 8 * SAMPLES
#: Word n-grams for texts of at least ``MIN_WORDS`` words, character n-grams below that: a
#: comment of five words has only three word 3-grams, and one edit would change all of them.
WORD_GRAM, CHAR_GRAM, MIN_WORDS = 3, 5, 8
#: Shingles whose permuted hashes are held in memory at once (x ``NUM_PERM`` x 4 bytes: 32 MB).
_BLOCK = 1 << 16

# Punctuation and symbols become spaces; letters, digits and combining marks stay (NFC
# composes every Vietnamese letter, but a mark on a letter it cannot compose with survives).
_NOT_WORD = re.compile(r"[^\w\s\u0300-\u036f]|_")
# An odd 64-bit multiplier (2⁶⁴ / the golden ratio) that hashes a 3-gram's number.
_MIX = np.uint64(0x9E3779B97F4A7C15)
# Unicode's code points, less the surrogates.
_CODES = 0x110000 - 0x800
_PERMUTATIONS: npt.NDArray[np.uint32] = MinHash(num_perm=NUM_PERM, seed=SEED).permutations
_MAX_HASH = np.uint32(0xFFFFFFFF)

Signatures = npt.NDArray[np.uint32]


@dataclass(frozen=True)
class Cluster:
    """Comments that say the same thing. ``representative`` is the earliest (smallest id) of
    ``members``, which are sorted and include it."""

    representative: int
    members: tuple[int, ...]


#: Vietnamese words that turn a statement into its opposite (không, chưa, chẳng, chả, đừng,
#: chớ, chẳng hề); normalised as ``normalized`` leaves them.
NEGATIONS = frozenset({"không", "chưa", "chẳng", "chả", "đừng", "chớ", "khỏi"})


#: Pairs of Vietnamese words of opposite sense a comment on a rule often turns on (tăng/giảm
#: mức phí, nặng/nhẹ hơn, mở rộng/thu hẹp, đồng ý/phản đối …), normalised as ``normalized``
#: leaves them; a two-syllable word is matched as two adjacent words. Two comments that differ
#: in which side of a pair they say are never one cluster: the cost of a false split is one
#: answer written twice, that of a false merge an answer to what the citizen did not say.
OPPOSITES: tuple[tuple[str, str], ...] = (
    ("tăng", "giảm"), ("cao", "thấp"), ("thêm", "bớt"), ("nhiều", "ít"), ("sớm", "muộn"),
    ("dài", "ngắn"), ("nâng", "hạ"), ("rộng", "hẹp"), ("lớn", "nhỏ"), ("nặng", "nhẹ"),
    ("chặt", "lỏng"), ("siết", "nới"), ("giữ", "bỏ"), ("cho phép", "cấm"),
    ("bắt buộc", "tự nguyện"), ("đồng ý", "phản đối"), ("ủng hộ", "phản đối"),
    ("tán thành", "phản đối"),
)  # fmt: skip


#: Every syllable of ``OPPOSITES``: a text with none of them names no pair (most texts).
_OPPOSITE_SYLLABLES = frozenset(w for pair in OPPOSITES for side in pair for w in side.split())


def stances(text: str) -> dict[int, tuple[bool, bool]]:
    """For each pair of ``OPPOSITES`` that normalised ``text`` names: which of its sides."""
    words = set(text.split())
    if words.isdisjoint(_OPPOSITE_SYLLABLES):
        return {}
    padded = f" {text} "

    def says(side: str) -> bool:
        return side in words if " " not in side else f" {side} " in padded

    out = {}
    for n, (one, other) in enumerate(OPPOSITES):
        sides = (says(one), says(other))
        if any(sides):
            out[n] = sides
    return out


def opposed(a: dict[int, tuple[bool, bool]], b: dict[int, tuple[bool, bool]]) -> bool:
    """Whether, on some pair, one text's ``stances`` says only one side and the other's only
    the other ("tăng" against "giảm"; a text saying both, as in "tăng, không giảm", takes no
    side that can be told apart)."""
    return any(sides[0] != sides[1] and b.get(n) == sides[::-1] for n, sides in a.items())


def normalized(text: str) -> str:
    """``text`` as compared: NFC, case folded, punctuation dropped, whitespace collapsed."""
    text = unicodedata.normalize("NFC", text).casefold()
    return " ".join(_NOT_WORD.sub(" ", text).split())


def cluster_comments(
    comments: Iterable[tuple[int, str]], *, threshold: float = DEFAULT_THRESHOLD
) -> list[Cluster]:
    """Cluster (comment id, text) pairs: every id in exactly one cluster, near-identical texts
    (similarity of their normalised words ≥ ``threshold``, directly or through a chain of
    such pairs) together; the largest clusters first, then by representative. Raises
    ``ValueError`` for an id given twice: it could not be in exactly one cluster."""
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], not {threshold}")
    # Exact repeats first: one distinct normalised text stands for every id that sent it.
    ids_of: dict[str, list[int]] = {}
    seen: set[int] = set()
    for cid, text in sorted(comments, key=lambda c: c[0]):
        if cid in seen:
            raise ValueError(f"comment id {cid} given twice")
        seen.add(cid)
        ids_of.setdefault(normalized(text), []).append(cid)
    texts = list(ids_of)  # in order of each text's earliest id
    roots = _linked(texts, threshold)
    members: dict[int, list[int]] = {}
    for n, text in enumerate(texts):
        members.setdefault(roots[n], []).extend(ids_of[text])
    clusters = [Cluster(min(m), tuple(sorted(m))) for m in members.values()]
    return sorted(clusters, key=lambda c: (-len(c.members), c.representative))


def _linked(texts: Sequence[str], threshold: float) -> list[int]:
    """For each text, the index of its cluster's first text."""
    parent = list(range(len(texts)))
    if len(texts) < 2:
        return parent

    def find(n: int) -> int:
        while parent[n] != n:
            parent[n] = parent[parent[n]]  # path halving keeps later finds short
            n = parent[n]
        return n

    coded = coded_words(texts)
    signatures = _signatures(texts, coded)
    # "đồng ý" and "không đồng ý" score 0.9 on their words: a pair is one only if both say
    # no as many times, so one answer never goes to people who said opposite things.
    denials = [sum(w in NEGATIONS for w in t.split()) for t in texts]
    # Nor if one says "tăng" where the other says "giảm" (``OPPOSITES``): read only for the
    # texts a confirmed pair involves.
    sides: dict[int, dict[int, tuple[bool, bool]]] = {}

    def stance(n: int) -> dict[int, tuple[bool, bool]]:
        if n not in sides:
            sides[n] = stances(texts[n])
        return sides[n]

    # The index offers pairs whose 3-gram sets overlap by half the similarity asked (0.4 for
    # 0.8: 32 bands of 4). Measured, a copy of a letter keeps a Jaccard similarity of 0.55 or
    # more with it, offered with probability 0.95 by each of the cluster's indexed texts;
    # comments sharing only common phrases (below 0.1) are offered with probability 0.003.
    index = MinHashLSH(threshold=threshold / 2, num_perm=NUM_PERM)
    # Where the index offers more than CROWD candidates, different comments overlap (the same
    # quote): a text there goes to a stricter index (0.6 for 0.8: 18 bands of 7), which still
    # finds its copies (most keep 0.7 or more: offered with probability 0.79 at 0.7, 0.99 at
    # 0.8) but rarely the crowd (0.03 at 0.4), so that looking up the next text walks about
    # CROWD texts of the first index, not the whole crowd.
    crowd = MinHashLSH(threshold=threshold * 3 / 4, num_perm=NUM_PERM)
    indexed = [0] * len(texts)  # for a cluster's root: how many of its texts the index holds
    in_crowd = 0
    cutoff = threshold * 100
    for n, text in enumerate(texts):
        if not text:
            continue  # the empty text (punctuation only) is like nothing else
        signature = LeanMinHash(seed=SEED, hashvalues=signatures[n], scheme="affine32")
        candidates = index.query(signature)
        crowded = len(candidates) > CROWD
        if in_crowd:  # skipped while empty: a look-up costs microseconds per band even then
            candidates += crowd.query(signature)  # no text is in both
        for other in _likeliest(candidates, signatures, n):
            mine, theirs = find(n), find(other)
            # Already linked (through an earlier candidate): no need to compare.
            if (
                mine != theirs
                and denials[n] == denials[other]
                and fuzz.ratio(coded[n], coded[other], score_cutoff=cutoff) >= cutoff
                and not opposed(stance(n), stance(other))
            ):
                # The earlier text roots the merged cluster, so a cluster's root is its
                # first text whichever pair was confirmed first.
                root, child = min(mine, theirs), max(mine, theirs)
                parent[child] = root
                indexed[root] += indexed[child]
        root = find(n)
        if indexed[root] < SAMPLES:
            (crowd if crowded else index).insert(n, signature, check_duplication=False)
            indexed[root] += 1
            in_crowd += crowded
    return [find(n) for n in range(len(texts))]


def _likeliest(candidates: list[int], signatures: Signatures, n: int) -> list[int]:
    """At most ``CANDIDATES`` of text ``n``'s candidates: those whose signatures agree with
    its own the most (the estimated Jaccard similarity), the earliest first among equals."""
    if len(candidates) <= CANDIDATES:
        return sorted(candidates)
    keys = np.array(candidates)
    agreement = np.count_nonzero(signatures[keys] == signatures[n], axis=1)
    order = np.lexsort((keys, -agreement))[:CANDIDATES]
    return [int(k) for k in keys[order]]


def coded_words(texts: Sequence[str]) -> list[str]:
    """Each text with each of its words as one character, the same for the same word in
    every text: the edit similarity of two coded texts is that of their words, computed by
    rapidfuzz's fast path for strings, and the coded texts are small (a character for a
    word)."""
    code = _Codes()
    return ["".join(map(code.__getitem__, text.split())) for text in texts]


def signatures_of(texts: Sequence[str]) -> Signatures:
    """The MinHash signature (``NUM_PERM`` values) of each normalised text's shingles: the
    values ``datasketch.MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=int)`` would hold
    after ``update_batch`` with the shingles' hashes (``word_grams``, ``char_grams``). The
    empty text's is all 2³²-1."""
    return _signatures(texts, coded_words(texts))


def _signatures(texts: Sequence[str], coded: Sequence[str]) -> Signatures:
    out = np.full((len(texts), NUM_PERM), _MAX_HASH, dtype=np.uint32)
    long = [n for n, words in enumerate(coded) if len(words) >= MIN_WORDS]
    short = [n for n, words in enumerate(coded) if 0 < len(words) < MIN_WORDS]
    if long:
        out[long] = _min_hashes(*word_grams([coded[n] for n in long]))
    if short:
        out[short] = _min_hashes(*char_grams([texts[n] for n in short]))
    return out


def word_grams(coded: Sequence[str]) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.intp]]:
    """The 32-bit hashes of the word 3-grams of coded texts (``coded_words``, at least 3
    words each), one text after another, and how many each has (repeats included: a
    signature is a minimum, which repeats do not change). Vectorised over all texts: a
    word's code is below 2²¹, so a 3-gram's three codes make one 63-bit number, hashed to
    32 bits by multiplying."""
    lengths = np.array([len(words) for words in coded], dtype=np.intp)
    codes = np.frombuffer("".join(coded).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    grams = (codes[:-2] << np.uint64(42)) | (codes[1:-1] << np.uint64(21)) | codes[2:]
    # A 3-gram may not straddle two texts: drop those starting in a text's last two words.
    keep = np.ones(len(grams) + 2, dtype=bool)
    ends = np.cumsum(lengths)
    keep[ends - 1] = keep[ends - 2] = False
    hashes = (grams[keep[:-2]] * _MIX) >> np.uint64(32)
    return hashes.astype(np.uint32), lengths - (WORD_GRAM - 1)


def char_grams(texts: Sequence[str]) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.intp]]:
    """As ``word_grams``, for the character 5-grams of (short, non-empty) texts; a text
    shorter than 5 characters is its own one shingle."""
    hashes: list[int] = []
    counts = np.empty(len(texts), dtype=np.intp)
    for n, text in enumerate(texts):
        grams = [text[i : i + CHAR_GRAM] for i in range(len(text) - CHAR_GRAM + 1)] or [text]
        hashes += [zlib.crc32(g.encode("utf-8", "surrogatepass")) for g in grams]
        counts[n] = len(grams)
    return np.array(hashes, dtype=np.uint32), counts


def _min_hashes(hashes: npt.NDArray[np.uint32], counts: npt.NDArray[np.intp]) -> Signatures:
    """One signature per text from its shingles' hashes (``counts[i]`` of them, at least
    one, for text i), a block of texts at a time to bound memory."""
    out = np.empty((len(counts), NUM_PERM), dtype=np.uint32)
    bounds = np.concatenate(([0], np.cumsum(counts)))
    a, b = _PERMUTATIONS
    start = 0
    while start < len(counts):
        # As many texts as fit in one block of shingles (at least one text).
        end = int(np.searchsorted(bounds, bounds[start] + _BLOCK, side="right")) - 1
        end = min(max(end, start + 1), len(counts))
        block = _fmix32(hashes[bounds[start] : bounds[end]])
        # One row per permutation, so that each minimum runs along contiguous memory (eight
        # times faster than a column per permutation). uint32 wraps modulo 2³², as
        # datasketch's permutations do.
        permuted = a[:, None] * block[None, :] + b[:, None]
        offsets = bounds[start:end] - bounds[start]
        out[start:end] = np.minimum.reduceat(permuted, offsets, axis=1).T
        start = end
    return out


class _Codes(dict[str, str]):
    """A word's character: the next unused code point the first time the word is met,
    skipping the surrogates (which cannot be encoded); past the last code point, codes are
    reused (two words then count as one, which only a corpus of a million distinct words
    reaches)."""

    def __missing__(self, word: str) -> str:
        n = len(self) % _CODES
        value = self[word] = chr(n if n < 0xD800 else n + 0x800)
        return value


def _fmix32(h: npt.NDArray[Any]) -> npt.NDArray[np.uint32]:
    """MurmurHash3's 32-bit finalizer, as datasketch applies it before its permutations."""
    h = h.astype(np.uint32)
    h ^= h >> np.uint32(16)
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    return h
