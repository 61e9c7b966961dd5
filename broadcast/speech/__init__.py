"""Speech: voices registry, Vietnamese normalisation, engines (espeak-ng, gTTS, Piper, Coqui),
recordings, and the cache. The public surface is re-exported here."""

from __future__ import annotations

from broadcast.speech.errors import SpeechError, VoiceUnavailable
from broadcast.speech.synth import (
    Speech,
    has_speech_route,
    load_recording,
    reading_first,
    speech_fingerprint,
    spoken_paragraphs,
    station_ident,
    synthesize,
)

__all__ = ["Speech", "SpeechError", "VoiceUnavailable", "synthesize", "station_ident", "speech_fingerprint",
           "load_recording", "has_speech_route", "spoken_paragraphs", "reading_first"]
