"""Encoding float32 mono PCM to a file, in this process: AAC (or any libavcodec encoder) and its
muxer through PyAV; MP3 through the system's LAME (libmp3lame, installed with ffmpeg) by ctypes,
because the LAME inside PyAV's wheel is built without its assembly and takes ~2.5× the CPU.
A filter chain (the safety limiter) can ride just before the encoder. Bit-exact: the same input
gives the same bytes. `encoder_id` names the encoder and its version (for cache keys)."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from pathlib import Path

import av
import numpy as np

from broadcast.media.errors import AudioError
from broadcast.media.filters import apply_filters, run_filters

MP3_CODECS = frozenset({"libmp3lame", "mp3"})
LAME_MONO, LAME_CBR, LAME_QUALITY = 3, 0, 3     # lame.h: MONO, vbr_off; 3 = LAME's (and ffmpeg's) default
INSTALL_LAME = "install it: apt-get install libmp3lame0 (it comes with ffmpeg: scripts/setup)"


def encode_pcm(pcm: np.ndarray, rate: int, out: Path, *, codec: str, bitrate_kbps: int, container: str,
           chain: str | None = None) -> None:
    """Write `pcm` (float32 mono at `rate`), through the filter `chain` when given, encoded with
    `codec` at `bitrate_kbps` (CBR for MP3) in `container` (an ffmpeg muxer name: "mp3",
    "ipod" for .m4a) to `out`. Raises AudioError naming `out`."""
    out = Path(out)
    if codec in MP3_CODECS:
        if container != "mp3":
            raise AudioError(f"MP3 goes into an mp3 container, not {container}", out)
        data = apply_filters(pcm, rate, chain, f"encode ({codec})") if chain else pcm
        encode_mp3(data, rate, bitrate_kbps, out)
    else:
        _encode_with_libav(pcm, rate, out, codec=codec, bitrate_kbps=bitrate_kbps, container=container,
                           chain=chain)


def encoder_id(codec: str) -> str:
    """The encoder `encode` uses for `codec`, with its version: "lame 3.100",
    "aac libavcodec 62.28.102". Raises AudioError when that encoder is not here."""
    if codec in MP3_CODECS:
        lame = _system_lame()
        if lame is None:
            raise AudioError("the MP3 encoder (the system's libmp3lame) is not installed", hint=INSTALL_LAME)
        return f"lame {lame.get_lame_version().decode('ascii', 'replace')}"
    try:
        av.codec.Codec(codec, "w")
    except (av.error.FFmpegError, ValueError):
        raise AudioError(f"no {codec} encoder in this FFmpeg (PyAV {av.__version__})") from None
    return f"{codec} libavcodec {'.'.join(map(str, av.library_versions['libavcodec']))}"


@functools.lru_cache(maxsize=1)
def _system_lame():
    """The system's libmp3lame through ctypes, or None where it cannot be loaded."""
    try:
        lib = ctypes.CDLL(ctypes.util.find_library("mp3lame") or "libmp3lame.so.0")
        handle, integer, pointer = ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p
        lib.lame_init.restype = handle
        lib.lame_init.argtypes = []
        for name in ("lame_set_in_samplerate", "lame_set_out_samplerate", "lame_set_num_channels",
                     "lame_set_mode", "lame_set_VBR", "lame_set_brate", "lame_set_quality",
                     "lame_set_bWriteVbrTag"):
            getattr(lib, name).argtypes = [handle, integer]
        lib.lame_init_params.argtypes = [handle]
        lib.lame_close.argtypes = [handle]
        lib.lame_encode_buffer_ieee_float.argtypes = [handle, pointer, pointer, integer, pointer, integer]
        lib.lame_encode_flush.argtypes = [handle, pointer, integer]
        lib.lame_get_lametag_frame.argtypes = [handle, pointer, ctypes.c_size_t]
        lib.lame_get_lametag_frame.restype = ctypes.c_size_t
        lib.get_lame_version.argtypes = []
        lib.get_lame_version.restype = ctypes.c_char_p
    except (OSError, AttributeError):
        return None
    return lib


def encode_mp3(pcm: np.ndarray, rate: int, bitrate_kbps: int, out: Path) -> None:
    """CBR mono MP3 with the settings `ffmpeg -c:a libmp3lame -b:a …k` gives LAME, and LAME's
    own Info/LAME tag frame first (encoder delay and padding, so decoders return exactly the
    samples that went in, as with ffmpeg's muxer)."""
    lame = _system_lame()
    if lame is None:
        raise AudioError("cannot encode MP3: the system's libmp3lame is not installed", out, hint=INSTALL_LAME)
    pcm = np.ascontiguousarray(pcm, dtype=np.float32)
    gfp = lame.lame_init()
    if not gfp:
        raise AudioError("MP3 encoding failed: lame_init", out)
    try:
        for setter, value in (("in_samplerate", rate), ("out_samplerate", rate),
                              ("num_channels", 1), ("mode", LAME_MONO), ("VBR", LAME_CBR),
                              ("brate", bitrate_kbps), ("quality", LAME_QUALITY), ("bWriteVbrTag", 1)):
            getattr(lame, f"lame_set_{setter}")(gfp, value)
        if lame.lame_init_params(gfp) < 0:
            raise AudioError(f"MP3 encoding failed: LAME refused {rate} Hz at {bitrate_kbps} kb/s", out)
        buffer = ctypes.create_string_buffer(int(1.25 * len(pcm)) + 7200)   # lame.h's worst case
        size = lame.lame_encode_buffer_ieee_float(gfp, pcm.ctypes.data, None, len(pcm), buffer, len(buffer))
        if size < 0:
            raise AudioError(f"MP3 encoding failed: LAME error {size}", out)
        data = bytearray(buffer.raw[:size])
        size = lame.lame_encode_flush(gfp, buffer, len(buffer))
        if size < 0:
            raise AudioError(f"MP3 encoding failed: LAME error {size}", out)
        data += buffer.raw[:size]
        tag = ctypes.create_string_buffer(4096)
        tag_size = lame.lame_get_lametag_frame(gfp, tag, len(tag))
        data[:tag_size] = tag.raw[:tag_size]     # over the placeholder LAME left for it
    finally:
        lame.lame_close(gfp)
    with open(out, "wb") as fh:
        fh.write(data)


def _encode_with_libav(pcm: np.ndarray, rate: int, out: Path, *, codec: str, bitrate_kbps: int,
                       container: str, chain: str | None) -> None:
    """Filters + encoder + muxer in this process: the same libav code the ffmpeg program runs,
    with the same options (bit-exact, so the same input gives the same bytes)."""
    options = {"fflags": "+bitexact"}
    codec_options = {"flags": "+bitexact"}
    if codec == "aac":
        # the coder named, so a different FFmpeg build cannot change it (twoloop: the default
        # of both the ffmpeg program and PyAV here, and better than "fast" at 64 kb/s)
        options["movflags"] = "+faststart"
        codec_options.update(profile="aac_low", aac_coder="twoloop")
    try:
        with av.open(str(out), "w", format=container, container_options=options) as muxer:
            stream = muxer.add_stream(codec, rate=rate)
            stream.layout = "mono"
            stream.bit_rate = bitrate_kbps * 1000
            stream.codec_context.options = codec_options
            stream.codec_context.thread_count = 1

            def encode_frame(frame) -> None:
                frame.pts = None          # the encoder counts samples itself
                for packet in stream.encode(frame):
                    muxer.mux(packet)

            run_filters(pcm, rate, chain or "anull", encode_frame)
            for packet in stream.encode(None):
                muxer.mux(packet)
    except (av.error.FFmpegError, ValueError) as exc:
        raise AudioError(f"{codec} encoding failed: {exc}", out) from None
