"""Near-duplicate public comments (public_records/clusters.py): a form letter with small edits
is one cluster led by its earliest comment, different campaigns and unrelated comments stay
apart, exact repeats join, and every comment is in exactly one cluster."""

from __future__ import annotations

import random
import unicodedata

import pytest
from datasketch import MinHash
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from public_records.clusters import (
    NUM_PERM,
    SEED,
    Cluster,
    char_grams,
    cluster_comments,
    coded_words,
    normalized,
    opposed,
    signatures_of,
    stances,
    word_grams,
)

LETTER = (
    "Kính gửi Ban soạn thảo. Tôi là {name}, làm nghề lái xe khách tuyến Buôn Ma Thuột đi "
    "Nha Trang. Đề nghị giữ giờ mở cửa bến xe từ 4 giờ sáng để phục vụ các chuyến sớm, vì "
    "nhiều hành khách đi làm và đi khám bệnh cần xuất phát sớm. Xin trân trọng cảm ơn."
)
OTHER_LETTER = (
    "Hiệp hội doanh nghiệp vận tải tỉnh đề nghị giảm phí sử dụng bến bãi cho xe tuyến cố "
    "định trong năm đầu áp dụng quy định, để doanh nghiệp nhỏ có thời gian chuẩn bị. Đề nghị "
    "Sở công bố lộ trình tăng phí trước ít nhất sáu tháng. Người gửi: {name}."
)
NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Võ Văn Em"]
UNRELATED = [
    "Điều 3 nên bỏ yêu cầu nộp bản sao có chứng thực.",
    "Đề nghị tăng mức phạt đối với xe dừng đỗ sai quy định tại bến.",
    "Thời hạn cấp phép 15 ngày là quá dài, nên rút xuống 7 ngày làm việc.",
    "Cần có chỗ chờ cho người khuyết tật tại mọi bến xe khách.",
    "Bến xe phải công khai giá vé và lịch chạy xe trên cổng thông tin của tỉnh để người dân "
    "tra cứu, thay vì chỉ niêm yết tại quầy bán vé.",
    "Quy định về xử lý xe dù, bến cóc còn chung chung; cần giao rõ trách nhiệm cho Ủy ban "
    "nhân dân cấp xã và lực lượng cảnh sát giao thông trong việc kiểm tra hằng tuần.",
]


def copy_of(letter: str, i: int, rng: random.Random) -> str:
    """The ``i``-th sender's copy: their own name, and by turns one word changed, a sentence
    added, shouting, lost punctuation, extra spaces, decomposed Unicode."""
    words = letter.format(name=NAMES[i % len(NAMES)] + f" {i}").split()
    if i % 3 == 1:
        words[rng.randrange(len(words))] = "rất"
    if i % 4 == 2:
        words += ["Mong", "Ban", "soạn", "thảo", "sớm", "xem", "xét", "đề", "nghị", "này."]
    text = "  ".join(words) if i % 5 == 3 else " ".join(words)
    if i % 6 == 4:
        text = text.upper().replace(".", "").replace(",", "")
    if i % 7 == 5:
        text = unicodedata.normalize("NFD", text)
    return text


def test_a_form_letter_sent_50_times_with_small_edits_is_one_cluster_led_by_the_earliest() -> None:
    rng = random.Random(7)
    copies = [(100 + i, copy_of(LETTER, i, rng)) for i in range(50)]
    assert len({normalized(t) for _, t in copies}) == 50  # all different once normalised
    comments = [*copies, (10, UNRELATED[0])]
    rng.shuffle(comments)  # the order given does not matter, only the ids
    clusters = cluster_comments(comments)
    assert clusters == [
        Cluster(representative=100, members=tuple(range(100, 150))),
        Cluster(representative=10, members=(10,)),
    ]


def test_two_campaigns_stay_apart() -> None:
    rng = random.Random(3)
    first = [(i, copy_of(LETTER, i, rng)) for i in range(20)]
    second = [(100 + i, copy_of(OTHER_LETTER, i, rng)) for i in range(15)]
    clusters = cluster_comments(first + second)
    assert [(c.representative, len(c.members)) for c in clusters] == [(0, 20), (100, 15)]


def test_unrelated_comments_are_clusters_of_one() -> None:
    clusters = cluster_comments(enumerate(UNRELATED))
    assert sorted(c.members for c in clusters) == [(n,) for n in range(len(UNRELATED))]


QUOTE = (
    "Khoản 2 Điều 5 dự thảo quy định: doanh nghiệp kinh doanh vận tải hành khách theo tuyến "
    "cố định phải đăng ký giờ xe chạy tại bến xe khách đầu tuyến và cuối tuyến, thực hiện "
    "đúng biểu đồ chạy xe đã được Sở Giao thông vận tải công bố"
)


def quoting(rng: random.Random, words: int) -> str:
    """A comment quoting ``QUOTE`` and going on with ``words`` words of its own."""
    own = rng.choices(" ".join(UNRELATED).split(), k=words)
    return f"{QUOTE}. Ý kiến: {' '.join(own)}"


def test_comments_quoting_the_same_passage_and_saying_different_things_stay_apart() -> None:
    # Over characters these score above 0.8 (the quote, and half of any two unrelated
    # Vietnamese texts' letters in common); over words they do not.
    rng = random.Random(5)
    comments = [(n, quoting(rng, 22)) for n in range(12)]
    assert [len(c.members) for c in cluster_comments(comments)] == [1] * 12


def test_a_campaign_among_many_comments_quoting_its_passage_is_still_one_cluster() -> None:
    # 200 different comments quoting the passage crowd the first index, so the letter's
    # copies (offered 100 and more of them each) go to the second, where they find one
    # another. Measured margins: copies score 0.85 and up with one another, below 0.75 with
    # the quoting comments, which score below 0.76 with one another.
    rng = random.Random(8)
    crowd = [(n, quoting(rng, 32)) for n in range(200)]
    letter = "Tôi là {name}. " + QUOTE + ". Đề nghị bỏ quy định này."
    copies = [(1000 + i, copy_of(letter, i, rng)) for i in range(12)]
    clusters = cluster_comments(crowd + copies)
    assert clusters[0] == Cluster(1000, tuple(range(1000, 1012)))
    assert [len(c.members) for c in clusters[1:]] == [1] * 200


def test_exact_repeats_join_whatever_their_case_punctuation_spacing_or_encoding() -> None:
    text = "Đồng ý với toàn bộ dự thảo, không có ý kiến khác."
    comments = [
        (5, text),
        (9, text.upper()),
        (2, "  đồng ý với toàn bộ dự thảo   không có ý kiến khác!! "),
        (7, unicodedata.normalize("NFD", text)),
        (3, UNRELATED[2]),
        (4, UNRELATED[2]),
    ]
    assert cluster_comments(comments) == [Cluster(2, (2, 5, 7, 9)), Cluster(3, (3, 4))]


def test_short_comments_are_compared_by_their_characters() -> None:
    comments = [(1, "Đồng ý với dự thảo luật"), (2, "Đồng ý với dự thảo luật này"), (3, "Ok")]
    assert cluster_comments(comments) == [Cluster(1, (1, 2)), Cluster(3, (3,))]


def test_nothing_in_nothing_out() -> None:
    assert cluster_comments([]) == []


def test_an_id_given_twice_or_a_threshold_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="given twice"):
        cluster_comments([(1, "một"), (1, "hai")])
    with pytest.raises(ValueError, match="threshold"):
        cluster_comments([(1, "một")], threshold=0)


def test_the_vectorised_signatures_are_datasketchs() -> None:
    texts = [normalized(LETTER.format(name="Nguyễn Văn An")), "đồng ý", "ok"]
    coded = coded_words(texts)
    signatures = signatures_of(texts)
    for n, (hashes, _) in enumerate(
        [word_grams([coded[0]]), char_grams([texts[1]]), char_grams([texts[2]])]
    ):
        expected = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=int)
        expected.update_batch(hashes.tolist())
        assert (signatures[n] == expected.hashvalues).all()


def test_coded_texts_compare_as_their_words() -> None:
    rng = random.Random(11)
    texts = [normalized(copy_of(LETTER, i, rng)) for i in range(6)] + [normalized(UNRELATED[5])]
    coded = coded_words(texts)
    assert [len(c) for c in coded] == [len(t.split()) for t in texts]
    for a in range(len(texts)):
        for b in range(len(texts)):
            assert fuzz.ratio(coded[a], coded[b]) == fuzz.ratio(texts[a].split(), texts[b].split())


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=60),
            st.sampled_from(UNRELATED),
            st.builds(lambda i: copy_of(LETTER, i, random.Random(i)), st.integers(0, 40)),
        ),
        max_size=40,
    ),
    st.randoms(use_true_random=False),
)
def test_every_comment_is_in_exactly_one_cluster(texts: list[str], rng: random.Random) -> None:
    ids = rng.sample(range(1000), len(texts))
    clusters = cluster_comments(zip(ids, texts, strict=True))
    members = [m for c in clusters for m in c.members]
    assert sorted(members) == sorted(ids)
    assert all(c.members == tuple(sorted(c.members)) for c in clusters)
    assert all(c.representative == c.members[0] for c in clusters)
    assert clusters == sorted(clusters, key=lambda c: (-len(c.members), c.representative))
    # The same comments given in another order make the same clusters.
    shuffled = list(zip(ids, texts, strict=True))
    rng.shuffle(shuffled)
    assert cluster_comments(shuffled) == clusters


def test_a_comment_saying_the_opposite_is_not_in_the_same_cluster() -> None:
    agree = (
        "Tôi đồng ý với quy định giờ mở cửa bến xe từ 5 giờ sáng đến 22 giờ hằng ngày như dự "
        "thảo đã nêu tại Điều 2."
    )
    disagree = agree.replace("Tôi đồng ý", "Tôi không đồng ý")
    clusters = cluster_comments([(1, agree), (2, agree + " Xin cảm ơn."), (3, disagree)])
    assert sorted(c.members for c in clusters) == [(1, 2), (3,)]


def test_comments_asking_for_opposite_things_are_not_one_cluster() -> None:
    raise_it = (
        "Đề nghị tăng mức phí trông giữ xe tại bến xe khách trung tâm tỉnh như dự thảo đã "
        "nêu tại Điều 3, áp dụng từ ngày 01 tháng 01."
    )
    lower_it = raise_it.replace("tăng", "giảm")
    widen = "Đề nghị mở rộng phạm vi áp dụng quy định cho cả các bến xe khách huyện"
    narrow = widen.replace("mở rộng", "thu hẹp")
    oppose = "Tôi phản đối quy định thu phí trông giữ xe đạp tại bến xe khách trung tâm"
    agree = oppose.replace("phản đối", "đồng ý")
    clusters = cluster_comments(
        [(1, raise_it), (2, raise_it + " Xin cảm ơn."), (3, lower_it), (4, widen),
         (5, narrow), (6, oppose), (7, agree)]
    )  # fmt: skip
    assert sorted(c.members for c in clusters) == [(1, 2), (3,), (4,), (5,), (6,), (7,)]


def test_a_word_of_a_pair_said_by_one_copy_only_does_not_split_a_campaign() -> None:
    letter = (
        "Đề nghị tăng mức phạt đối với hành vi đổ rác thải xây dựng không đúng nơi quy định "
        "trên địa bàn tỉnh để bảo vệ môi trường."
    )
    clusters = cluster_comments(
        [(1, letter), (2, letter + " Mức phạt cần cao hơn."), (3, letter.replace("tỉnh", "huyện"))]
    )
    assert [c.members for c in clusters] == [(1, 2, 3)]


def test_stances_read_one_and_two_syllable_words() -> None:
    assert stances("đề nghị tăng mức phí") == {0: (True, False)}
    assert stances("đề nghị thu hẹp phạm vi") == {7: (False, True)}
    both = stances("tôi đồng ý nhưng phản đối điều 2")
    assert both == {15: (True, True), 16: (False, True), 17: (False, True)}
    assert not opposed(stances("tăng phí"), stances("tăng phí cao hơn"))
    assert opposed(stances("tăng phí"), stances("giảm phí"))
    assert not opposed(stances("tăng phí, không giảm"), stances("tăng phí"))
    assert opposed(stances("giảm phí và thu hẹp"), stances("hẹp nhưng tăng phí"))
