"""`broadcast check` of a date: every loudspeaker file decoded, its signal checked, its first
reading transcribed (here, or on a Ray pool) and judged; check.json written beside the manifest."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

from broadcast.check.errors import CheckError
from broadcast.check.hearing import check_speech, speech_input, whisper_language
from broadcast.check.models import CheckReport, FileCheck
from broadcast.check.remote import RemoteSpeech
from broadcast.check.signal import analyse_signal, expected_duration, sound_span
from broadcast.check.targets import Target, read_manifest, targets
from broadcast.check.thresholds import Thresholds
from broadcast.core.config import Workspace
from broadcast.core.errors import BroadcastError
from broadcast.core.fsutil import atomic_write_bytes, sha256_file
from broadcast.core.languages import language_name
from broadcast.executors.whisper import whisper_pool
from broadcast.media.decode import decode_file
from broadcast.produce.checkmarks import CHECK_NAME
from broadcast.transcription.transcribe import DEFAULT_BACKEND, load_backend, resolve_device


def check_one(folder: Path, target: Target, backend, th: Thresholds, transcripts: dict,
              speech: RemoteSpeech | None = None) -> FileCheck:
    """All checks of one file. `transcripts` caches (sha256, text sha) → analysis across names.
    With `speech`, the first reading is transcribed remotely: the speech verdict (and what files
    sharing these bytes take over) is filled in by `speech.finish()`."""
    e = target.entry
    path = folder / e["path"]
    result = FileCheck(path=e["path"], announcement=e["announcement"], language=e["language"],
                       area=e.get("area"), slot=e.get("slot"), sha256="", engine=e.get("engine"),
                       voice=e.get("voice"))
    if not path.is_file():
        result.add("file", "fail", "the file is missing")
        return result
    result.sha256 = sha256_file(path)
    if result.sha256 != e.get("sha256"):
        result.add("file", "fail", "the file changed after production (sha256 differs from the manifest)")
    memo_key = (result.sha256, e.get("approved_text_sha256"), target.problem)
    if memo_key in transcripts:
        if speech is not None:
            speech.copies.append((result, transcripts[memo_key]))
        else:
            result.take_over(transcripts[memo_key])
        return result

    try:
        samples, rate = decode_file(path)
    except BroadcastError as exc:
        result.add("file", "fail", f"cannot decode: {exc.reason}")
        transcripts[memo_key] = result
        return result

    # ---- signal: the whole file, as it will be played
    sig = analyse_signal(samples, rate)
    result.duration, result.leading_silence, result.trailing_silence = \
        sig.duration, sig.leading_silence, sig.trailing_silence
    result.clipped_samples = sig.clipped_samples
    silent = sound_span(samples, rate) is None
    if silent:
        result.add("silence", "fail", "the file is silent")
    else:
        if sig.leading_silence > th.max_leading_silence:
            result.add("silence", "review", f"{sig.leading_silence:.1f} s of silence at the start "
                       f"(limit {th.max_leading_silence:g} s)")
        if sig.trailing_silence > th.max_trailing_silence:
            result.add("silence", "review", f"{sig.trailing_silence:.1f} s of silence at the end "
                       f"(limit {th.max_trailing_silence:g} s)")
    if sig.clipped_share > th.max_clipped_share:
        result.add("clipping", "review", f"{sig.clipped_samples} samples at full scale "
                   f"({sig.clipped_share:.3%}): distortion on the horns")
    first = e.get("first_reading")
    if target.readings and first and len(first) == 2:
        closing = ((e.get("phrases") or {}).get("closing") or {}).get("duration") or 0.0
        expected = expected_duration(first, target.readings, float(closing))
        result.expected_duration = round(expected, 2)
        allowed = th.duration_tolerance + th.duration_tolerance_share * expected
        if abs(sig.duration - expected) > allowed:
            result.add("duration", "fail", f"{sig.duration:.1f} s long, expected {expected:.1f} s for "
                       f"{target.readings} reading(s) of the text (truncated or the wrong file?)")

    # ---- speech: the first reading, against the approved text
    if target.problem:
        result.add("text", "fail", target.problem)
    code = whisper_language(e["language"])
    if code is None:
        result.note = (f"speech not transcribed: Whisper does not cover {language_name(e['language'])}; "
                       f"signal checks only")
    elif target.text is not None and speech is not None and first and not silent:
        audio = speech_input(result, samples, rate, first, target.text, e["language"], th)
        if audio is not None:
            speech.submit(result, audio, code, target.text, e["language"])
    elif target.text is not None and backend is not None and first and not silent:
        check_speech(result, samples, rate, first, target.text, e["language"], code, backend, th)
    transcripts[memo_key] = result
    return result


def run_check(ws: Workspace, *, day: date, ids: list[str] | None = None, backend_name: str | None = None,
              model: str | None = None, progress: Callable[[int], Callable[[str], None]] | None = None,
              backend=None, executor=None, device: str | None = "auto") -> CheckReport:
    """Check every loudspeaker file of `day`; write check.json beside the manifest. The Whisper
    model is loaded once, and only when some file is in a language it covers.

    `executor` (executors.ExecutorSpec) of kind ray transcribes the first readings on a Ray actor
    pool (the model loaded once per actor, the samples sent by value); decoding, the signal
    checks, the verdicts and check.json stay here. `device`: auto, cpu or cuda (the model's)."""
    folder = ws.output_dir / day.isoformat()
    th = Thresholds.from_config(ws.config.section("check"), ws.root / "broadcast.toml")
    manifest = read_manifest(folder)
    todo = targets(ws, manifest, ids)
    if ids:
        for i in sorted(set(ids) - {t.entry["announcement"] for t in todo}):
            raise CheckError(f"no loudspeaker file for {i!r} on {day.isoformat()}", folder,
                             hint="check the id and the date (`broadcast status`)")
    remote = backend is None and executor is not None and executor.kind == "ray"
    name = backend_name or DEFAULT_BACKEND
    if backend is None and not remote:
        device = resolve_device(device, name)   # --device cuda without a GPU: an error before any work
    speaking = {t.entry.get("sha256") for t in todo if whisper_language(t.entry["language"]) and t.text}
    with contextlib.ExitStack() as stack:
        speech = None
        label: tuple[str | None, str | None] = (None, None)
        if remote and speaking:
            speech = RemoteSpeech(whisper_pool(stack, executor, len(speaking), name, model, None, device))
            label = speech.pool.describe()
        elif backend is None and speaking:
            backend = load_backend(name, model, None, None, device)
        if backend is not None:
            label = (backend.name, f"{backend.model_info.label} [{backend.compute_type}]")
        report = CheckReport(day=day, folder=folder, backend=label[0], model=label[1], thresholds=th)
        distinct = len({t.entry.get("sha256") for t in todo})
        advance = progress(distinct) if progress else (lambda _label: None)
        memo: dict = {}
        done: set[str] = set()
        for t in todo:
            before, sent = len(memo), len(speech.pending) if speech else 0
            report.files.append(check_one(folder, t, backend, th, memo, speech))
            sha = t.entry.get("sha256")
            if len(memo) > before and sha not in done:
                done.add(sha)
                if not speech or len(speech.pending) == sent:   # else: once its transcript is back
                    advance(Path(t.entry["path"]).name)
        if speech is not None:
            speech.finish(th, advance, report.errors)
    data = json.dumps(report.to_json(), ensure_ascii=False, indent=1).encode("utf-8") + b"\n"
    atomic_write_bytes(folder / CHECK_NAME, data)
    return report
