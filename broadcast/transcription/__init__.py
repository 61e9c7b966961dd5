"""Speech to text with Whisper, on the packaged weights: the stage that feedback, `check` and
recording verification share.

Modules, one job each: `whisper` (the packaged model and other model sources), `convert`
(CTranslate2 → openai-whisper checkpoint), `transcribe` (backends and the per-file pipeline),
`guard` (hallucination filter), `models` (Segment, Transcript, ModelError), `bench` (the
side-by-side benchmark behind scripts/bench-transcribe)."""
