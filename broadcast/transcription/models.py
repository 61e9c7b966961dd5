"""Plain data and error types of transcription: what Whisper made of a recording."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from broadcast.core.errors import BroadcastError


class ModelError(BroadcastError):
    """A Whisper model that cannot be found, verified, downloaded or converted."""


@dataclass
class Segment:
    """One Whisper segment, times in seconds from the start of the original recording."""

    start: float
    end: float
    text: str
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float = 0.0
    dropped: str | None = None
    """Why the hallucination guard removed it from the transcript, or None when kept."""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Transcript:
    """What a backend made of one recording."""

    text: str
    segments: list[Segment]
    duration: float
    language: str | None
    backend: str
    model: str

    @property
    def kept(self) -> list[Segment]:
        return [s for s in self.segments if s.dropped is None]
