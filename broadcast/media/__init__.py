"""Media: the one way into and out of audio for every stage, in this process through FFmpeg's
libraries (PyAV) and the system's LAME — no program is started.

Modules, one job each:
  `decode`   files and bytes → float32 mono (whole, or streamed in blocks), and `probe`;
  `filters`  libavfilter chains, and the one resampler (swresample);
  `loudness` integrated loudness and true peak (FFmpeg's ebur128 meter);
  `encode`   MP3 (LAME) and AAC (libavcodec) files, and `encoder_id` for cache keys;
  `tags`     ID3 / MP4 tags (mutagen);
  `levels`   the silence floor and clip level stages judge audio by;
  `errors`   AudioError, the one error type (it names the file).

The names in `__all__` are importable from here (none is also a module's name); each loads its
module (and PyAV) on first use, so importing `broadcast.media.levels` or `.errors` stays cheap."""

from __future__ import annotations

import importlib

_HOME = {
    "AudioError": "errors",
    "AudioInfo": "decode", "BLOCK_SECONDS": "decode", "RECOGNITION_RATE": "decode",
    "decode_bytes": "decode", "decode_file": "decode", "iter_blocks": "decode", "probe": "decode",
    "apply_filters": "filters", "resample": "filters", "run_filters": "filters", "to_mono_float": "filters",
    "filter_and_measure": "loudness", "integrated_loudness": "loudness", "measure_pcm": "loudness",
    "true_peak": "loudness",
    "encode_pcm": "encode", "encode_mp3": "encode", "encoder_id": "encode",
    "write_tags": "tags",
    "CLIP_LEVEL": "levels", "SILENCE_DBFS": "levels",
}

__all__ = sorted(_HOME)


def __getattr__(name: str):
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
