"""The limits `broadcast check` judges a file by, and how `[check]` in broadcast.toml sets them."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

from broadcast.check.errors import CheckError


# Settings that are a flag, and settings that are a share (0–1).
LEVEL_SETTINGS = ("missing_number", "missing_sentence")
SHARE_SETTINGS = ("coverage_min", "syllable_match", "sentence_heard", "number_similarity")


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
    coverage_min: float = 0.8
    """Share of the text's syllables that must meet a heard syllable (alike or not) in the
    alignment of transcript and text; under it: fail, whatever the CER — part of the text is not
    said (or not heard), as when a long reading comes back half transcribed. Measured with the
    embedded voice and Whisper base: 0.89–1.00 on correct readings of 18 texts, 0.44 on a file
    that says the first half of its text."""
    syllable_match: float = 0.5
    """How alike (0–1, no tone or vowel marks) a heard syllable must be to a syllable of the
    text to count as that syllable heard; two different number words are never alike."""
    sentence_heard: float = 0.3
    """A sentence is heard when its syllables are this alike (0–1, on average) to what met them.
    Measured: 0.47–0.89 for the sentences of correct readings, 0.00–0.10 for sentences not said."""
    missing_sentence: str = "review"
    """Flag for a sentence not heard ("review" or "fail")."""
    number_similarity: float = 0.55
    """A number, date, time, code or phone number is heard when its number words are this alike
    (0–1, on average) to what met them and none was heard as a clearly different number word.
    Measured: 0.60–1.00 for the numbers of correct readings that Whisper did not garble."""
    missing_number: str = "review"
    """Flag for a number, date, time or phone number of the text that the transcript lacks or
    has as another number ("review" or "fail"). Review by default: the base model mishears some
    numbers of correct readings (4 of 35 in the measurement: codes it wrote as other digits,
    "bảy" heard as "hài"), so a miss asks for a listen."""
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
            if key in LEVEL_SETTINGS:
                if value not in ("review", "fail"):
                    raise CheckError("must be \"review\" or \"fail\"", source, field=f"check.{key}")
                values[key] = value
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise CheckError(f"must be a non-negative number, not {value!r}", source, field=f"check.{key}")
            if key in SHARE_SETTINGS and value > 1:
                raise CheckError(f"must be a share from 0 to 1, not {value!r}", source, field=f"check.{key}")
            values[key] = float(value)
        out = cls(**values)
        if out.cer_review < out.cer_ok or out.wer_review < out.wer_ok or out.rate_max < out.rate_min:
            raise CheckError("a review limit is below its ok limit", source, field="check",
                             hint="cer_ok ≤ cer_review, wer_ok ≤ wer_review, rate_min ≤ rate_max")
        return out
