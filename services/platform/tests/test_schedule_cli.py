"""Finding a service's declared schedules without connecting (jingwu_platform.schedule_cli.declared): the
package of its installed ``jingwu-<service>`` command, module ``entrypoints/schedules.py``, ``SCHEDULES``.
A throwaway distribution on sys.path stands in for an installed service."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from jingwu_platform.schedule_cli import chart_entries, declared, main

SPECS = """
from datetime import time
from jingwu_platform.schedule import ScheduleSpec, daily, every_months

SCHEDULES = (
    ScheduleSpec(name="blank-villages", rule_id="R-PER-5", cadence=daily(at=time(1, 0))),
    ScheduleSpec(name="meetings", rule_id="R-NOT-2", cadence=every_months(2, at=time(9, 0))),
)
"""


def _install(root: Path, package: str, files: dict[str, str]) -> None:
    """A distribution ``package`` with a ``jingwu-<name>`` console script, importable from ``root``."""
    service = package.removeprefix("jingwu_")
    for relative, text in files.items():
        path = root / package / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    info = root / f"{package}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        f"[console_scripts]\njingwu-{service} = {package}.entrypoints.main:run\n"
    )


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Path]:
    sys.path.insert(0, str(tmp_path))
    try:
        yield tmp_path
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m.startswith("jingwu_toy")]:
            del sys.modules[name]


def test_declared_schedules_come_from_the_services_schedules_module(site: Path) -> None:
    _install(
        site,
        "jingwu_toyone",
        {
            "__init__.py": "",
            "entrypoints/__init__.py": "",
            "entrypoints/schedules.py": SPECS,
            "entrypoints/main.py": "raise RuntimeError('the whole service is not imported')\n",
        },
    )
    specs = declared("toyone")
    assert [s.name for s in specs] == ["blank-villages", "meetings"]
    assert chart_entries(specs) == [
        {"name": "blank-villages", "cron": "0 1 * * *", "ruleId": "R-PER-5"},
        {"name": "meetings", "cron": "0 9 1 1,3,5,7,9,11 *", "ruleId": "R-NOT-2"},
    ]


def test_the_values_command_prints_the_chart_block(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _install(
        site,
        "jingwu_toytwo",
        {"__init__.py": "", "entrypoints/__init__.py": "", "entrypoints/schedules.py": SPECS},
    )
    assert main(["values", "toytwo"]) == 0
    assert capsys.readouterr().out == (
        "schedules:\n"
        '  - {name: blank-villages, cron: "0 1 * * *", ruleId: R-PER-5}\n'
        '  - {name: meetings, cron: "0 9 1 1,3,5,7,9,11 *", ruleId: R-NOT-2}\n'
    )


def test_no_schedules_module_no_schedules_but_a_broken_one_fails(site: Path) -> None:
    _install(site, "jingwu_toythree", {"__init__.py": "", "entrypoints/__init__.py": ""})
    assert declared("toythree") == ()
    assert declared("not-installed") == ()
    _install(
        site,
        "jingwu_toyfour",
        {
            "__init__.py": "",
            "entrypoints/__init__.py": "",
            "entrypoints/schedules.py": "import no_such_module\n",
        },
    )
    with pytest.raises(ModuleNotFoundError, match="no_such_module"):
        declared("toyfour")
    _install(
        site,
        "jingwu_toyfive",
        {
            "__init__.py": "",
            "entrypoints/__init__.py": "",
            "entrypoints/schedules.py": "SCHEDULES = ('x',)\n",
        },
    )
    with pytest.raises(TypeError, match="not a ScheduleSpec"):
        declared("toyfive")
