"""The decoder's one error: every malformed input ends here, with a reason the gateway counts."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jingwu_telemetry.jt808.header import Header


class Reason(StrEnum):
    """Why a frame was refused; the value is the metric label (``jingwu.jt808.frames.rejected``)."""

    # Framing (nothing of the frame can be trusted, not even its header): dropped.
    GARBAGE = "garbage"  # bytes before the first 0x7e of a connection
    FRAME_TOO_LONG = "frame_too_long"  # no closing 0x7e within the longest possible frame
    BAD_ESCAPE = "bad_escape"  # 0x7d not followed by 0x01 or 0x02
    BAD_CHECK_CODE = "bad_check_code"
    TOO_SHORT = "too_short"  # shorter than the smallest header + check code
    LENGTH_MISMATCH = "length_mismatch"  # body length in the attributes disagrees with the frame
    BAD_BCD = "bad_bcd"  # a BCD field with a nibble above 9 (phone number, time)
    # Header fine, body not (answered 0x8001 "message error" with the header's serial).
    BAD_PACKET = "bad_packet"  # sub-package index 0 or above the total, or a total of 0
    BAD_BODY = "bad_body"  # the body does not follow its message's table
    BAD_TEXT = "bad_text"  # a STRING field that is not GBK
    ENCRYPTED = "encrypted"  # RSA-encrypted body (attributes bits 10-12): not supported


class Jt808Error(Exception):
    """A frame or body that does not follow JT/T 808. ``header`` is set once the header was read, so
    the gateway can answer the terminal (0x8001 result 2) instead of dropping the frame."""

    def __init__(self, reason: Reason, detail: str, header: Header | None = None) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail
        self.header = header

    def with_header(self, header: Header) -> Jt808Error:
        return Jt808Error(self.reason, self.detail, header)
