"""JT/T 808 (2013 and 2019 revisions), pure: bytes in, messages out, and back. No I/O.

- ``framing``: flags, escaping, check code, and ``FrameSplitter`` for a TCP stream;
- ``header``: the two header layouts (and the vendor quirk of the 2019 flag on 2013 frames);
- ``bodies`` and ``location``: the message tables the platform speaks;
- ``codec``: ``decode`` / ``encode`` / ``split``; ``packets``: reassembly of sub-packaged messages.
Every malformed input raises ``Jt808Error`` with a ``Reason`` (R-TEL-2).
"""

from jingwu_telemetry.jt808.bodies import (
    Authentication,
    BatchKind,
    BatchUpload,
    Heartbeat,
    LocationReportBody,
    Logout,
    MessageId,
    PlatformResponse,
    PositionQuery,
    PositionQueryResponse,
    QueryServerTime,
    RawBody,
    Registration,
    RegistrationResponse,
    RegistrationResult,
    ResendRequest,
    Result,
    ServerTime,
    TerminalResendRequest,
    TerminalResponse,
)
from jingwu_telemetry.jt808.codec import Message, decode, decode_body, encode, split
from jingwu_telemetry.jt808.errors import Jt808Error, Reason
from jingwu_telemetry.jt808.framing import FrameSplitter
from jingwu_telemetry.jt808.header import Header, Packet, Revision
from jingwu_telemetry.jt808.location import AdditionalItem, Extras, LocationReport, standard_extras
from jingwu_telemetry.jt808.packets import Abandoned, Completed, Reassembler, ResendDue

__all__ = [
    "Abandoned",
    "AdditionalItem",
    "Authentication",
    "BatchKind",
    "BatchUpload",
    "Completed",
    "Extras",
    "FrameSplitter",
    "Header",
    "Heartbeat",
    "Jt808Error",
    "LocationReport",
    "LocationReportBody",
    "Logout",
    "Message",
    "MessageId",
    "Packet",
    "PlatformResponse",
    "PositionQuery",
    "PositionQueryResponse",
    "QueryServerTime",
    "RawBody",
    "Reason",
    "Reassembler",
    "Registration",
    "RegistrationResponse",
    "RegistrationResult",
    "ResendDue",
    "ResendRequest",
    "Result",
    "Revision",
    "ServerTime",
    "TerminalResendRequest",
    "TerminalResponse",
    "decode",
    "decode_body",
    "encode",
    "split",
    "standard_extras",
]
