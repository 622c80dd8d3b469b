"""The demo ledger (jingwu_cli.population_demo) at the benchmark's size: an address names one house, so
the import's address check (one house per standard address, R-POP-1) accepts every row of it."""

from __future__ import annotations

from jingwu_cli.population_demo import demo_rows
from jingwu_population.domain.address import parse_address


def test_a_million_residents_never_put_two_houses_at_one_address() -> None:
    houses: dict[str, tuple[str, str, str]] = {}
    conflicts = []
    rows = 0
    for row in demo_rows("01", 1_000_000):
        rows += 1
        house = (row["纬度"], row["经度"], row["警务区编码"])
        if houses.setdefault(row["标准地址"], house) != house:
            conflicts.append(row["标准地址"])
    # Every address is one the import takes: a door number or a room (R-POP-1).
    unplaced = [a for a in houses if not (parse_address(a).door_number or parse_address(a).room)]
    assert rows == 1_000_000
    assert len(houses) > 300_000  # households of one to six
    assert conflicts == []  # 306 before: zones with more than 5,940 houses ran into the next zone's numbers
    assert unplaced == []
