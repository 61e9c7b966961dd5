"""Citizens' voice feedback as a review queue: collect and store the recordings, transcribe
them (through `broadcast.transcription`), keep them in the workspace database, review, export.

Modules, one job each: `audio` (collect, hash, store the originals), `queue` (the review queue
API the command line and the web page build on), `models` (its records and errors), `export`
(CSV), `redact` (personal numbers masked in exports)."""
