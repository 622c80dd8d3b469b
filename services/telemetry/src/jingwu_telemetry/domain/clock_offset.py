"""A terminal that reports its own time offset (R-TEL-2 quirk): JT/T 808 times are GMT+8, but some
terminals keep their clock on UTC or on their vendor's home zone, so every time they send is off by a
whole number of quarter hours. Per connection, the gateway compares the device's time of real-time
reports with the time it received them; once ``needed`` reports in a row are off by the same
quarter-hour multiple of at least an hour (within ``tolerance``), that offset is the terminal's, and it
is taken off every later time of the connection, stored fixes (0x0704) included. A report in step with
the clock resets it.

Only reports that advance in step with real time count as evidence: a terminal re-sending its buffer
as 0x0200 after a reconnection sends old times in a burst (their device times 30 s apart, their
arrivals milliseconds apart), which looks like an offset but is a delay. Pure: times come in as
arguments."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

STEP = timedelta(minutes=15)
MIN_OFFSET = timedelta(hours=1)
MAX_OFFSET = timedelta(hours=14)  # UTC-12 … UTC+14 against GMT+8 stays within this
IN_STEP = timedelta(seconds=10)


@dataclass
class ClockOffset:
    needed: int = 3
    tolerance: timedelta = timedelta(minutes=2)
    correction: timedelta = field(default=timedelta(0))
    _candidate: timedelta | None = None
    _seen: int = 0
    _previous: tuple[datetime, datetime] | None = None

    def observe(self, device_time: datetime, received: datetime) -> None:
        """One real-time report: its device time (as sent, read as GMT+8) and when it arrived."""
        previous, self._previous = self._previous, (device_time, received)
        skew = received - device_time
        if abs(skew - self.correction) <= self.tolerance:
            self._candidate, self._seen = None, 0  # in step with the current correction
            return
        if previous is not None and abs((device_time - previous[0]) - (received - previous[1])) > IN_STEP:
            self._candidate, self._seen = None, 0  # a burst of stored reports: a delay, not a zone
            return
        steps = round(skew / STEP)
        offset = steps * STEP
        if abs(skew - offset) > self.tolerance:
            return  # a late report (stored, delayed), not a zone: no evidence either way
        if offset and not MIN_OFFSET <= abs(offset) <= MAX_OFFSET:
            return  # under an hour is a delay; beyond 14 h no zone on Earth
        if offset == self._candidate:
            self._seen += 1
        else:
            self._candidate, self._seen = offset, 1
        if self._seen >= self.needed:
            self.correction, self._candidate, self._seen = offset, None, 0

    def corrected(self, device_time: datetime) -> datetime:
        return device_time + self.correction
