"""Verified file bytes → the PCM the sink takes (s16le mono at the masters' rate), decoded in
this process from the bytes that were hashed, never from the file again."""

from __future__ import annotations

import io

import av
import numpy as np

from broadcast.core.errors import BroadcastError
from broadcast.playout.outputs import BYTES_PER_SAMPLE, SAMPLE_RATE


def decode_pcm(data: bytes, label: str) -> bytes:
    """s16le mono PCM at SAMPLE_RATE; BroadcastError naming `label` when it cannot be decoded."""
    chunks: list[np.ndarray] = []
    try:
        with av.open(io.BytesIO(data)) as container:
            if not container.streams.audio:
                raise BroadcastError("no audio stream in the file", label,
                                     hint="run `broadcast produce` for this date again")
            resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
            for frame in container.decode(container.streams.audio[0]):
                chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
            chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    except av.error.FFmpegError as exc:
        raise BroadcastError(f"cannot decode the audio: {exc}", label,
                             hint="run `broadcast produce` for this date again") from None
    if not chunks:
        raise BroadcastError("the file holds no audio", label, hint="run `broadcast produce` for this date again")
    return np.concatenate(chunks).astype("<i2", copy=False).tobytes()


def silence(seconds: float) -> bytes:
    return bytes(int(round(seconds * SAMPLE_RATE)) * BYTES_PER_SAMPLE)


def seconds_of(pcm_bytes: int) -> float:
    return pcm_bytes / BYTES_PER_SAMPLE / SAMPLE_RATE
