"""No log call of any service passes an ``extra`` key that a ``logging.LogRecord`` already has: the
standard library raises ``KeyError("Attempt to overwrite 'created' in LogRecord")`` at the call, so the
log line becomes the failure of whatever it reported. Fuzzing found one: telemetry's handler of a zone
re-division logged ``extra={"created": ...}``, and every ZonesRedivided event ended as a dead letter
"handler failed" after its effect was written. Checked on the source, for every call at once."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

ROOT = Path(__file__).parents[3]
SOURCES = sorted(
    [*ROOT.glob("services/*/src/**/*.py"), *ROOT.glob("operators/*/src/**/*.py")],
)
# What makeRecord refuses to overwrite: every attribute of a record, and these two.
RESERVED = frozenset(vars(logging.LogRecord("n", logging.INFO, "p", 1, "m", None, None))) | {
    "message",
    "asctime",
}


def _extra_keys(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        for keyword in node.keywords:
            if keyword.arg == "extra" and isinstance(keyword.value, ast.Dict):
                for key in keyword.value.keys:
                    if isinstance(key, ast.Constant) and isinstance(key.value, str):
                        found.append((key.lineno, key.value))
    return found


def test_the_check_sees_a_reserved_key() -> None:
    tree = ast.parse('log.info("zones re-divided", extra={"created": [], "zone_code": "x"})')
    assert [key for _, key in _extra_keys(tree) if key in RESERVED] == ["created"]
    assert {"created", "name", "msg", "args", "message"} <= RESERVED


def test_no_log_call_passes_a_key_a_log_record_has() -> None:
    assert len(SOURCES) > 100  # the services' sources were found
    clashes = [
        f"{path.relative_to(ROOT)}:{line}: {key!r}"
        for path in SOURCES
        for line, key in _extra_keys(ast.parse(path.read_text(encoding="utf-8")))
        if key in RESERVED
    ]
    assert not clashes, "extra keys that overwrite a LogRecord attribute: " + ", ".join(clashes)
