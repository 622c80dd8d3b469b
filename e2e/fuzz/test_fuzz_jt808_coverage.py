"""The JT/T 808 framing and decoder under coverage-guided fuzzing (atheris, libFuzzer): the harness
(jt808_libfuzzer.py) runs as its own process on a corpus seeded with valid frames of every message the
codec knows, for ``FUZZ_EXAMPLES`` × 10,000 inputs (30,000 in ``make test``, 1,000,000 in ``make fuzz``),
and must end without a crash: only ``Jt808Error`` comes out of the decoder (R-TEL-2). The row in the
fuzzing table gives the inputs and the coverage libFuzzer reached (its ``cov``: edges of the
instrumented jt808 code)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from .conftest import FUZZ_TIMEOUT_S, FuzzReport, fuzz_size
from .test_fuzz_telemetry_inputs import MESSAGES

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.fuzz,
    pytest.mark.timeout(FUZZ_TIMEOUT_S),
]

RUNS = fuzz_size("FUZZ_EXAMPLES", 3) * 10_000
HARNESS = Path(__file__).with_name("jt808_libfuzzer.py")
SEEDS = 60


def seed_corpus(directory: Path) -> int:
    """Valid frames of every message the codec's property tests generate, in both of the harness's
    modes (a stream with flags, and a frame's content before check code and escaping)."""
    frames: list[bytes] = []

    @settings(max_examples=SEEDS, database=None, suppress_health_check=list(HealthCheck), deadline=None)
    @given(MESSAGES)
    def collect(message: object) -> None:
        from jingwu_telemetry.jt808 import encode
        from jingwu_telemetry.jt808.framing import unpack

        wire = encode(message)  # type: ignore[arg-type]
        frames.append(b"\x00\x00" + wire)
        frames.append(b"\x01\x00" + unpack(wire[1:-1]))

    collect()
    for n, frame in enumerate(frames):
        (directory / f"seed-{n:03d}").write_bytes(frame)
    return len(frames)


def test_coverage_guided_decoder_fuzzing_finds_no_crash(tmp_path: Path, fuzz_report: FuzzReport) -> None:
    corpus, artifacts = tmp_path / "corpus", tmp_path / "crashes"
    corpus.mkdir()
    artifacts.mkdir()
    seeds = seed_corpus(corpus)
    run = subprocess.run(
        [
            sys.executable,
            str(HARNESS),
            str(corpus),
            f"-runs={RUNS}",
            "-seed=808",
            "-max_len=2048",
            "-timeout=10",  # one input running 10 s is a hang
            f"-artifact_prefix={artifacts}/",
            "-print_final_stats=1",
        ],
        capture_output=True,
        text=True,
        timeout=FUZZ_TIMEOUT_S,
        check=False,
    )
    log = run.stderr
    row = fuzz_report.row("JT/T 808 framing + decoder, coverage-guided (atheris)")
    done = re.search(r"Done (\d+) runs", log)
    executed = int(done.group(1)) if done else int(_last(r"#(\d+)", log) or 0)
    row.inputs += executed
    crashed = run.returncode != 0 or any(artifacts.iterdir())
    hung = "ALARM: working on the last Unit for" in log
    row.crashes += int(crashed and not hung)
    row.hangs += int(hung)
    coverage, corpus_size = _last(r"cov: (\d+)", log), _last(r"corp: (\d+)", log)
    initial_cov = _last(r"INITED cov: (\d+)", log)
    row.findings.append(
        f"{seeds} seed frames; coverage of jt808 from {initial_cov} to {coverage} edges, corpus "
        f"{corpus_size} inputs"
    )
    found = sorted(artifacts.iterdir())
    assert not crashed, f"libFuzzer exit {run.returncode}; crash inputs {found}\n{log[-3000:]}"
    assert executed >= RUNS, f"only {executed} of {RUNS} inputs ran\n{log[-2000:]}"
    # The guidance works: the seeds reach the decoder's branches (about 80 edges here), and the inputs
    # libFuzzer kept for reaching new ones take it further (about 120 after 30,000).
    initial = re.search(r"INITED cov: (\d+)", log)
    assert initial and int(initial.group(1)) > 50, log[-2000:]
    assert coverage and int(coverage) > int(initial.group(1)), "mutation reached no new branch"


def _last(pattern: str, text: str) -> str | None:
    found = re.findall(pattern, text)
    return found[-1] if found else None
