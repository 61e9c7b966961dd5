"""Citizens' voice feedback: decode → transcribe (Whisper) → guard against hallucinations →
review queue in the workspace database → review from the terminal or a web page → CSV export.

Modules, one job each: `audio` (decode, hash, store), `model` (the packaged Whisper weights and
other model sources), `convert` (CTranslate2 → openai-whisper checkpoint), `transcribe`
(backends and the per-file pipeline), `guard` (hallucination filter), `queue` (the review
queue API a web page builds on), `export` (CSV), `cli` (the commands)."""
