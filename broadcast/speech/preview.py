"""What will be read aloud: a text's sentences as the voice is given them, and who reads them.

One normaliser, one reading: the sentences are `spoken_paragraphs(lang, text)`, exactly what
`synthesize` hands the engine sentence by sentence, and the voice is the one `synthesize` would
take now (the first usable voice of voices/<lang>.toml, `has_speech_route`). Nothing here
synthesises anything; `write_wav` writes a `Speech` the caller made.

Each spoken sentence also carries what the normaliser changed in it (a written run of words →
the words said for it: "15/12/2099" → "mười lăm tháng mười hai năm hai nghìn …"), found by
aligning the written words with the spoken ones, so an approver sees the sentences that hold
numbers, dates, codes or abbreviations and how each will sound."""

from __future__ import annotations

import difflib
import wave
from dataclasses import dataclass, field

import numpy as np

from broadcast.core.config import Workspace
from broadcast.core.fsutil import atomic_target
from broadcast.speech.engines import get_engine
from broadcast.speech.shaping import clean_markdown
from broadcast.speech.synth import Speech, has_speech_route, spoken_paragraphs
from broadcast.speech.voices import load_voice_list

# Written around a word but not part of it: punctuation the normaliser may add or drop.
_EDGE = ".,;:!?…()[]{}\"'“”‘’«»–—-"
_CLAUSE = ",;:"


@dataclass(frozen=True)
class Change:
    """A run of written words the normaliser turned into other words."""

    written: str
    spoken: str


@dataclass(frozen=True)
class SpokenSentence:
    number: int              # 1-based, over the whole text
    paragraph: int           # 1-based
    spoken: str              # what the voice is given, as it is given
    changes: tuple[Change, ...] = ()

    @property
    def normalised(self) -> bool:
        """Whether it holds something read otherwise than written (numbers, dates, codes, abbreviations)."""
        return bool(self.changes)


@dataclass(frozen=True)
class VoiceChoice:
    """The voice that will read a language now, or why none can."""

    lang: str
    voice: str | None = None
    engine: str | None = None
    engine_version: str | None = None
    skipped: tuple[str, ...] = ()     # "voice-id: reason" for each voice tried before it
    reason: str = ""                 # why there is no voice (empty when there is one)
    source: str | None = None        # the voices/<lang>.toml it comes from


@dataclass(frozen=True)
class Preview:
    lang: str
    sentences: list[SpokenSentence]
    voice: VoiceChoice
    paragraphs: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def normalised(self) -> list[SpokenSentence]:
        return [s for s in self.sentences if s.normalised]


def _key(word: str) -> str:
    return word.strip(_EDGE).casefold()


def _pieces(written: list[str], i1: int, i2: int, spoken: list[str], j1: int, j2: int):
    """A run of changed words cut where both sides have a clause mark (",", ";", ":") after the
    same number of pieces, so "100/2019/NĐ-CP, UBND" pairs each code with its own words."""
    def cuts(words: list[str], a: int, b: int) -> list[int]:
        return [k + 1 for k in range(a, b - 1) if words[k].rstrip("\"'”’)")[-1:] in _CLAUSE]

    left, right = cuts(written, i1, i2), cuts(spoken, j1, j2)
    if not left or len(left) != len(right):
        return [((i1, i2), (j1, j2))]
    a, b = [i1, *left, i2], [j1, *right, j2]
    return [((a[k], a[k + 1]), (b[k], b[k + 1])) for k in range(len(a) - 1)]


def spoken_sentences(text: str, lang: str) -> list[SpokenSentence]:
    """`text`'s sentences as the voice reads them (spoken_paragraphs), numbered, each with the
    written runs the normaliser changed in it."""
    paragraphs = spoken_paragraphs(lang, text)
    spoken_words: list[str] = []     # compare keys
    shown_words: list[str] = []      # as given to the voice
    owner: list[int] = []            # sentence index of each spoken word
    raw_spoken: list[str] = []       # with their punctuation
    flat: list[tuple[int, str]] = []
    for p_index, paragraph in enumerate(paragraphs, 1):
        for sentence in paragraph:
            index = len(flat)
            flat.append((p_index, sentence))
            for word in sentence.split():
                if _key(word):
                    spoken_words.append(_key(word))
                    shown_words.append(word.strip(_EDGE))
                    raw_spoken.append(word)
                    owner.append(index)
    written = [w for w in clean_markdown(text).split() if _key(w)]
    written_keys = [_key(w) for w in written]
    changes: list[list[Change]] = [[] for _ in flat]
    matcher = difflib.SequenceMatcher(None, written_keys, spoken_words, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" or j1 == j2:
            continue   # words the voice says as written, or written words dropped (e.g. a dash)
        for (a1, a2), (b1, b2) in _pieces(written, i1, i2, raw_spoken, j1, j2):
            was = " ".join(w.strip(_EDGE) for w in written[a1:a2])
            # A change can run across a sentence end the normaliser kept: each sentence gets its part.
            start = b1
            while start < b2:
                end = start
                while end < b2 and owner[end] == owner[start]:
                    end += 1
                changes[owner[start]].append(Change(was, " ".join(shown_words[start:end])))
                start = end
    return [SpokenSentence(n, p, sentence, tuple(changes[n - 1]))
            for n, (p, sentence) in enumerate(flat, 1)]


def spoken_lines(text: str, lang: str) -> list[str]:
    """The spoken form, one sentence per item (what `broadcast preview --text` prints)."""
    return [sentence for paragraph in spoken_paragraphs(lang, text) for sentence in paragraph]


def choose_voice(ws: Workspace, lang: str) -> VoiceChoice:
    """The voice `synthesize` takes for `lang` now, with the voices skipped before it; or why
    there is none and how to add one."""
    voice_list = load_voice_list(ws.voices_dir, lang)
    source = str(voice_list.source) if voice_list.source else None
    ok, answer = has_speech_route(ws, lang)
    if not ok:
        return VoiceChoice(lang, reason=answer, source=source)
    skipped = []
    for voice in voice_list.voices:
        engine = get_engine(voice.engine)
        if voice.id == answer:
            return VoiceChoice(lang, voice.id, voice.engine, engine.version(), tuple(skipped), source=source)
        skipped.append(f"{voice.id}: {engine.available(voice)[1]}")
    return VoiceChoice(lang, answer, None, None, tuple(skipped), source=source)   # not reached


def preview(ws: Workspace, text: str, lang: str) -> Preview:
    """`text` in `lang` as it will be read: numbered spoken sentences and the voice reading them."""
    sentences = spoken_sentences(text, lang)
    return Preview(lang, sentences, choose_voice(ws, lang),
                   paragraphs=len({s.paragraph for s in sentences}))


def write_wav(speech: Speech, path) -> float:
    """`speech` as 16-bit mono PCM WAV at its own rate, written atomically; returns its seconds."""
    pcm = (np.clip(speech.samples, -1.0, 1.0) * 32767.0).round().astype("<i2")
    with atomic_target(path) as tmp:
        with wave.open(str(tmp), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(int(speech.sample_rate))
            out.writeframes(pcm.tobytes())
    return speech.duration
