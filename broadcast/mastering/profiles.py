"""The output formats and the loudness targets each must meet (DESIGN.md, "Audio targets")."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AudioProfile:
    """One output format and the loudness targets it must meet."""

    name: str
    extension: str                  # with the dot: ".mp3"
    mime_type: str
    codec: str                      # ffmpeg encoder name
    sample_rate: int
    bitrate_kbps: int
    target_lufs: float              # integrated loudness, ITU-R BS.1770
    tolerance_lu: float             # ± around target_lufs
    max_true_peak_dbtp: float
    highpass_hz: float | None       # band-limit before measuring, so the gain fits what is encoded
    lowpass_hz: float | None
    compress: bool                  # gentle compression (outdoor horns need a steady level)
    # How far below max_true_peak the limiter's sample-peak ceiling sits: lossy encoders add
    # overshoot between samples, more so at low bit rates.
    limiter_margin_db: float = 1.0
    # Loudness the encoder sheds (LAME at 128 kb/s takes ~0.3–0.5 LU off speech); aimed above.
    encoder_loss_lu: float = 0.0
    container: str = "mp3"          # ffmpeg muxer (temp names end in .part, so it is named)

    def meets(self, lufs: float, true_peak: float) -> bool:
        return abs(lufs - self.target_lufs) <= self.tolerance_lu and true_peak <= self.max_true_peak_dbtp


PROFILES: dict[str, AudioProfile] = {
    "loudspeaker": AudioProfile(
        name="loudspeaker", extension=".mp3", mime_type="audio/mpeg", codec="libmp3lame",
        sample_rate=44100, bitrate_kbps=128, target_lufs=-14.0, tolerance_lu=1.0,
        max_true_peak_dbtp=-1.0, highpass_hz=150.0, lowpass_hz=7000.0, compress=True,
        limiter_margin_db=0.8, encoder_loss_lu=0.3, container="mp3",
    ),
    "zalo": AudioProfile(
        name="zalo", extension=".m4a", mime_type="audio/mp4", codec="aac",
        sample_rate=44100, bitrate_kbps=64, target_lufs=-16.0, tolerance_lu=1.0,
        max_true_peak_dbtp=-1.5, highpass_hz=None, lowpass_hz=None, compress=False,
        limiter_margin_db=1.8, container="ipod",
    ),
}
