"""`broadcast check` on real produced files: espeak-ng speech, mastered MP3s, the packaged Whisper
base model. Each broken file is made the way it would break in the field (truncated, the wrong
announcement's audio, a number lost in synthesis, silence) and must not come out ok."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from broadcast import mastering
from broadcast.media.decode import decode_file
from broadcast.check import run_check
from broadcast.produce.checkmarks import CHECK_NAME
from broadcast.cli.root import cli
from broadcast.core.config import load_workspace
from broadcast.transcription.transcribe import load_backend
from conftest import announcement_text, make_workspace

pytestmark = pytest.mark.slow

DAY = "2099-12-14"
PHONE = "0987 654 321"
HOTLINE_BODY = f"Xã hỗ trợ người dân làm thẻ căn cước. Mọi thắc mắc gọi số điện thoại {PHONE}."
HOTLINE_WITHOUT_NUMBER = "Xã hỗ trợ người dân làm thẻ căn cước. Mọi thắc mắc gọi số điện thoại."
MEETING_BODY = "Bản Ly Xôm họp dân vào tối thứ Bảy tại nhà văn hóa để bình xét hộ nghèo."
ONE_SLOT = "\n  dates: [2099-12-14]\n  slots: [morning]"


def cli_run(root: Path, *args: str):
    return CliRunner().invoke(cli, ["--workspace", str(root), *args])


@pytest.fixture(scope="module")
def backend():
    # The same arguments run_check uses, so the CLI runs below reuse this loaded model.
    return load_backend("faster-whisper", None)


@pytest.fixture(scope="module")
def produced(tmp_path_factory) -> Path:
    texts = {ann_id: announcement_text(ann_id, title=title, areas="[ly-xom]", channels="[loudspeaker]", repeat="1",
                                       schedule=ONE_SLOT, body=body)
             for ann_id, title, body in (("ho-tro", "Hỗ trợ làm căn cước", HOTLINE_BODY),
                                         ("hop-dan", "Họp dân", MEETING_BODY))}
    root = make_workspace(tmp_path_factory.mktemp("check") / "ws", announcements=texts)
    for ann_id in texts:
        assert cli_run(root, "approve", str(root / "announcements" / f"{ann_id}.md"), "--by", "Chủ tịch").exit_code == 0
    result = cli_run(root, "produce", "--date", DAY, "--jobs", "1")
    assert result.exit_code == 0, result.output
    return root


def audio_path(root: Path, ann_id: str) -> Path:
    (path,) = (root / "output" / DAY / "loudspeaker" / "ly-xom").glob(f"*-morning-normal-{ann_id}-vi.mp3")
    return path


def copy_of(produced: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "ws"
    shutil.copytree(produced, dest)
    return dest


def check(root: Path, backend, *ids: str):
    return run_check(load_workspace(root), day=date.fromisoformat(DAY), ids=list(ids) or None, backend=backend)


def encode_mp3(samples, rate: int, dest: Path) -> None:
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "f32le", "-ar", str(rate), "-ac", "1", "-i", "pipe:0",
                    "-c:a", "libmp3lame", "-b:a", "128k", str(dest)], input=samples.tobytes(), check=True)


def test_correct_renditions_pass(produced, backend):
    result = check(produced, backend)
    assert len(result.files) == 2
    for f in result.files:
        assert f.flag == "ok", (f.path, f.issues, f.transcript)
        assert f.transcribed and f.cer is not None and f.cer <= result.thresholds.cer_ok
    hotline = next(f for f in result.files if f.announcement == "ho-tro")
    assert [n["written"] for n in hotline.numbers] == [PHONE] and hotline.missing_numbers == []
    data = json.loads((produced / "output" / DAY / CHECK_NAME).read_text(encoding="utf-8"))
    assert data["summary"] == {"ok": 2, "review": 0, "fail": 0}
    assert cli_run(produced, "verify", "--date", DAY).exit_code == 0   # check.json is not a produced file


def test_device_cuda_without_a_gpu_is_one_clear_line(produced):
    from broadcast.transcription.transcribe import cuda_available

    if cuda_available():
        pytest.skip("this machine has a CUDA GPU")
    result = cli_run(produced, "check", "--date", DAY, "--device", "cuda")
    assert result.exit_code == 1, result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and "--device cuda" in lines[0] \
        and "no CUDA GPU" in lines[0], result.output
    assert "Traceback" not in result.output


def test_audio_cut_in_half_fails(produced, backend, tmp_path):
    root = copy_of(produced, tmp_path)
    path = audio_path(root, "ho-tro")
    samples, rate = decode_file(path)
    encode_mp3(samples[: len(samples) // 2], rate, path)
    f = check(root, backend, "ho-tro").files[0]
    assert f.flag == "fail"
    assert {"duration", "cer"} <= {i.check for i in f.issues if i.level == "fail"}, f.issues


def test_audio_of_another_announcement_fails(produced, backend, tmp_path):
    root = copy_of(produced, tmp_path)
    shutil.copyfile(audio_path(root, "hop-dan"), audio_path(root, "ho-tro"))
    f = check(root, backend, "ho-tro").files[0]
    assert f.flag == "fail"
    assert f.cer > 0.6, f.transcript
    assert {i.check for i in f.issues if i.level == "fail"} & {"cer", "duration"}


def test_number_missing_from_the_audio_is_flagged(produced, backend, tmp_path):
    from broadcast.speech import station_ident, synthesize

    root = copy_of(produced, tmp_path)
    ws = load_workspace(root)
    speech = synthesize(ws, "vi", HOTLINE_WITHOUT_NUMBER)
    ident = station_ident(ws)
    programme = mastering.build_programme(speech.samples, speech.sample_rate, ident=ident.samples,
                                          ident_rate=ident.sample_rate, readings=1, attention=False)
    mastering.master(programme, "loudspeaker", audio_path(root, "ho-tro"))   # nothing else updated
    f = check(root, backend, "ho-tro").files[0]
    assert f.missing_numbers == [PHONE], (f.transcript, f.numbers)
    assert f.flag != "ok"
    assert any(i.check == "number" and PHONE in i.message for i in f.issues)


def test_silent_file_fails(produced, backend, tmp_path):
    root = copy_of(produced, tmp_path)
    path = audio_path(root, "hop-dan")
    samples, rate = decode_file(path)
    encode_mp3(samples * 0, rate, path)
    f = check(root, backend, "hop-dan").files[0]
    assert f.flag == "fail"
    assert any(i.check == "silence" and "silent" in i.message for i in f.issues)


def test_produce_check_marks_a_failing_file_in_the_run_sheet(produced, backend, tmp_path):
    root = copy_of(produced, tmp_path)
    # A render that went wrong: the master cache holds the other announcement's audio for ho-tro.
    masters = root / "state" / "cache" / "masters"
    metas = {json.loads(p.read_text())["rendition_key"]: p for p in masters.glob("*.json")}
    good = json.loads(metas["hop-dan/vi"].read_text())["masters"]["loudspeaker"]
    meta = json.loads(metas["ho-tro/vi"].read_text())
    bad = masters / "broken-loudspeaker.mp3"
    shutil.copyfile(masters / good["cache"], bad)   # the index names masters by file name
    meta["masters"]["loudspeaker"].update(cache=bad.name, sha256=good["sha256"], size=good["size"])
    metas["ho-tro/vi"].write_text(json.dumps(meta))

    result = cli_run(root, "produce", "--date", DAY, "--check")
    assert result.exit_code == 1, result.output
    sheet = (root / "output" / DAY / "loudspeaker" / "ly-xom" / "rundown.txt").read_text(encoding="utf-8")
    failed_line = next(ln for ln in sheet.splitlines() if "Hỗ trợ làm căn cước" in ln)
    assert "[check-failed]" in failed_line
    assert "[check" not in next(ln for ln in sheet.splitlines() if "Họp dân" in ln)
    assert "check-failed" in (root / "output" / DAY / "loudspeaker" / "ly-xom" / "rundown.html").read_text("utf-8")
    # The manifest still matches every file (the rewritten run sheets included).
    assert cli_run(root, "verify", "--date", DAY).exit_code == 0
    # A plain rerun keeps the mark while the file is the one that was checked.
    assert cli_run(root, "produce", "--date", DAY).exit_code == 0
    assert "[check-failed]" in (root / "output" / DAY / "loudspeaker" / "ly-xom" / "rundown.txt").read_text("utf-8")
    assert cli_run(root, "verify", "--date", DAY).exit_code == 0


def test_a_decoding_loop_is_decoded_again_not_failed(tmp_path, backend):
    # This correct emergency reading (a date, a time and a phone number) sends Whisper base at
    # temperature 0 into a loop ("5,000,000,000,…", CER 9.7); the deterministic retry with a
    # repetition penalty must hear it as speech again.
    body = "Ủy ban nhân dân xã thông báo: ngày 15/12/2099 cắt điện từ 7 giờ 30 phút. Liên hệ 0212 3845 123."
    root = make_workspace(tmp_path / "ws", announcements={"cat-dien": announcement_text(
        "cat-dien", priority="emergency", areas="[ly-xom]", channels="[loudspeaker]", repeat=None, schedule=ONE_SLOT,
        body=body)})
    path = root / "announcements" / "cat-dien.md"
    assert cli_run(root, "approve", str(path), "--by", "Chủ tịch").exit_code == 0
    assert cli_run(root, "produce", "--date", DAY, "--jobs", "1").exit_code == 0
    report = check(root, backend)
    (result,) = report.files
    assert result.flag != "fail", (result.cer, result.transcript)
    assert result.cer < 0.55 and "000,000" not in result.transcript
