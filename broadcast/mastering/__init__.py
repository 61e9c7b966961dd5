"""Mastering: a programme (attention signal, station ident, readings with their gaps) → an
encoded file that meets its audio profile, measured after encoding.

Modules, one job each: `profiles` (AudioProfile, PROFILES), `programme` (the layout and
build_programme), `condition` (the filter chain and the trim to target), `render` (`master()`:
condition, encode, decode and measure, one correction), `errors` (MasteringError). The audio
itself — decoders, filters, the meter, encoders, tags — is broadcast.media's."""

from __future__ import annotations

from broadcast.mastering.condition import (
    COMPRESSOR,
    COMPRESSOR_THRESHOLD_DBFS,
    LIMITER,
    SILENCE_LUFS,
)
from broadcast.mastering.errors import MasteringError
from broadcast.mastering.profiles import PROFILES, AudioProfile
from broadcast.mastering.programme import (
    ATTENTION_FREQUENCIES,
    ATTENTION_SECONDS,
    GAP_BETWEEN_READINGS,
    PAUSE_AFTER_ATTENTION,
    PAUSE_AFTER_IDENT,
    TAIL_SILENCE,
    Programme,
    attention_signal,
    build_programme,
)
from broadcast.mastering.render import MasteredFile, master

__all__ = [
    "master", "MasteredFile", "MasteringError", "AudioProfile", "PROFILES", "Programme", "build_programme",
    "attention_signal", "ATTENTION_SECONDS", "ATTENTION_FREQUENCIES", "PAUSE_AFTER_ATTENTION",
    "PAUSE_AFTER_IDENT", "GAP_BETWEEN_READINGS", "TAIL_SILENCE", "SILENCE_LUFS", "COMPRESSOR",
    "COMPRESSOR_THRESHOLD_DBFS", "LIMITER",
]
