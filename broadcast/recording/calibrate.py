"""Measure the `[record]` limits again: `python -m broadcast.recording.calibrate [ANNOUNCEMENT.md ...]`.

For each text (default: the example announcements) espeak-ng reads it in several ways, and each
reading goes through the same clean-up, hearing and judging as `broadcast record`:
  full        the whole text, 0.6 s between sentences
  hesitant    "ờ" in the middle of even sentences, a word said twice in odd ones, a 1.5 s pause
  fast        the whole text at 175 words a minute instead of 140
  skip-N      sentence N left out
  number-N    number N of the text changed (its first digit one up; four numbers at most)
  other       another announcement read instead
  noise       ten seconds of noise
The table shows, per reading, whether it passed, the share of the text heard, the least-heard
sentence, and the problems named. A true reading must pass; skip-N, number-N, other and noise
must fail (README, "Recorded readings", has the figures this gave)."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from broadcast.check.align import NUMBER_WORDS, canonical
from broadcast.core.config import RecordLimits
from broadcast.media.decode import decode_bytes
from broadcast.recording.cleanup import CleanTake, clean
from broadcast.recording.hearing import hear
from broadcast.recording.verify import judge_reading, sentences_of
from broadcast.speech.synth import spoken_paragraphs
from broadcast.transcription.transcribe import load_backend

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "announcements"
RATE = 22050


def espeak(text: str, speed: int = 140) -> np.ndarray:
    out = subprocess.run(["espeak-ng", "-v", "vi", "-s", str(speed), "--stdout", text],
                         capture_output=True, check=True).stdout
    samples, rate = decode_bytes(out, RATE)
    return samples


def read_aloud(sentences: list[str], speed: int = 140, pauses: list[float] | None = None) -> np.ndarray:
    """espeak-ng reads `sentences` (already in spoken form), with a pause after each."""
    parts = [np.zeros(int(0.5 * RATE), np.float32)]
    for k, s in enumerate(sentences):
        parts += [espeak(s, speed), np.zeros(int((pauses[k] if pauses else 0.6) * RATE), np.float32)]
    return np.concatenate(parts)


def hesitant(sentences: list[str]) -> tuple[list[str], list[float]]:
    """ "ờ" in the middle of even sentences, a word said twice in odd ones (a word, not a digit:
    a digit said twice is another number), 1.5 s of silence after the first."""
    out = []
    for k, s in enumerate(sentences):
        w = s.split()
        half = len(w) // 2
        if k % 2 == 0:
            w = w[:half] + ["ờ,"] + w[half:]
        else:
            canon = canonical([x.strip(",.") for x in w])
            plain = [i for i in range(len(w)) if canon[i] not in NUMBER_WORDS]
            at = min(plain, key=lambda i: abs(i - half)) if plain else half
            w = w[:at] + [w[at].strip(",.")] + w[at:]
        out.append(" ".join(w))
    return out, [1.5 if k == 0 else 0.6 for k in range(len(sentences))]


def change_number(text: str, n: int) -> str | None:
    """`text` with the first digit of its n-th number one up (9 becomes 1), or None."""
    found = list(re.finditer(r"\d+", text))
    if n >= len(found):
        return None
    m = found[n]
    digit = str(int(m.group(0)[0]) % 9 + 1)
    return text[:m.start()] + digit + m.group(0)[1:] + text[m.end():]


def spoken(text: str) -> list[str]:
    return [s for p in spoken_paragraphs("vi", text) for s in p]


def readings(text: str, other: str) -> dict[str, np.ndarray]:
    out = {"full": read_aloud(spoken(text))}
    words, pauses = hesitant(spoken(text))
    out["hesitant"] = read_aloud(words, 140, pauses)
    out["fast"] = read_aloud(spoken(text), 175)
    parts = sentences_of(text, "vi")
    for k in range(len(parts)):
        kept = " ".join(raw for j, (raw, _s) in enumerate(parts) if j != k)
        out[f"skip-{k + 1}"] = read_aloud(spoken(kept))
    count = len(re.findall(r"\d+", text))
    for k in sorted({round(i * (count - 1) / 3) for i in range(4)} if count > 4 else range(count)):
        changed = change_number(text, k)
        if changed:
            out[f"number-{k + 1}"] = read_aloud(spoken(changed))
    out["other"] = read_aloud(spoken(other))
    out["noise"] = (np.random.default_rng(7).normal(0, 0.05, RATE * 10)).astype(np.float32)
    return out


def body(path: Path) -> str:
    return path.read_text(encoding="utf-8").split("---", 2)[2].strip()


def run(paths: list[Path], limits: RecordLimits, backend) -> list[dict]:
    rows = []
    texts = {p.stem: body(p) for p in paths}
    names = list(texts)
    with tempfile.TemporaryDirectory() as tmp:
        for i, name in enumerate(names):
            other = texts[names[(i + 1) % len(names)]]
            for kind, samples in readings(texts[name], other).items():
                path = Path(tmp) / f"{name}-{kind}.wav"
                path.write_bytes(CleanTake(samples, RATE, None).wav_bytes())
                take = clean(path)
                transcript, _ = hear(take.samples, take.rate, "vi", backend)
                v = judge_reading(texts[name], "vi", transcript, limits)
                rows.append({"text": name, "reading": kind, "passed": v.passed, "heard": v.heard,
                             "least_sentence": min(s.heard for s in v.sentences),
                             "sentences": [s.heard for s in v.sentences],
                             "problems": v.problems, "transcript": transcript})
                print(f"{name:24s} {kind:10s} {'pass' if v.passed else 'FAIL'} heard {v.heard:.2f} "
                      f"sentences {' '.join(f'{s.heard:.2f}' for s in v.sentences)}"
                      + "".join(f"\n{'':36s}{p}" for p in v.problems), flush=True)
    return rows


def rejudge(figures: Path, limits: RecordLimits) -> None:
    """Judge the transcripts of an earlier run again (new limits, no Whisper): `--from FILE`."""
    import json

    rows = json.loads(figures.read_text(encoding="utf-8"))
    texts = {p.stem: body(p) for p in EXAMPLES.glob("*.md")}
    for row in rows:
        v = judge_reading(texts[row["text"]], "vi", row["transcript"], limits)
        print(f"{row['text']:24s} {row['reading']:10s} {'pass' if v.passed else 'FAIL'} heard {v.heard:.2f} "
              f"sentences {' '.join(f'{s.heard:.2f}' for s in v.sentences)}"
              + "".join(f"\n{'':36s}{p}" for p in v.problems))


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - a measuring tool, run by hand
    import json

    args = argv if argv is not None else sys.argv[1:]
    if args[:1] == ["--from"]:
        rejudge(Path(args[1]), RecordLimits())
        return
    paths = [Path(a) for a in args if not a.startswith("--")] or sorted(EXAMPLES.glob("*.md"))
    rows = run(paths, RecordLimits(), load_backend(device="cpu"))
    out = Path(tempfile.gettempdir()) / "record-calibration.json"
    out.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"figures: {out}")


if __name__ == "__main__":  # pragma: no cover
    main()
