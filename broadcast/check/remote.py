"""`broadcast check --executor ray`: the first readings transcribed on a Ray actor pool
(executors.whisper), judged here as they come back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from broadcast.check.hearing import judge_speech, piece_options, reading_pieces, speech_options
from broadcast.check.models import FileCheck
from broadcast.check.thresholds import Thresholds
from broadcast.core.errors import BroadcastError


class RemoteSpeech:
    """First readings transcribed on a Ray actor pool (executors.WhisperPool) instead of here:
    check_one sends each one's samples by value and goes on with the next file; `finish`
    collects the transcripts in order, judges them and completes the files that share bytes."""

    def __init__(self, pool) -> None:
        self.pool = pool
        self.pending: list[tuple[FileCheck, object, np.ndarray, str, str, str]] = []
        # (result, ref, the audio sent, Whisper code, text, lang)
        self.copies: list[tuple[FileCheck, FileCheck]] = []          # (result, the analysis it shares)

    def submit(self, result: FileCheck, audio: np.ndarray, code: str, text: str, lang: str) -> None:
        ref = self.pool.submit("transcribe_samples", audio, speech_options(code))
        self.pending.append((result, ref, audio, code, text, lang))

    def _again(self, audio: np.ndarray, code: str, errors: list[BroadcastError]) -> Callable[[], list]:
        """The reading heard again in pieces on the pool (hearing.judge_speech); a piece whose
        actor kept dying counts as heard as nothing, and the error is reported."""
        def run() -> list:
            refs = [self.pool.submit("transcribe_samples", piece, piece_options(code))
                    for piece in reading_pieces(audio)]
            out: list = []
            for ref in refs:
                try:
                    out += self.pool.get(ref).get("segments", [])
                except BroadcastError as exc:
                    if str(exc) not in map(str, errors):
                        errors.append(exc)
            return out
        return run

    def finish(self, th: Thresholds, advance: Callable[[str], None], errors: list[BroadcastError]) -> None:
        for result, ref, audio, code, text, lang in self.pending:
            try:
                payload = self.pool.get(ref)
            except BroadcastError as exc:   # the actor kept dying: this file's speech is unchecked
                if str(exc) not in map(str, errors):
                    errors.append(exc)
                payload = {"error": (exc.reason, None)}
            if "error" in payload:
                result.add("speech", "review", f"not transcribed: {payload['error'][0]}")
            else:
                judge_speech(result, payload["segments"], text, lang, th, self._again(audio, code, errors))
            advance(Path(result.path).name)
        for result, shared in self.copies:
            result.take_over(shared)
