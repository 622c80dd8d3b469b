"""Named crash points for fault-injection tests (the gofail idea): off unless JINGWU_FAILPOINTS names one.

``JINGWU_FAILPOINTS=outbox.before_publish`` makes the process die abruptly (no cleanup, like SIGKILL)
the first time it reaches that point, so tests can prove what survives a crash.
"""

from __future__ import annotations

import logging
import os
import sys

CRASH_EXIT_CODE = 86


class Failpoints:
    def __init__(self, spec: str) -> None:
        self._armed = {name.strip() for name in spec.split(",") if name.strip()}

    def hit(self, name: str) -> None:
        if name in self._armed:
            logging.getLogger(__name__).warning("failpoint reached, crashing", extra={"failpoint": name})
            for handler in logging.getLogger().handlers:
                handler.flush()
            sys.stderr.flush()
            os._exit(CRASH_EXIT_CODE)
