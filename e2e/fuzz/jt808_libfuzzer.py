"""Coverage-guided fuzzing of the JT/T 808 framing and decoder with atheris (libFuzzer), run as its own
process by test_fuzz_jt808_coverage.py: ``python jt808_libfuzzer.py CORPUS_DIR -runs=N …`` (libFuzzer's
flags). The jt808 package is instrumented, so libFuzzer keeps the inputs that reach new branches of the
parsers and mutates those further (ADR 0051).

The first byte of an input picks what the rest is:

- even: a TCP stream from a terminal, cut into two reads where the second byte says, through the
  ``FrameSplitter`` and each frame into ``decode`` — the path the gateway takes;
- odd: a frame's content (header and body) that gets a correct check code and escaping first, so
  mutations reach the header and body parsers instead of stopping at the check code.

Only ``Jt808Error`` may come out (R-TEL-2: every malformed input is a counted, reasoned refusal); any
other exception is a crash, and libFuzzer writes the input that caused it next to ``-artifact_prefix``.
"""

from __future__ import annotations

import contextlib
import sys

import atheris

with atheris.instrument_imports(include=["jingwu_telemetry.jt808"]):
    from jingwu_telemetry.jt808 import Jt808Error, decode
    from jingwu_telemetry.jt808.framing import FrameSplitter, check_code, escape


def _decode_all(frames: list[bytes | Jt808Error]) -> None:
    for frame in frames:
        if isinstance(frame, Jt808Error):
            continue
        with contextlib.suppress(Jt808Error):
            decode(frame)


def one_input(data: bytes) -> None:
    if len(data) < 2:
        return
    mode, cut, rest = data[0], data[1], data[2:]
    if mode % 2 == 0:
        splitter = FrameSplitter()
        at = cut % (len(rest) + 1)
        _decode_all(splitter.feed(rest[:at]))
        _decode_all(splitter.feed(rest[at:]))
    else:
        with contextlib.suppress(Jt808Error):
            decode(escape(rest + bytes((check_code(rest),))))


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
