"""FFmpeg's audio filters (libavfilter) run in this process through PyAV, and the one resampler
(swresample, through `aresample`). PCM here is float32 mono in [-1, 1] scale."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from fractions import Fraction

import av
import numpy as np

from broadcast.media.errors import AudioError

FRAME_SAMPLES = 1 << 16   # PCM handed to libav a frame at a time


def to_mono_float(samples: np.ndarray) -> np.ndarray:
    """Any PCM array (int or float; mono, or (n, channels)) → float32 mono in [-1, 1] scale."""
    a = np.asarray(samples)
    if np.issubdtype(a.dtype, np.integer):
        a = a.astype(np.float32) / float(np.iinfo(a.dtype).max + 1)
    a = a.astype(np.float32, copy=False)
    if a.ndim == 2:
        a = a.mean(axis=1) if a.shape[1] <= 8 else a.mean(axis=0)
    return a.reshape(-1)


def pcm_frames(pcm: np.ndarray, rate: int) -> Iterator[av.AudioFrame]:
    """Mono float32 PCM as libav frames of at most FRAME_SAMPLES, timestamped in samples."""
    pcm = np.ascontiguousarray(pcm, dtype=np.float32)
    for start in range(0, len(pcm), FRAME_SAMPLES):
        frame = av.AudioFrame.from_ndarray(pcm[start:start + FRAME_SAMPLES].reshape(1, -1),
                                           format="flt", layout="mono")
        frame.sample_rate = rate
        frame.pts = start
        frame.time_base = Fraction(1, rate)
        yield frame


def filter_graph(chain: str, rate: int) -> av.filter.Graph:
    """An ffmpeg `-af` chain ("name=args,name=args") as a libav graph: mono float in and out."""
    graph = av.filter.Graph()
    graph.threads = 1       # mono audio gains nothing from a pool; `--jobs` workers use the cores
    node = graph.add_abuffer(format="flt", sample_rate=rate, layout="mono", time_base=Fraction(1, rate))
    for part in [*chain.split(","), "aformat=sample_fmts=flt:channel_layouts=mono"]:
        name, _, args = part.partition("=")
        nxt = graph.add(name, args or None)
        node.link_to(nxt)
        node = nxt
    sink = graph.add("abuffersink")
    node.link_to(sink)
    graph.configure()
    return graph


def run_filters(pcm: np.ndarray, rate: int, chain: str, consume: Callable[[av.AudioFrame], None]) -> None:
    """Push `pcm` through `chain`, handing each filtered frame to `consume`. libav's errors
    (av.error.FFmpegError) pass through: the caller knows what it was doing."""
    graph = filter_graph(chain, rate)

    def drain() -> None:
        while True:
            try:
                consume(graph.pull())
            except (BlockingIOError, av.error.EOFError):
                return

    for frame in pcm_frames(pcm, rate):
        graph.push(frame)
        drain()
    graph.push(None)
    drain()


def samples_of(frame: av.AudioFrame) -> np.ndarray:
    """A float32 mono frame's samples (flt or fltp), as a view of its buffer: a third of the
    cost of `to_ndarray()`, which counts when a file is thousands of frames."""
    return np.frombuffer(frame.planes[0], dtype=np.float32, count=frame.samples)


def apply_filters(pcm: np.ndarray, rate: int, chain: str, what: str = "filtering") -> np.ndarray:
    """`pcm` through the ffmpeg filter chain `chain`, as one float32 mono array."""
    out: list[np.ndarray] = []
    try:
        run_filters(pcm, rate, chain, lambda f: out.append(samples_of(f)))
    except av.error.FFmpegError as exc:
        raise AudioError(f"{what} failed: {exc}") from None
    return np.concatenate(out) if out else np.zeros(0, dtype=np.float32)


def resample(samples: np.ndarray, rate: int, to_rate: int) -> np.ndarray:
    """Any PCM (see to_mono_float) at `rate` → float32 mono at `to_rate`, by FFmpeg's resampler
    (swresample, its default filter): the one resampler of the project."""
    samples = to_mono_float(samples)
    if rate == to_rate or len(samples) == 0:
        return samples
    out = apply_filters(samples, int(rate), f"aresample={int(to_rate)}", "resampling")
    return out.astype(np.float32, copy=False)
