"""R-PAT-6: mileage from a track with jitter and teleport outliers filtered, checked against tracks with
known answers — a straight line, a loop, GPS jitter while parked, a teleport outlier — and the gaps,
relocations and in-zone mileage that evidence builds on."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from jingwu_patrol.domain.tracks import Track, TrackFilter, intersect, measure, merged, overlap_s

from .samples import DAY, at_m, joined, local, loop, parked, straight, track_of

START = local(DAY, 8)


def test_a_straight_line_counts_its_length() -> None:
    track = straight(START, metres=10_000, speed_mps=10)
    measured = measure(track)
    # Within one jitter radius (the last stretch shorter than it is not counted): 10 km ± 20 m.
    assert measured.mileage_m == pytest.approx(10_000, abs=20)
    assert measured.moving_s == pytest.approx(1000, abs=3)
    assert measured.outlier_count == 0 and measured.gap_s == 0


def test_a_loop_counts_its_circumference() -> None:
    track = loop(START, radius=500, speed_mps=10)
    measured = measure(track)
    assert measured.mileage_m == pytest.approx(2 * math.pi * 500, rel=0.002)


def test_a_tight_loop_loses_little_to_the_chords() -> None:
    # A 100 m radius block at walking pace: chords of 20 m fall short of the arc by 0.2 %.
    measured = measure(loop(START, radius=100, speed_mps=1.5))
    assert measured.mileage_m == pytest.approx(2 * math.pi * 100, rel=0.01)


def test_gps_jitter_while_parked_is_no_mileage() -> None:
    # An hour standing still with 5 m of scatter per axis at 1 Hz: the naive sum is tens of kilometres.
    track = parked(START, seconds_=3600, sigma_m=5, where=(800, 800))
    measured = measure(track)
    assert measured.raw_mileage_m > 20_000
    assert measured.mileage_m == 0
    assert measured.moving_s == 0


def test_parking_between_drives_adds_nothing_but_the_drives() -> None:
    first = straight(START, metres=3000, speed_mps=10)
    stand = parked(START + timedelta(seconds=301), seconds_=1800, sigma_m=5, where=(3000, 100))
    second = straight(START + timedelta(seconds=2101), metres=2000, speed_mps=10, x0=3000)
    measured = measure(joined(first, stand, second))
    assert measured.mileage_m == pytest.approx(5000, abs=20)
    assert measured.moving_s == pytest.approx(500, abs=10)


def test_a_teleport_outlier_is_dropped() -> None:
    points = []
    for i in range(1001):
        where = at_m(5000, 8000) if i == 500 else at_m(i * 10.0, 100)
        points.append((START + timedelta(seconds=i), where))
    measured = measure(track_of(points))
    assert measured.raw_mileage_m > 25_000  # the spike alone adds ~19 km to the naive sum
    assert measured.mileage_m == pytest.approx(10_000, abs=20)
    assert measured.outlier_count == 1
    assert 500 not in measured.kept


def test_a_device_moved_without_reporting_counts_no_jump() -> None:
    # Ten kilometres in one second, and the fixes after agree with it: a relocation, not a spike.
    before = straight(START, metres=1000, speed_mps=10)
    after = straight(START + timedelta(seconds=101), metres=1000, speed_mps=10, x0=11_000)
    measured = measure(joined(before, after))
    assert measured.relocation_count == 1
    assert measured.outlier_count == 0
    assert measured.mileage_m == pytest.approx(2000, abs=40)


def test_a_signal_gap_counts_the_plausible_straight_line_and_its_time() -> None:
    before = straight(START, metres=1000, speed_mps=10)
    # 10 minutes silent, 3 km further on: 18 km/h, plausible: the chord counts.
    after = straight(START + timedelta(seconds=700), metres=1000, speed_mps=10, x0=4000)
    measured = measure(joined(before, after))
    assert measured.gap_s == pytest.approx(600)
    assert measured.mileage_m == pytest.approx(5000, abs=40)
    assert [round(b - a) for a, b in measured.alive] == [100, 100]


def test_mileage_inside_the_zone_counts_only_while_inside() -> None:
    track = straight(START, metres=4000, speed_mps=10)
    inside = [(START.timestamp(), START.timestamp() + 200)]  # the first 2 km
    measured = measure(track, inside=inside)
    assert measured.mileage_inside_m == pytest.approx(2000, abs=20)
    assert measured.mileage_m == pytest.approx(4000, abs=20)


def test_a_duplicate_fix_is_ignored_and_disorder_is_refused() -> None:
    track = Track()
    track.append(10.0, 117.0, 33.6)
    track.append(10.0, 117.1, 33.7)
    assert len(track) == 1
    with pytest.raises(ValueError, match="time order"):
        track.append(5.0, 117.0, 33.6)
    assert len(Track.of([(3.0, 1.0, 1.0), (1.0, 1.0, 1.0), (2.0, 1.0, 1.0)])) == 3


def test_a_wider_jitter_radius_is_the_handheld_setting() -> None:
    # A handheld in a pocket scatters more (12 m): the handheld radius (25 m) keeps it at zero.
    track = parked(START, seconds_=1800, sigma_m=12, where=(800, 800), seed=3)
    assert measure(track, TrackFilter(jitter_radius_m=25.0)).mileage_m == 0


def test_interval_helpers() -> None:
    assert merged([(5, 7), (1, 3), (2, 4)]) == [(1, 4), (5, 7)]
    assert intersect([(0, 10), (20, 30)], [(5, 25)]) == [(5, 10), (20, 25)]
    assert overlap_s([(0, 10), (20, 30)], 5, 25) == 10
