"""Properties that hold for any input (Hypothesis, bounded in examples):

- intake: any bytes, and any YAML-like front matter over any body, give an announcement or a
  project error naming the file, never another exception;
- the Vietnamese normaliser: any text gives no exception and no ASCII digit left to be read
  out as a digit;
- translators' files: any unit text (source and target) comes back unchanged through XLIFF and
  PO, export then import, with its approval."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from broadcast.core.config import load_workspace
from broadcast.core.errors import BroadcastError
from broadcast.core.models import Announcement
from broadcast.intake.announcements import KNOWN_FIELDS, SCHEDULE_FIELDS, parse_announcement
from broadcast.speech.normalize import normalize
from broadcast.translations.exchange import read_exchange, write_po, write_xliff
from broadcast.translations.models import FINAL, NEEDS_REVIEW, NEEDS_TRANSLATION, PlannedUnit, Segment
from conftest import make_workspace



def bounded(examples: int) -> settings:
    """A property's example budget (together they run in well under 20 s here); no example
    database written into the checkout, a failing example is printed instead."""
    return settings(max_examples=examples, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    return load_workspace(make_workspace(tmp_path_factory.mktemp("props") / "ws"))


def parses_or_says_why(path: Path, raw: bytes, config) -> None:
    path.write_bytes(raw)
    try:
        ann = parse_announcement(path, config)
    except BroadcastError as exc:          # InvalidAnnouncement is one
        assert exc.problems and all(p.message for p in exc.problems)
        assert Path(str(exc.path)) == path
        return
    assert isinstance(ann, Announcement) and ann.id and ann.body.strip()


# --- intake -------------------------------------------------------------------------------------

# Values the fields might be given: the right kind, near misses, and YAML's odd corners.
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20),
    st.sampled_from(["2099-12-14", "2026-02-30", "2099-12-31T00:00:00+07:00", "ly-xom", "men", "ha-noi",
                     "morning", "midnight", "vi", "hmn", "xx", "emergency", "normal", "loudspeaker", "Safety",
                     "tiem-chung", "../etc/passwd", "-1", "1e400", ".inf", "~", "yes", "0x1F"]))
VALUES = st.recursive(
    SCALARS, lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(SCHEDULE_FIELDS), st.text(max_size=8)), inner, max_size=4)),
    max_leaves=10)
FRONT = st.dictionaries(st.one_of(st.sampled_from(KNOWN_FIELDS), st.text(max_size=8)), VALUES, max_size=11)


@bounded(150)
@given(front=FRONT, body=st.text(max_size=200), flow=st.booleans())
def test_any_front_matter_gives_an_announcement_or_a_project_error(workspace, front, body, flow):
    text = yaml.safe_dump(front, allow_unicode=True, default_flow_style=flow)
    raw = ("---\n" + text + "---\n" + body).encode("utf-8", "surrogatepass")
    parses_or_says_why(workspace.announcements_dir / "x.md", raw, workspace.config)


@bounded(200)
@given(raw=st.binary(max_size=400), front=st.text(max_size=200))
def test_any_bytes_give_an_announcement_or_a_project_error(workspace, raw, front):
    path = workspace.announcements_dir / "y.md"
    parses_or_says_why(path, raw, workspace.config)
    parses_or_says_why(path, b"---\n" + front.encode("utf-8", "surrogatepass") + b"\n---\n" + raw,
                       workspace.config)


def test_a_control_character_is_refused_with_its_line(workspace):
    """Found by the property above: U+001F in the front matter was a yaml ReaderError."""
    path = workspace.announcements_dir / "z.md"
    path.write_bytes(b"---\nid: a\ntitle: \x1f\n---\nNoi dung.\n")
    with pytest.raises(BroadcastError) as exc:
        parse_announcement(path, workspace.config)
    assert "U+001F" in str(exc.value) and exc.value.problem.line == 3


# --- the normaliser -----------------------------------------------------------------------------

# Number-shaped pieces and the words and signs around them, so that most examples are the hard
# cases (dates, times, amounts, codes, phone numbers), plus arbitrary text.
PIECES = st.one_of(
    st.from_regex(r"[0-9]{1,14}", fullmatch=True),
    st.sampled_from([" ", ".", ",", ":", "/", "-", "–", "h", "%", "x", "+", "₫", "$", "m", "m2", "km/h", "ha",
                     "kg", " năm ", " ngày ", "tháng ", "thứ ", "Quý ", "giờ", "phút", "số ", "gọi ", "Nghị định ",
                     "QĐ-", "UBND", "TP.", "www.", ".vn", "@", "II", "°C", "'", "#", "...", "\u00a0", "\n",
                     "½", "²", "١", "１"]))
TEXTS = st.one_of(st.text(max_size=60), st.lists(PIECES, max_size=30).map("".join))


@bounded(400)
@given(text=TEXTS)
def test_the_normaliser_leaves_no_ascii_digit_in_any_text(text):
    out = normalize(text, "vi")
    assert isinstance(out, str)
    assert not re.search(r"[0-9]", out), (text, out)


# --- translators' files -------------------------------------------------------------------------

# Any text an XML file can carry: intake refuses the rest in announcements (see above), and a
# translator's tool cannot write them into XLIFF.
NOT_IN_XML = "".join(map(chr, [*range(0x00, 0x09), *range(0x0b, 0x20), *range(0x7f, 0xa0), 0xfffe, 0xffff]))
UNIT_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters=NOT_IN_XML), max_size=80)


@bounded(250)
@given(units=st.lists(st.tuples(UNIT_TEXT, UNIT_TEXT, st.sampled_from([FINAL, NEEDS_REVIEW, NEEDS_TRANSLATION])),
                      min_size=1, max_size=4),
       fmt=st.sampled_from(["xliff", "po"]))
def test_any_unit_text_comes_back_through_xliff_and_po(tmp_path_factory, units, fmt):
    planned = [PlannedUnit(Segment(i + 1, 1, 1, source), target=target, state=state)
               for i, (source, target, state) in enumerate(units)]
    path = tmp_path_factory.mktemp("x") / ("hmn.xlf" if fmt == "xliff" else "hmn.po")
    writer = write_xliff if fmt == "xliff" else write_po
    writer(path, announcement_id="hop-dan", language="hmn", source_sha256="ab" * 32, units=planned)

    back = read_exchange(path)
    assert (back.announcement_id, back.language, back.source_sha256) == ("hop-dan", "hmn", "ab" * 32)
    assert [u.unit_id for u in back.units] == [p.segment.unit_id for p in planned]
    for unit, (source, target, state) in zip(back.units, units):
        assert (unit.source, unit.target) == (source, target)
        assert unit.approved == (state == FINAL and bool(target.strip()))
