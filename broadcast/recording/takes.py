"""One pipeline for every take, from the command line or the studio: keep the original, clean it,
check its signal, verify it against the approved text (Whisper languages) or hold it for a
second person's listening approval (the others), and accept it when it passes.

An accepted reading is written, cleaned, to where produce reads it (translations/<id>/<lang>.wav,
voices/<phrase>.wav) and entered in the audit log (`accept-reading`: the reading's sha256, the
approved text's sha256, the reader, who accepted it and how). A take that is refused leaves the
reading that was accepted before in place. Every take — original, cleaned WAV and a JSON record
of its checks — stays under state/readings/ (see broadcast.translations.readings)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from broadcast.check.hearing import whisper_language
from broadcast.core import audit
from broadcast.core.config import CONFIG_NAME, RecordLimits, Workspace, record_limits
from broadcast.core.errors import BroadcastError
from broadcast.core.fsutil import atomic_write_bytes, atomic_write_text
from broadcast.core.languages import LANGUAGES, language_name
from broadcast.intake.announcements import load_announcements, sha256_text
from broadcast.intake.approval import require_approved
from broadcast.recording.cleanup import CleanTake, clean
from broadcast.recording.hearing import hear
from broadcast.recording.verify import ReadingVerdict, judge_reading
from broadcast.speech.normalize import normalize
from broadcast.speech.synth import count_words
from broadcast.translations.readings import (
    FAILED,
    LISTEN,
    PASSED,
    PHRASE_LANGUAGE,
    PHRASES,
    ReadingState,
    commands,
    current_reading,
    phrase_path,
    phrase_reading,
    phrase_subject,
    phrase_text,
    reading_path,
    subject,
    take_records,
    takes_dir,
)
from broadcast.translations.state import relative, translation_state
from broadcast.transcription.transcribe import load_backend

TAKE_FORMAT = 1


class RecordError(BroadcastError):
    """A take that cannot be recorded, verified or accepted: what is wrong and what to do."""


@dataclass(frozen=True)
class Target:
    """What a take reads: an announcement's approved text in one language, or a fixed phrase."""

    subject: str
    language: str
    text: str
    text_sha256: str
    final_path: Path
    label: str                    # "tiem-chung [hmn]", "phrase ident"
    announcement_id: str | None = None
    phrase: str | None = None

    def state(self, ws: Workspace, conn: sqlite3.Connection) -> ReadingState:
        if self.phrase:
            return phrase_reading(ws, conn, self.phrase)
        ann = find_announcement(ws, self.announcement_id or "")
        return current_reading(ws, conn, ann, self.language)


@dataclass
class TakeResult:
    target: Target
    record: dict                  # the take's JSON record
    verdict: ReadingVerdict | None
    accepted: bool
    how: str = ""                 # verified | overridden | listened (when accepted)

    @property
    def problems(self) -> list[str]:
        return list(self.record.get("problems", []))


def find_announcement(ws: Workspace, announcement_id: str):
    good, bad = load_announcements([ws.announcements_dir], ws.config, check_expiry=False)
    for ann in good:
        if ann.id == announcement_id:
            return ann
    broken = [e for e in bad if Path(str(e.path)).stem == announcement_id]
    if broken:
        raise broken[0]
    raise RecordError(f"no announcement with id {announcement_id!r}", ws.announcements_dir,
                      hint="check the id with `broadcast status`")


def announcement_target(ws: Workspace, conn: sqlite3.Connection, announcement_id: str, lang: str) -> Target:
    """The approved text of `announcement_id` in `lang` (RecordError when there is none to read)."""
    ann = find_announcement(ws, announcement_id)
    require_approved(conn, ann, ws.config.tz)
    if lang not in LANGUAGES:
        raise RecordError(f"unknown language {lang!r}", hint=f"known: {', '.join(LANGUAGES)}")
    if lang not in ann.languages:
        raise RecordError(f"{ann.id} is not broadcast in {language_name(lang)} ({lang})", ann.path,
                          field="languages", hint=f"its languages: {', '.join(ann.languages)}")
    state = translation_state(ws, conn, ann, lang)
    if not state.approved or not state.text:
        raise RecordError(f"no approved {language_name(lang)} text to read ({state.state})", ann.path,
                          hint=state.reason)
    return Target(subject(ann.id, lang), lang, state.text, state.text_sha256 or sha256_text(state.text),
                  reading_path(ws, ann.id, lang), f"{ann.id} [{lang}]", announcement_id=ann.id)


def phrase_target(ws: Workspace, name: str) -> Target:
    if name not in PHRASES:
        raise RecordError(f"unknown fixed phrase {name!r}", hint=f"known: {', '.join(PHRASES)}")
    text = phrase_text(ws, name)
    return Target(phrase_subject(name), PHRASE_LANGUAGE, text, sha256_text(text), phrase_path(ws, name),
                  f"phrase {name}", phrase=name)


def limits_of(ws: Workspace) -> RecordLimits:
    return record_limits(ws.config, ws.root / CONFIG_NAME)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def signal_problems(take: CleanTake, limits: RecordLimits) -> list[str]:
    """What is wrong with the sound itself, each with what to do about it."""
    s = take.signal
    out = []
    if s.clipped_share > limits.max_clipped_share:
        out.append(f"the take clips ({s.clipped_samples} samples at full scale, {s.clipped_share:.2%}): "
                   f"record again with the input level lower or the microphone a hand's width further away")
    if s.loudness_lufs < limits.min_loudness_lufs:
        out.append(f"the take is too quiet ({s.loudness_lufs:.0f} LUFS, at least {limits.min_loudness_lufs:.0f} "
                   f"needed): record again closer to the microphone or with the input level higher")
    if s.speech_seconds < 0.3:
        out.append("no speech was found in the take: check the microphone and record again")
    return out


def length_problem(take: CleanTake, text: str, lang: str, limits: RecordLimits) -> str | None:
    """For languages Whisper does not hear: is the length of the speech plausible for the text?"""
    words = count_words(normalize(text, lang))
    if not words:
        return None
    low = max(0.0, words / limits.max_words_per_s - 1.0)
    high = words / limits.min_words_per_s + limits.length_slack_s
    spoken = take.signal.speech_seconds
    if low <= spoken <= high:
        return None
    return (f"{spoken:.1f} s of speech for a text of {words} words (a reading takes {low:.0f}–{high:.0f} s): "
            f"is this the reading of this text?")


def record_take(ws: Workspace, conn: sqlite3.Connection, target: Target, source: Path, *, by: str,
                reader: str | None = None, accept: bool = False, reason: str = "", backend=None,
                name: str | None = None) -> TakeResult:
    """Record one take of `target` from the file `source` (any format FFmpeg decodes). Returns
    the result; it is accepted when it passes (or `accept` with a `reason` for one that fails)."""
    by, reader = by.strip(), (reader or by).strip()
    if not by:
        raise RecordError("--by is empty", hint="give the name of the person recording the take")
    if accept and not reason.strip():
        raise RecordError("--accept needs --reason", hint="say why this take is aired although it failed")
    limits = limits_of(ws)
    source = Path(source)
    folder = takes_dir(ws, target.subject)
    data = source.read_bytes() if source.is_file() else None
    if data is None:
        raise RecordError("no such file", source)
    original_sha = hashlib.sha256(data).hexdigest()
    original = folder / f"{original_sha[:16]}.orig{(name and Path(name).suffix) or source.suffix or '.bin'}"
    if not original.is_file():
        atomic_write_bytes(original, data)
    take = clean(source)
    wav = take.wav_bytes()
    sha = hashlib.sha256(wav).hexdigest()
    take_path = folder / f"{sha[:16]}.wav"
    if not take_path.is_file():
        atomic_write_bytes(take_path, wav)

    problems = signal_problems(take, limits)
    verdict: ReadingVerdict | None = None
    whisper = whisper_language(target.language) is not None
    if whisper and not any("no speech" in p for p in problems):
        backend = backend or _backend()
        transcript, _segments = hear(take.samples, take.rate, target.language, backend)
        verdict = judge_reading(target.text, target.language, transcript, limits)
        problems += verdict.problems
    elif not whisper:
        problem = length_problem(take, target.text, target.language, limits)
        if problem:
            problems.append(problem)
    if whisper:
        status = PASSED if not problems else FAILED
    else:
        status = LISTEN if not problems or accept else FAILED
    record = {
        "format": TAKE_FORMAT, "sha256": sha, "subject": target.subject, "language": target.language,
        "text_sha256": target.text_sha256, "reader": reader, "recorded_by": by, "at": _now(),
        "verdict": status, "whisper": whisper, "problems": problems,
        "notes": verdict.notes if verdict else [], "signal": take.signal.as_dict(),
        "original": {"name": name or source.name, "sha256": original_sha, "file": relative(ws, original)},
        "file": relative(ws, take_path),
        "verification": verdict.as_dict() if verdict else None,
        "override_reason": reason.strip() if accept and problems else "",
    }
    atomic_write_text(folder / f"{sha[:16]}.json", json.dumps(record, ensure_ascii=False, indent=1) + "\n")
    result = TakeResult(target, record, verdict, False)
    if status == PASSED:
        _accept(ws, conn, target, record, by=by, how="verified")
        result.accepted, result.how = True, "verified"
    elif status == FAILED and accept and whisper:
        _accept(ws, conn, target, record, by=by, how="overridden", reason=reason.strip())
        result.accepted, result.how = True, "overridden"
    return result


def _backend():
    return load_backend()


def _accept(ws: Workspace, conn: sqlite3.Connection, target: Target, record: dict, *, by: str, how: str,
            reason: str = "") -> None:
    """Put the take where produce reads it and enter the acceptance in the audit log."""
    if record.get("text_sha256") != target.text_sha256:
        raise RecordError(f"this take of {target.label} was read from an older text", hint=commands(
            target.subject, target.language)[0].replace("FILE", "NEW-TAKE"))
    data = (ws.root / record["file"]).read_bytes()
    if hashlib.sha256(data).hexdigest() != record["sha256"]:
        raise RecordError("the stored take was changed after it was recorded", ws.root / record["file"],
                          hint="record the take again")
    atomic_write_bytes(target.final_path, data)
    verification = record.get("verification") or {}
    audit.record_reading_acceptance(
        conn, subject=target.subject, sha256=record["sha256"], text_sha256=target.text_sha256,
        reader=record.get("reader", ""), accepted_by=by, how=how, reason=reason,
        detail={"file": relative(ws, target.final_path), "take": record["file"],
                "original_sha256": record["original"]["sha256"], "recorded_by": record.get("recorded_by", ""),
                "heard": verification.get("heard"), "problems": record.get("problems", [])})


def find_take(ws: Workspace, conn: sqlite3.Connection, target: Target, sha: str | None, verdict: str) -> dict:
    """The newest take of `target` with `verdict`, read from the current text and not the one
    accepted already (or the one whose sha256 starts with `sha`)."""
    accepted = (audit.latest_reading_acceptance(conn, target.subject) or {}).get("sha256")
    takes = [t for t in take_records(ws, target.subject)
             if (not sha or t["sha256"].startswith(sha)) and t["sha256"] != accepted]
    if sha and not takes:
        raise RecordError(f"no take {sha} of {target.label}", takes_dir(ws, target.subject))
    current = [t for t in takes if t.get("text_sha256") == target.text_sha256]
    wanted = [t for t in current if t.get("verdict") == verdict]
    if not wanted:
        hint = commands(target.subject, target.language)[0]
        if takes and not current:
            raise RecordError(f"the takes of {target.label} were read from an older text", hint=hint)
        raise RecordError(f"no take of {target.label} is waiting for this", hint=hint)
    return wanted[-1]


def approve_take(ws: Workspace, conn: sqlite3.Connection, target: Target, *, by: str,
                 sha: str | None = None) -> TakeResult:
    """A second person listened to the newest take waiting for it, and approves it for air."""
    by = by.strip()
    if whisper_language(target.language) is not None:
        raise RecordError(f"{language_name(target.language)} readings are verified by transcription, "
                          f"not by a listener", hint=commands(target.subject, target.language)[0]
                          + " --accept --reason TEXT accepts a take that failed")
    record = find_take(ws, conn, target, sha, LISTEN)
    if not by:
        raise RecordError("--by is empty", hint="give the name of the person who listened")
    if by.casefold() == str(record.get("reader", "")).strip().casefold():
        raise RecordError(f"{by} read this take; a second person must listen to it and approve it")
    _accept(ws, conn, target, record, by=by, how="listened")
    return TakeResult(target, record, None, True, "listened")


def accept_failed_take(ws: Workspace, conn: sqlite3.Connection, target: Target, *, by: str, reason: str,
                       sha: str | None = None) -> TakeResult:
    """Accept the newest take that failed verification, with the reason (the studio's "accept anyway")."""
    if not by.strip() or not reason.strip():
        raise RecordError("accepting a take that failed needs a name and a reason")
    record = find_take(ws, conn, target, sha, FAILED)
    if not record.get("whisper"):
        raise RecordError("this take needs a second person's listening approval, not an override",
                          hint=commands(target.subject, target.language)[1])
    _accept(ws, conn, target, record, by=by.strip(), how="overridden", reason=reason.strip())
    return TakeResult(target, record, None, True, "overridden")
