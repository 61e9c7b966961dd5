"""Speech shaping for outdoor horns: an announcement body becomes paragraphs of sentences,
read one sentence at a time with set pauses between them."""

from __future__ import annotations

import re

import numpy as np

from broadcast.media.filters import resample
from broadcast.speech.audio import silence, trim_silence

_SENTENCE_END = re.compile(r"(?<=[.!?…;])\s+")
_MARKDOWN = [
    (re.compile(r"^\s{0,3}#{1,6}\s*"), ""),              # headings
    (re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+"), ""),       # list bullets and numbers
    (re.compile(r"^\s*>\s?"), ""),                       # quotes
    (re.compile(r"!?\[([^\]]*)\]\([^)]*\)"), r"\1"),     # links and images: keep the words
    (re.compile(r"(\*\*|__|\*|`)"), ""),                 # emphasis and code marks
]


def clean_markdown(text: str) -> str:
    """Announcement bodies are Markdown: drop the marks a reader would not say."""
    lines = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        for pattern, repl in _MARKDOWN:
            line = pattern.sub(repl, line)
        lines.append(line.strip())
    return "\n".join(lines)


def split_paragraphs(text: str) -> list[list[str]]:
    """Blank lines separate paragraphs; a line break or sentence punctuation ends a sentence.
    A list item without a full stop still gets its own sentence (and pause)."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        sentences = []
        for line in block.split("\n"):
            sentences += [s.strip() for s in _SENTENCE_END.split(line) if s.strip()]
        sentences = [s for s in sentences if any(ch.isalnum() for ch in s)]
        if sentences:
            paragraphs.append(sentences)
    return paragraphs


def canonical_text(paragraphs: list[list[str]]) -> str:
    """One string for what will be said, sentence per line, paragraphs apart (the cache key)."""
    return "\n\n".join("\n".join(p) for p in paragraphs)


def assemble(clips: list[list[tuple[np.ndarray, int]]], sentence_pause: float,
             paragraph_pause: float) -> tuple[np.ndarray, int]:
    """Join sentence clips (each trimmed of the engine's own silence) with our pauses; clips of
    one voice normally share a rate, and any that do not are brought to the first one's."""
    rate = next((r for p in clips for _, r in p), 22050)
    parts: list[np.ndarray] = []
    for p_index, paragraph in enumerate(clips):
        if p_index:
            parts.append(silence(paragraph_pause, rate))
        for s_index, (samples, clip_rate) in enumerate(paragraph):
            if s_index:
                parts.append(silence(sentence_pause, rate))
            parts.append(trim_silence(resample(samples, clip_rate, rate), rate))
    if not parts:
        return np.zeros(0, np.float32), rate
    return np.concatenate(parts).astype(np.float32), rate
