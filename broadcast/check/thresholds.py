"""The limits `broadcast check` judges a file by, and how `[check]` in broadcast.toml sets them."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

from broadcast.check.errors import CheckError


@dataclass(frozen=True)
class Thresholds:
    """Limits for one file; `[check]` in broadcast.toml overrides any of them by name.
    Error rates are fractions of the approved text (0.10 = 10 %)."""

    cer_ok: float = 0.55
    """Character error rate up to this is ok. Whisper base on espeak-ng vi is a weak listener:
    0.28–0.41 on correct readings of the example announcements, up to 0.50 on one-sentence texts;
    0.67 and more on another announcement's audio (README, "Checking produced speech")."""
    cer_review: float = 0.65
    """Above cer_ok and up to this: review; above: fail."""
    wer_ok: float = 1.0
    """Word (syllable) error rate up to this is ok. Reported, but nearly useless with this model
    (0.60–0.96 on correct readings: most tones misheard); it only flags a transcript much longer
    than the text."""
    wer_review: float = 1.2
    """Above wer_ok and up to this: review; above: fail."""
    number_similarity: float = 0.75
    """How alike (0–1, toneless) a stretch of the transcript must be to a number's spoken form of
    three syllables or more to count as that number; shorter forms must appear as words."""
    missing_number: str = "review"
    """Flag for a number, date, time or phone number of the text that the transcript lacks
    ("review" or "fail"). Review by default: the base model mishears some numbers of correct
    readings (about one in six in the calibration), so a miss asks for a listen."""
    rate_min: float = 2.0
    """Comfortable speech rate for outdoor horns, syllables a second (pauses included)."""
    rate_max: float = 4.5
    rate_fail_min: float = 1.0
    """Outside these the reading cannot be the text at a sane pace: fail."""
    rate_fail_max: float = 7.0
    max_leading_silence: float = 1.0
    """Seconds of silence before the first sound of the file (review above)."""
    max_trailing_silence: float = 2.0
    """Seconds of silence after the last sound of the file (review above)."""
    max_clipped_share: float = 0.0001
    """Share of samples at full scale (|x| ≥ 0.999) allowed before review."""
    duration_tolerance: float = 1.0
    """Seconds the file may differ from its expected length (plus duration_tolerance_share)."""
    duration_tolerance_share: float = 0.05
    """… plus this share of the expected length; beyond both: fail (truncated or wrong file)."""

    @classmethod
    def from_config(cls, section: dict, source: Path | None = None) -> Thresholds:
        known = {f.name: f for f in fields(cls)}
        values: dict = {}
        for key, value in section.items():
            if key not in known:
                raise CheckError(f"unknown setting {key!r} in [check]", source, field=f"check.{key}",
                                 hint=f"known: {', '.join(known)}")
            if key == "missing_number":
                if value not in ("review", "fail"):
                    raise CheckError("must be \"review\" or \"fail\"", source, field="check.missing_number")
            elif isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise CheckError(f"must be a non-negative number, not {value!r}", source, field=f"check.{key}")
            values[key] = value if key == "missing_number" else float(value)
        out = cls(**values)
        if out.cer_review < out.cer_ok or out.wer_review < out.wer_ok or out.rate_max < out.rate_min:
            raise CheckError("a review limit is below its ok limit", source, field="check",
                             hint="cer_ok ≤ cer_review, wer_ok ≤ wer_review, rate_min ≤ rate_max")
        return out
