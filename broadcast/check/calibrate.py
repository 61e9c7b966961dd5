"""How well the embedded voice is heard: CER, WER and speech rate of espeak-ng Vietnamese on the
example announcements and a few texts with numbers, through the same path as `broadcast check`.
`python -m broadcast.check.calibrate` prints the table README ("Checking produced speech") quotes."""

from __future__ import annotations

import tempfile
from pathlib import Path

from broadcast.check.hearing import check_speech
from broadcast.check.models import FileCheck
from broadcast.check.thresholds import Thresholds
from broadcast.core.config import load_workspace
from broadcast.intake.announcements import load_announcements
from broadcast import mastering
from broadcast.media.decode import decode_file
from broadcast.speech import synthesize
from broadcast.transcription.transcribe import load_backend


def calibrate(texts: dict[str, str], backend=None, rate: int = 44100) -> list[dict]:
    """CER/WER/coverage/rate of the embedded Vietnamese voice on `texts` (name → text), mastered as a
    loudspeaker file would be and read back through the same path as `check`."""
    backend = backend or load_backend()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "broadcast.toml").write_text(
            '[commune]\nname = "Xã Thử"\n[slots]\nmorning = "05:30"\n[areas.a]\nname = "A"\n', encoding="utf-8")
        ws = load_workspace(root)
        th = Thresholds()
        for name, text in texts.items():
            speech = synthesize(ws, "vi", text)
            prog = mastering.build_programme(speech.samples, speech.sample_rate, ident=None, ident_rate=None,
                                             readings=1, attention=False, sample_rate=rate)
            out = mastering.master(prog, "loudspeaker", root / f"{name}.mp3")
            samples, r = decode_file(out.path)
            fc = FileCheck(path=name, announcement=name, language="vi", area=None, slot=None, sha256="",
                           engine=speech.engine, voice=speech.voice)
            check_speech(fc, samples, r, list(prog.first_reading), text, "vi", "vi", backend, th)
            rows.append({"name": name, "cer": fc.cer, "wer": fc.wer, "coverage": fc.coverage, "rate": fc.speech_rate,
                         "missing_numbers": fc.missing_numbers, "transcript": fc.transcript})
    return rows


# A few texts in the register of commune announcements, with numbers of every kind, beside the
# three examples (`python -m broadcast.check` prints the table the README quotes).
CALIBRATION_TEXTS = {
    "hop-dan": "Ban quản lý bản Ly Xôm mời đại diện các hộ gia đình dự họp vào lúc 19 giờ ngày 20/11 "
               "tại nhà văn hóa bản. Nội dung: bình xét hộ nghèo năm 2027.",
    "nuoc-sach": "Trạm cấp nước xã tạm ngừng cấp nước từ 8h00 đến 16h30 ngày 05/12/2026 để sửa chữa "
                 "đường ống. Bà con chủ động trữ nước. Mọi thông tin liên hệ số 0987 654 321.",
    "thue-dat": "Hạn cuối nộp thuế sử dụng đất phi nông nghiệp là ngày 31/10. Mức thu năm nay tăng 5%, "
                "mỗi hộ nộp khoảng 120.000 đồng.",
    "nghi-dinh": "Căn cứ Luật số 48/2010/QH12 ngày 17/6/2010 của Quốc hội và Nghị định số 15/2020/NĐ-CP "
                 "của Chính phủ, xã thông báo lịch thu thuế năm 2027.",
}


def main() -> None:  # pragma: no cover - a measuring tool, run by hand
    repo = Path(__file__).resolve().parents[2]
    ws = load_workspace(repo)
    good, _ = load_announcements([repo / "examples" / "announcements"], ws.config, check_expiry=False)
    texts = {a.id: a.body for a in good}
    texts.update(CALIBRATION_TEXTS)
    rows = calibrate(texts)
    for r in rows:
        print(f"{r['name']:<22} CER {r['cer']:.3f}  WER {r['wer']:.3f}  covered {r['coverage']:.0%}  {r['rate']:.2f} syl/s  "
              f"missing numbers: {', '.join(r['missing_numbers']) or '-'}")
        print(f"    {r['transcript']}")


if __name__ == "__main__":  # pragma: no cover
    main()
