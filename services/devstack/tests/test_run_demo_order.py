"""`make run`'s demo order (jingwu_devstack.run.load_beside): the population ledger is imported beside the
district's load, starting only once the load has settled the territory, and never outlives a load that
failed."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from jingwu_devstack import run


class Steps:
    """A district load of three steps that sets ``ready`` after the first, and records what ran when."""

    def __init__(self, fail_after_ready: bool = False, sets_ready: bool = True) -> None:
        self.ready = asyncio.Event()
        self.log: list[str] = []
        self.release = asyncio.Event()
        self.fail_after_ready = fail_after_ready
        self.sets_ready = sets_ready

    async def load(self) -> None:
        self.log.append("territory")
        await asyncio.sleep(0)
        if self.sets_ready:
            self.ready.set()
        self.log.append("officers")
        await self.release.wait()  # the rest of the district's load takes a while
        if self.fail_after_ready:
            raise RuntimeError("postings failed")
        self.log.append("load done")

    async def ledger(self) -> Sequence[str]:
        self.log.append("import started")
        self.release.set()  # the import ran while the load was still going
        await asyncio.sleep(0)
        self.log.append("import done")
        return ["population: imported"]


async def test_the_import_starts_once_the_territory_is_known_and_runs_beside_the_load() -> None:
    steps = Steps()
    # The load waits for the import to have started: run one after the other, they never finish.
    lines = await asyncio.wait_for(run.load_beside(steps.load(), steps.ready, [steps.ledger]), timeout=10)
    assert lines == ["population: imported"]
    assert steps.log.index("territory") < steps.log.index("import started") < steps.log.index("load done")


async def test_a_load_that_never_announces_the_territory_still_gets_its_import_after_it() -> None:
    steps = Steps(sets_ready=False)
    steps.release.set()
    assert await run.load_beside(steps.load(), steps.ready, [steps.ledger]) == ["population: imported"]
    assert steps.log.index("load done") < steps.log.index("import started")


async def test_a_failed_load_cancels_the_import_and_raises() -> None:
    steps = Steps(fail_after_ready=True)
    cancelled = asyncio.Event()

    async def slow_ledger() -> Sequence[str]:
        steps.release.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return ["never"]

    with pytest.raises(RuntimeError, match="postings failed"):
        await run.load_beside(steps.load(), steps.ready, [slow_ledger])
    assert cancelled.is_set()
