"""Speech to text with Whisper, on the packaged weights: the stage that feedback, `check` and
recording verification share.

Modules, one job each: `whisper` (the packaged model and other model sources), `convert`
(CTranslate2 → openai-whisper checkpoint), `transcribe` (backends and the per-file pipeline),
`pool` (many recordings in worker processes, in input order), `guard` (hallucination filter),
`models` (Segment, Transcript, ModelError). The benchmark is scripts/bench_transcribe.py."""
