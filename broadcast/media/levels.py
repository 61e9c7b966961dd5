"""Signal levels that several stages judge audio by: one place for each threshold."""

SILENCE_DBFS = -50.0   # a stretch quieter than this (RMS) is silence: speech pauses sit far below
CLIP_LEVEL = 0.999     # |sample| at or above this counts as clipped
