"""`broadcast check`: does the produced audio say what was approved?

For every loudspeaker file of a date (one analysis per distinct file content: the same master is
copied under several names), decode the file itself — exactly what will be played — and:
  signal    leading/trailing silence of the whole file, clipping, total duration against what
            the manifest's first reading and the announcement's readings imply;
  speech    cut out the first reading (the manifest's offsets; ident, tones and repeats left
            out), transcribe it with the Whisper backend (language forced, VAD on), normalise
            both sides the same way (speech normalisation, lower case, no punctuation), then
            CER, WER, every number/date/time/phone number of the approved text that the
            transcript lacks, and the speech rate (syllables a second).
Languages Whisper does not cover (hmn, blt, …) get the signal checks only, and the result says so.
Each file gets a flag, ok / review / fail, the worst of its checks; `check.json` beside the
manifest keeps every figure. Thresholds come from `[check]` in broadcast.toml; the defaults were
measured on the embedded voice (espeak-ng vi, rate 140) with the packaged Whisper base model
(see README, "Checking produced speech"; `python -m broadcast.check` measures them again).

Modules: `run` (run_check, check_one), `targets` (manifest → files and texts), `signal`,
`hearing` (the first reading transcribed and judged), `compare` (the text side: compare form,
error rates, numbers), `align` and `numbers` (transcript against text syllable by syllable, and
whether a number was heard as itself: shared with `broadcast record`, which judges by its own
NumberRule), `spoken` (what the voice was given), `remote` (a Ray pool), `thresholds`, `models` (the results),
`errors`, `calibrate`."""

from broadcast.check.errors import CheckError
from broadcast.check.models import CheckReport, FileCheck, Issue
from broadcast.check.run import check_one, run_check
from broadcast.check.thresholds import Thresholds

__all__ = ["CheckError", "CheckReport", "FileCheck", "Issue", "Thresholds", "check_one", "run_check"]
