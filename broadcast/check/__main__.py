"""`python -m broadcast.check`: the calibration table (see calibrate)."""

from broadcast.check.calibrate import main

main()
