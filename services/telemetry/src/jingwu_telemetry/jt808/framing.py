"""Framing (JT/T 808 §4.4): ``0x7e | header | body | check code | 0x7e``.

Sending: build header + body, append the XOR of all their bytes (the check code), escape, add the
flags. Receiving: split the stream on 0x7e, unescape, verify the check code. Escaping maps 0x7e to
``0x7d 0x02`` and 0x7d to ``0x7d 0x01``, inside the header, the body and the check code alike.
"""

from __future__ import annotations

from jingwu_telemetry.jt808.errors import Jt808Error, Reason

FLAG = 0x7E
_FLAG = b"\x7e"
_ESC = b"\x7d"
_ESCAPED_FLAG = b"\x7d\x02"
_ESCAPED_ESC = b"\x7d\x01"
# Longest unescaped content: 2019 header with packet items (21) + body (10-bit length: 1023) + check.
MAX_CONTENT = 21 + 1023 + 1
# Every byte may be escaped into two.
MAX_ESCAPED = 2 * MAX_CONTENT


def check_code(data: bytes) -> int:
    """XOR of every byte (a plain loop measured fastest for frame-sized data: ~3 µs for 56 bytes)."""
    value = 0
    for byte in data:
        value ^= byte
    return value


def escape(data: bytes) -> bytes:
    if b"\x7d" in data:
        data = data.replace(_ESC, _ESCAPED_ESC)
    if b"\x7e" in data:
        data = data.replace(_FLAG, _ESCAPED_FLAG)
    return data


def unescape(data: bytes) -> bytes:
    """Undo the escaping; Jt808Error(BAD_ESCAPE) for a 0x7d followed by anything but 0x01 or 0x02."""
    if b"\x7d" not in data:
        return data
    # In a well-escaped frame every 0x7d starts a 0x7d01 or 0x7d02 pair; count to be sure first.
    if data.count(_ESC) != data.count(_ESCAPED_ESC) + data.count(_ESCAPED_FLAG):
        raise Jt808Error(Reason.BAD_ESCAPE, "0x7d not followed by 0x01 or 0x02")
    return data.replace(_ESCAPED_FLAG, _FLAG).replace(_ESCAPED_ESC, _ESC)


def pack(content: bytes) -> bytes:
    """Header + body → a frame on the wire: check code, escaping, flags."""
    return _FLAG + escape(content + bytes((check_code(content),))) + _FLAG


def unpack(escaped: bytes) -> bytes:
    """The bytes between two flags → header + body, the check code verified and removed."""
    data = unescape(escaped)
    if len(data) < 2:
        raise Jt808Error(Reason.TOO_SHORT, f"{len(data)} bytes between the flags")
    content, check = data[:-1], data[-1]
    computed = check_code(content)
    if computed != check:
        raise Jt808Error(Reason.BAD_CHECK_CODE, f"check code 0x{check:02x}, computed 0x{computed:02x}")
    return content


class FrameSplitter:
    """Splits a TCP byte stream into escaped frame contents (the bytes between two 0x7e).

    A stream may split a frame across reads or carry several frames in one read; both are handled by
    buffering. Every stretch between two flags is a frame candidate (empty ones, from the ``7e 7e``
    between two frames, are skipped), so a terminal that shares one flag between frames still works.
    Bytes before the first flag, and a stretch longer than any frame can be, come out as Jt808Errors:
    the caller counts them and carries on.
    """

    def __init__(self, max_escaped: int = MAX_ESCAPED) -> None:
        self._buffer = bytearray()
        self._synced = False
        self._max = max_escaped

    def feed(self, data: bytes) -> list[bytes | Jt808Error]:
        buffer = self._buffer
        buffer += data
        out: list[bytes | Jt808Error] = []
        start = 0
        if not self._synced:
            flag = buffer.find(FLAG)
            if flag < 0:
                if buffer:
                    out.append(Jt808Error(Reason.GARBAGE, f"{len(buffer)} bytes before any 0x7e"))
                buffer.clear()
                return out
            if flag > 0:
                out.append(Jt808Error(Reason.GARBAGE, f"{flag} bytes before the first 0x7e"))
            start = flag + 1
            self._synced = True
        while True:
            end = buffer.find(FLAG, start)
            if end < 0:
                break
            if end > start:
                if end - start > self._max:
                    out.append(Jt808Error(Reason.FRAME_TOO_LONG, f"{end - start} bytes between flags"))
                else:
                    out.append(bytes(buffer[start:end]))
            start = end + 1
        del buffer[:start]
        if len(buffer) > self._max:
            # No flag within the longest frame: drop it and resynchronise on the next flag.
            out.append(Jt808Error(Reason.FRAME_TOO_LONG, f"{len(buffer)} bytes without a closing 0x7e"))
            buffer.clear()
            self._synced = False
        return out

    @property
    def buffered(self) -> int:
        return len(self._buffer)
