"""Imported first by the recorder process (``recorder.engine.process``), before numpy loads.

numpy's OpenBLAS starts a thread per core when it is loaded, and those threads busy-wait for
work for a while: about 0.1 s of CPU at every recorder start (measured: 0.30 -> 0.20 s for
importing the process module and idling 3 s), for nothing, since the recorder makes no BLAS
calls. One thread means none is started. A value set by whoever started the process wins.
"""

from __future__ import annotations

import os
from typing import Final

OPENBLAS_THREADS_VARIABLE: Final = "OPENBLAS_NUM_THREADS"

os.environ.setdefault(OPENBLAS_THREADS_VARIABLE, "1")
