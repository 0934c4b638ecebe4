"""Near-duplicate comments form one cluster (a form letter with small edits), different
campaigns and unrelated comments stay apart, and every comment is in exactly one cluster."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from public_records.clusters import cluster_comments

LETTER = (
    "Kính gửi Ban soạn thảo. Tôi là {name}, làm nghề lái xe khách tuyến Buôn Ma Thuột đi "
    "Nha Trang. Đề nghị giữ giờ mở cửa bến xe từ 4 giờ sáng để phục vụ các chuyến sớm, vì "
    "nhiều hành khách đi làm và đi khám bệnh cần xuất phát sớm. Xin trân trọng cảm ơn."
)
OTHER_LETTER = (
    "Hiệp hội doanh nghiệp vận tải tỉnh đề nghị giảm phí sử dụng bến bãi cho xe tuyến cố "
    "định trong năm đầu áp dụng quy định, để doanh nghiệp nhỏ có thời gian chuẩn bị. Đề nghị "
    "Sở công bố lộ trình tăng phí trước ít nhất sáu tháng."
)
NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Võ Văn Em"]


def _variant(rng: random.Random, letter: str, i: int) -> str:
    text = letter.format(name=NAMES[i % len(NAMES)])
    words = text.split()
    if i % 3 == 1:  # one word changed
        words[rng.randrange(len(words))] = "rất"
    if i % 4 == 2:  # a sentence added
        words += ["Mong", "Ban", "soạn", "thảo", "xem", "xét."]
    return " ".join(words)


def test_a_form_letter_with_small_edits_is_one_cluster_led_by_the_earliest() -> None:
    rng = random.Random(7)
    comments = [(100 + i, _variant(rng, LETTER, i)) for i in range(50)]
    comments += [(10, "Cần quy định rõ trách nhiệm bồi thường khi xe đến bến muộn.")]
    clusters = cluster_comments(reversed(comments))
    assert len(clusters[0].members) == 50
    assert clusters[0].representative == 100
    assert clusters[1].members == (10,)


def test_two_campaigns_stay_apart_and_exact_repeats_join() -> None:
    rng = random.Random(3)
    first = [(i, _variant(rng, LETTER, i)) for i in range(20)]
    second = [(100 + i, _variant(rng, OTHER_LETTER, i)) for i in range(15)]
    repeats = [(200 + i, "Đồng ý với dự thảo.") for i in range(3)]
    clusters = cluster_comments(first + second + repeats)
    assert [(c.representative, len(c.members)) for c in clusters] == [(0, 20), (100, 15), (200, 3)]


def test_unrelated_comments_are_clusters_of_one() -> None:
    texts = [
        "Điều 3 nên bỏ yêu cầu nộp bản sao có chứng thực.",
        "Đề nghị tăng mức phạt đối với xe dừng đỗ sai quy định tại bến.",
        "Thời hạn cấp phép 15 ngày là quá dài, nên rút xuống 7 ngày làm việc.",
        "Cần có chỗ chờ cho người khuyết tật tại mọi bến xe khách.",
    ]
    clusters = cluster_comments(enumerate(texts))
    assert sorted(c.members for c in clusters) == [(0,), (1,), (2,), (3,)]


def test_nothing_in_nothing_out() -> None:
    assert cluster_comments([]) == []


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=60), max_size=30))
def test_every_comment_is_in_exactly_one_cluster(texts: list[str]) -> None:
    clusters = cluster_comments(enumerate(texts))
    members = [m for c in clusters for m in c.members]
    assert sorted(members) == list(range(len(texts)))
    assert all(c.representative == min(c.members) for c in clusters)
