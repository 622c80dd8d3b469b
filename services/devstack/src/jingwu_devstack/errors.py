"""The one exception type devstack raises for problems a developer can act on."""

from __future__ import annotations


class DevstackError(Exception):
    """A user-facing failure: the message says what went wrong and where to look (a log path, a command).

    The CLI prints the message without a traceback and exits with status 1.
    """
