"""The soak's own proofs: its verdicts judge the right way, its charts are valid SVG, and one short
real run through the same code path as ``make soak`` samples every process and group and stores fixes.
The short run's figures are far too short for its verdicts to mean anything, so they are not asserted;
the verdict functions are tested on series with a known answer instead."""

from __future__ import annotations

import dataclasses
import random
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ..district_stack import PROCESSES
from . import plot, run_soak, verdict

pytestmark = pytest.mark.e2e
SVG = "{http://www.w3.org/2000/svg}"


def minutes(count: int, step_min: float = 1 / 6) -> list[float]:
    return [i * step_min for i in range(count)]


# -- verdicts ----------------------------------------------------------------------------------------


def test_slope_of_a_line_is_its_gradient() -> None:
    assert verdict.slope([(t, 3.0 + 2.0 * t) for t in minutes(30)]) == pytest.approx(2.0)
    assert verdict.slope([(1.0, 5.0)]) == 0.0


def test_rising_memory_fails() -> None:
    # 100 MiB growing 2 MiB/min for 30 min, with a little noise.
    rng = random.Random(1)
    points = [(t, 100.0 + 2.0 * t + rng.uniform(-1, 1)) for t in minutes(180)]
    check = verdict.memory_check("leaky", points)
    assert not check.ok
    assert verdict.slope(verdict.second_half(points)) == pytest.approx(2.0, abs=0.1)
    assert "MiB/min" in check.detail


def test_slow_leak_below_the_threshold_passes_and_above_fails() -> None:
    points = [(t, 100.0 + 0.5 * t) for t in minutes(180)]
    assert verdict.memory_check("slow", points).ok
    assert not verdict.memory_check("slow", points, max_slope_mib_per_min=0.25).ok


def test_flat_noisy_memory_passes() -> None:
    # A service after warm-up: flat around 120 MiB, ±4 MiB of GC and allocator noise; the first
    # half climbs (warm-up), which the verdict ignores.
    rng = random.Random(7)
    points = [(t, (60.0 + 6.0 * t if t < 10 else 120.0) + rng.uniform(-4, 4)) for t in minutes(180)]
    check = verdict.memory_check("steady", points)
    assert check.ok, check.detail


def test_too_few_samples_is_no_pass() -> None:
    assert not verdict.memory_check("short", [(0.0, 100.0), (1.0, 100.0)]).ok


def test_growing_lag_fails() -> None:
    # A consumer 20 records/s short of its input: lag rises 1,200/min.
    points = [(t, 1200.0 * t) for t in minutes(180)]
    check = verdict.lag_check("behind", points, bound=1e9, max_slope_per_min=1000)
    assert not check.ok
    assert "rising" in check.detail


def test_lag_above_its_bound_fails() -> None:
    points = [(t, 50_000.0) for t in minutes(60)]
    check = verdict.lag_check("stuck", points, bound=30_000, max_slope_per_min=1000)
    assert not check.ok
    assert "above the bound" in check.detail


def test_oscillating_lag_of_a_batch_consumer_passes() -> None:
    # Drained in batches: anywhere between 0 and 5,000 behind, no trend.
    rng = random.Random(3)
    points = [(t, rng.uniform(0, 5000)) for t in minutes(180)]
    check = verdict.lag_check("batches", points, bound=30_000, max_slope_per_min=1000)
    assert check.ok, check.detail


def test_rpc_errors_fail_and_no_answers_fail() -> None:
    assert verdict.errors_check("rpc", answered=100, errors=0).ok
    assert not verdict.errors_check("rpc", answered=100, errors=1).ok
    assert not verdict.errors_check("rpc", answered=0, errors=0).ok


# -- charts ------------------------------------------------------------------------------------------


def test_chart_is_svg_with_one_polyline_per_series_and_axis_labels(tmp_path: Path) -> None:
    series = {
        "rooms-01": [(t, 90.0 + t) for t in minutes(10)],
        "telemetry-01 <fixes & more>": [(t, 120.0) for t in minutes(10)],
        "empty": [],
    }
    path = plot.write_chart(tmp_path / "c.svg", "RSS per process", "minutes", "RSS (MiB)", series)
    root = ET.fromstring(path.read_text(encoding="utf-8"))
    assert root.tag == f"{SVG}svg"
    lines = root.findall(f"{SVG}polyline")
    assert [line.get("data-series") for line in lines] == ["rooms-01", "telemetry-01 <fixes & more>"]
    assert all(len(line.get("points", "").split()) == 10 for line in lines)
    texts = {element.get("class"): element.text for element in root.iter(f"{SVG}text")}
    assert texts["x-label"] == "minutes"
    assert texts["y-label"] == "RSS (MiB)"
    assert "RSS per process" in [element.text for element in root.iter(f"{SVG}text")]


def test_chart_points_stay_inside_the_plot_area() -> None:
    text = plot.line_chart("t", "x", "y", {"a": [(0.0, 0.0), (7.3, 1234.5)]})
    root = ET.fromstring(text)
    (line,) = root.findall(f"{SVG}polyline")
    for pair in line.get("points", "").split():
        x, y = (float(v) for v in pair.split(","))
        assert plot.LEFT <= x <= plot.WIDTH - plot.RIGHT
        assert plot.TOP <= y <= plot.HEIGHT - plot.BOTTOM


# -- one short real run ------------------------------------------------------------------------------


def test_short_soak_samples_every_process_and_group(tmp_path: Path) -> None:
    """``make soak``'s code path at 40 devices for 36 s after the warm-up: every process and consumer
    group sampled each time, fixes stored, every output written (the verdicts of so short a run are
    not asserted)."""
    config = dataclasses.replace(
        run_soak.SoakConfig(), minutes=0.6, sample_s=5.0, devices=40, rps=4.0, out=tmp_path, warmup_s=60.0
    )
    run = run_soak.run_soak(config)
    expected = {
        *(
            f"{name}-01"
            for name in ("rooms", "population", "personnel", "telemetry", "notification", "patrol")
        ),
        "kafka",
        "ferretdb",
        "jt808-gateway",
        "handheld-gateway",
        run_soak.SIMULATOR,
    }
    assert set(run.processes) == expected
    assert len(run.samples) >= 5
    for sample in run.samples:
        assert set(sample.rss_mib) == expected, sample.t_min
        assert all(value > 0 for value in sample.rss_mib.values())
    groups = set(run.samples[-1].lag)
    assert run_soak.FIX_GROUP in groups
    assert {group.split("-")[2] for group in groups} == set(PROCESSES)
    assert all(set(sample.lag) == groups for sample in run.samples)
    stored = [s.fixes_stored for s in run.samples if s.fixes_stored is not None]
    assert len(stored) == len(run.samples)
    assert stored[-1] > stored[0]
    assert run.stored_documents
    assert run.tally.total_answered > 0
    for name in ("memory.csv", "lag.csv", "rates.csv", "summary.md", "memory.svg", "lag.svg"):
        assert (tmp_path / name).stat().st_size > 0, name
    memory_csv = (tmp_path / "memory.csv").read_text().splitlines()
    assert {c.what for c in run.checks} == {"memory", "lag", "alive", "rate", "rpc", "warm-up"}
    assert run.warmup and all(sample.t_min <= 0 for sample in run.warmup)
    assert len(memory_csv) == len(run.warmup) + len(run.samples) + 1
    assert "| check | subject | verdict | figures |" in (tmp_path / "summary.md").read_text()
