"""Linking a transcript to the announcement it answers, and grouping near-duplicates, on
transcripts generated here: many citizens' wordings of a few problems, with the misspellings
Whisper makes (a lost tone mark, ch/tr, s/x), and messages about nothing announced."""

from __future__ import annotations

import itertools
import json
import random
from datetime import date

import pytest
from conftest import announcement_text
from test_feedback_cases import new, with_case_rules

from broadcast.core import db
from broadcast.feedback import cases, linking, queue
from broadcast.feedback.models import FeedbackItem
from broadcast.playout import asrun

D = date.fromisoformat

ANNOUNCEMENTS = {
    "tiem-chung": ("Lịch tiêm chủng", "Trạm Y tế xã tổ chức tiêm chủng cho trẻ em dưới 5 tuổi tại nhà văn hóa "
                   "bản Mến, từ 7 giờ 30 phút ngày 15 tháng 11. Phụ huynh mang theo sổ tiêm chủng."),
    "cat-dien": ("Lịch cắt điện", "Điện lực tạm ngừng cung cấp điện từ 8 giờ đến 16 giờ để sửa chữa đường dây "
                 "tại bản Ly Xôm và bản Mến. Đề nghị bà con chủ động."),
    "bhyt": ("Gia hạn bảo hiểm y tế", "Bà con đến Ủy ban nhân dân xã để gia hạn thẻ bảo hiểm y tế hộ gia đình "
             "trước ngày 31 tháng 12. Mang theo căn cước công dân."),
    "ve-sinh": ("Tổng vệ sinh môi trường", "Xã phát động tổng vệ sinh môi trường, thu gom rác thải, khơi thông "
                "cống rãnh vào sáng chủ nhật. Mỗi hộ cử một người tham gia."),
}

OPENERS = ["", "Alo, ", "Cho tôi hỏi, ", "Tôi ở bản Mến, ", "Xin chào cán bộ xã, "]
CLOSERS = ["", " Xin cảm ơn.", " Mong xã trả lời sớm.", " Vậy có được không ạ?"]
ASKS = {
    "tiem-chung": ["con tôi bốn tuổi có được tiêm chủng ở nhà văn hóa không",
                   "lịch tiêm trủng cho trẻ em ngày mười lăm là mấy giờ",
                   "đi tiêm chủng cho cháu thì phải mang sổ tiêm gì",
                   "trạm y tế tiêm chủng cho trẻ dưới năm tuổi ở đâu"],
    "cat-dien": ["bản Ly Xôm bị cắt điện từ sáng mà chưa có điện lại",
                 "điện lực sửa đường dây đến mấy giờ thì có điện",
                 "ngừng cung cấp điện cả ngày thì tủ lạnh hỏng hết",
                 "hôm nay mất điện ở bản Mến, bao giờ sửa xong đường dây"],
    "bhyt": ["tôi muốn gia hạn thẻ bảo hiểm y tế cho cả hộ gia đình",
             "thẻ bảo hiểm y tê của mẹ tôi hết hạn, lên ủy ban xã gia hạn ở đâu",
             "gia hạn bảo hiểm y tế có cần mang căn cước không",
             "hạn cuối gia hạn thẻ bảo hiểm là ngày nào"],
    "ve-sinh": ["cống rãnh đầu bản tắc hết, rác thải nhiều quá",
                "chủ nhật tổng vệ sinh thì mỗi hộ mấy người tham gia",
                "xã cho người thu gom rác thải ở bản Mến được không",
                "khơi thông cống rãnh thì làm vào sáng mấy giờ"],
}
UNRELATED = ["Nhà hàng xóm hát karaoke to quá đến nửa đêm",
             "Nhà tôi bị mất trộm con trâu đêm qua",
             "Tôi muốn xin giấy xác nhận độc thân để đăng ký kết hôn"]


def transcripts() -> list[tuple[str, str]]:
    """(announcement id, transcript) for every wording, seeded so a failure can be repeated."""
    rnd = random.Random(17)
    out = []
    for ann, asks in ASKS.items():
        for ask in asks:
            for _ in range(3):
                out.append((ann, rnd.choice(OPENERS) + ask + "." + rnd.choice(CLOSERS)))
    return out


def test_rank_picks_the_announcement_each_transcript_answers():
    documents = {k: f"{t}\n{b}" for k, (t, b) in ANNOUNCEMENTS.items()}
    hits = 0
    for expected, text in transcripts():
        ranked = linking.rank(text, documents)
        hits += ranked[0][0] == expected and ranked[0][1] >= linking.MIN_LINK_SCORE
    total = len(transcripts())
    assert hits / total >= 0.95, f"{hits} of {total}"
    for text in UNRELATED:
        assert linking.rank(text, documents)[0][1] < linking.MIN_LINK_SCORE, text


@pytest.fixture
def linked_ws(ws):
    with_case_rules(ws)
    schedule = {"tiem-chung": ("[2025-11-14, 2025-11-15]", "[men]"),
                "cat-dien": ("[2025-11-10]", "[ly-xom, men]"),
                "bhyt": ("[2025-10-01]", "[ly-xom, men]"),          # long ago by its schedule …
                "ve-sinh": ("[2025-11-16]", "[ly-xom]")}            # … and another area
    for ann, (title, body) in ANNOUNCEMENTS.items():
        dates, areas = schedule[ann]
        (ws.announcements / f"{ann}.md").write_text(announcement_text(
            ann, body=body, title=title, areas=areas, schedule=f"\n  dates: {dates}\n  slots: [morning]",
            expires="2026-12-31T00:00:00+07:00"), encoding="utf-8")
    w = ws.load()
    conn = db.connect(w.db_path)
    # … but the as-run log says bhyt was aired again in bản Mến on 18 November
    asrun.append(conn, {"attempt": "t1", "result": "aired", "day": "2025-11-18", "area": "men",
                        "announcement": "bhyt", "language": "vi", "output": "file:x.wav", "output_key": "x",
                        "started_by": "operator", "operator": "An"})
    return ws, w, conn


def test_candidates_are_what_aired_in_the_area_recently(linked_ws):
    ws, w, conn = linked_ws
    aired = linking.AiredAnnouncements(w, days=14)
    ids = lambda area, day: [a.id for a in aired.candidates(area, D(day))]   # noqa: E731
    assert ids("men", "2025-11-20") == ["bhyt", "cat-dien", "tiem-chung"]
    assert ids("ly-xom", "2025-11-20") == ["cat-dien", "ve-sinh"]
    assert ids("men", "2025-11-12") == ["cat-dien"]                  # nothing from after the call
    assert ids("men", "2025-11-30") == ["bhyt"]                      # 16–30 November: the re-airing only
    assert ids("men", "2025-12-10") == []                            # all more than 14 days back
    assert ids(None, "2025-11-20") == ["bhyt", "cat-dien", "tiem-chung", "ve-sinh"]


def test_suggestion_is_stored_and_the_reviewer_confirms_it(linked_ws):
    ws, w, conn = linked_ws
    rules = cases.Cases.of(w)
    queue.add_item(conn, new("a", text="Alo, thẻ bảo hiểm y tê của mẹ tôi hết hạn, lên ủy ban xã gia hạn ở đâu.",
                             received="2025-11-20T08:00:00+07:00", area="men"))
    queue.add_item(conn, new("b", text="Nhà hàng xóm hát karaoke to quá đến nửa đêm",
                             received="2025-11-20T09:00:00+07:00", area="men"))
    queue.add_item(conn, new("c", text="Cống rãnh đầu bản tắc hết, rác thải nhiều quá.",   # ve-sinh: not for men
                             received="2025-11-20T10:00:00+07:00", area="men"))
    cases.admit(conn, rules)
    a, b, c = (queue.get_item(conn, i) for i in (1, 2, 3))
    assert a.suggested_announcement == "bhyt" and a.suggestion_score >= linking.MIN_LINK_SCORE
    assert a.announcement_id is None                       # only a suggestion until confirmed
    assert b.suggested_announcement is None and c.suggested_announcement != "ve-sinh"
    assert "suggested: bhyt" in ws.run("review", "show", "1").output
    r = ws.run("review", "link", "1", "--by", "Chị Lan")
    assert r.exit_code == 0 and "announcement: bhyt" in r.output
    assert queue.get_item(conn, 1).announcement_id == "bhyt"
    detail = json.loads(conn.execute("SELECT detail FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()[0])
    assert detail["confirmed_suggestion"] is True and detail["announcement_id"] == "bhyt"
    r = ws.run("review", "link", "2", "cat-dien", "--by", "Chị Lan")     # the reviewer knows better
    assert r.exit_code == 0 and queue.get_item(conn, 2).announcement_id == "cat-dien"


PROBLEMS = {
    "ngap": ["Đường vào bản Mến bị ngập nước, xe máy không đi được",
             "Con đường vào bản Mến ngập sâu quá, xe máy không qua được",
             "Đường vào bản Mến ngập nước từ hôm qua, xe không đi được, xin xã cho người xem",
             "Alo, đường vào bản Mến bị ngập, xe máy không đi được ạ",
             "Đường vào bản Mến bị ngập nước rồi, học sinh không đi học được"],
    "mat-dien": ["Bản Ly Xôm mất điện từ sáng đến giờ chưa có điện",
                 "Nhà tôi ở bản Ly Xôm mất điện cả ngày hôm nay rồi",
                 "Bản Ly Xôm bị mất điện từ sáng, điện lực kiểm tra giúp",
                 "Alo, bản Ly Xôm mất điện từ sáng sớm chưa có điện lại",
                 "Bản Ly Xôm mất điện từ sáng nay, xin báo điện lực"],
    "loa": ["Loa truyền thanh ở đầu bản Mến bị hỏng, không nghe được gì",
            "Cái loa truyền thanh đầu bản Mến hỏng rồi, không nghe thấy thông báo",
            "Loa truyền thanh bản Mến bị hỏng từ tuần trước, không nghe được",
            "Xin xã sửa loa truyền thanh đầu bản Mến, hỏng không nghe được gì",
            "Loa truyền thanh đầu bản Mến không kêu nữa, bị hỏng rồi"],
}
SINGLETONS = ["Nhà hàng xóm hát karaoke to quá đến nửa đêm", "Tôi muốn hỏi về chế độ cho người có công",
              "Nhà tôi bị mất trộm con trâu đêm qua", "Cho tôi hỏi lịch tiêm chủng cho trẻ em",
              "mất điện", "Cầu treo bản Mến bị gãy một nhịp"]


def item(n: int, text: str, area: str | None = None) -> FeedbackItem:
    return FeedbackItem(id=n, source_name="", sha256="", stored_path="", received_at="2025-11-20T08:00:00+07:00",
                        duration=3.0, language="vi", transcript=text, segments=[], corrected_transcript=None,
                        announcement_id=None, area=area, status="new", tags=[], reviewer=None, note=None,
                        backend=None, model=None, created_at="", updated_at="", version=1)


def test_near_duplicates_are_grouped_by_problem():
    labelled = [(p, t) for p, texts in PROBLEMS.items() for t in texts] + [(None, t) for t in SINGLETONS]
    random.Random(5).shuffle(labelled)
    items = [item(n + 1, t) for n, (_, t) in enumerate(labelled)]
    groups = linking.near_duplicate_groups(items)
    found = sorted(sorted(labelled[i.id - 1][0] or "-" for i in g) for g in groups)
    assert found == [["loa"] * 5, ["mat-dien"] * 5, ["ngap"] * 5], found
    # pairs across problems stay well apart
    for (p, a), (q, b) in itertools.combinations(labelled, 2):
        if p != q:
            assert linking.similarity(a, b) < linking.GROUP_SCORE, (a, b)


def test_the_same_words_in_two_areas_are_two_problems():
    text = PROBLEMS["mat-dien"][0]
    groups = linking.near_duplicate_groups([item(1, text, "men"), item(2, text, "ly-xom"), item(3, text, "men"),
                                            item(4, text), item(5, "")])
    assert [[i.id for i in g] for g in groups] == [[1, 3, 4]]
