"""Human readings, verified: a take of an approved text (from `broadcast record` or the studio
page) is cleaned, checked and — in the languages Whisper hears — transcribed and aligned with the
text sentence by sentence; it is aired only once accepted, and only while the text is unchanged.

Modules: `cleanup` (decode, mono, high-pass, denoise, trim; signal figures), `hearing` (Whisper,
piece by piece), `verify` (the transcript against the text: sentences, numbers, extra speech; on
broadcast.check's alignment and number judgement, with the record rule RECORD_NUMBERS), `takes` (the pipeline: keep, clean, verify, accept, approve), `studio` (what there is to
read and its state), `calibrate` (measure the limits again). Whether a reading may be aired is
answered below produce, by `broadcast.translations.readings`."""
