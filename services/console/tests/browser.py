"""A real browser for the console's tests: Debian's Chromium driven by Playwright (playwright-core from
the console's own lock file), commanded from pytest.

``Browser.open()`` starts ``web/browser/driver.mjs`` (Node) with a fresh ``--user-data-dir`` and the
launch flags this machine's closed network needs (``jingwu_devstack.chromium.LAUNCH_FLAGS``); each
method sends one command and awaits its answer. The browser is the one the project unpacked into the
cache (``jingwu_devstack.chromium.ensure_chromium``, docs/adr/0050): its executable goes to the driver as
``executablePath``, and its environment (``LD_LIBRARY_PATH`` over the unpacked libraries,
``FONTCONFIG_FILE`` with the CJK font) is set on the driver's process, whose environment Playwright
hands to the browser it launches (``launchPersistentContext``'s ``env`` defaults to ``process.env``).
Selectors are Playwright's, e.g. ``role=button[name="登录"]``, so a test that finds a control by its role
and name also checks that the control is labelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from jingwu_devstack.chromium import LAUNCH_FLAGS, ensure_chromium
from jingwu_devstack.npm_tools import ensure_project

WEB = Path(__file__).resolve().parents[1] / "web"
DRIVER = WEB / "browser" / "driver.mjs"
# --headless comes from Playwright's own launch; WebGL (MapLibre) needs SwiftShader without a GPU.
EXTRA_FLAGS = ("--enable-unsafe-swiftshader", "--use-angle=swiftshader")


class BrowserError(AssertionError):
    """A browser command failed (a selector not found in time, a navigation error, ...)."""


class Browser:
    def __init__(
        self, process: asyncio.subprocess.Process, user_data: tempfile.TemporaryDirectory[str]
    ) -> None:
        self._process = process
        self._user_data = user_data
        self._ids = 0
        self._lock = asyncio.Lock()

    @classmethod
    @contextlib.asynccontextmanager
    async def open(cls, *, width: int = 1366, height: int = 900) -> AsyncIterator[Browser]:
        ensure_project(WEB)
        chromium = ensure_chromium()
        user_data = tempfile.TemporaryDirectory(prefix="jingwu-chromium-")
        options = {
            "executablePath": str(chromium.executable),
            "userDataDir": user_data.name,
            "args": [f for f in LAUNCH_FLAGS if f != "--headless"] + list(EXTRA_FLAGS),
            "viewport": {"width": width, "height": height},
            "timeoutMs": 20_000,
        }
        process = await asyncio.create_subprocess_exec(
            "node",
            str(DRIVER),
            json.dumps(options),
            cwd=WEB,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, **chromium.env, "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1"},
            limit=16 * 1024 * 1024,
        )
        browser = cls(process, user_data)
        try:
            yield browser
        finally:
            await browser._shutdown()

    async def _shutdown(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.call("close"), timeout=15)
        if self._process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._process.kill()
        await self._process.wait()
        self._user_data.cleanup()

    async def call(self, op: str, *args: Any, timeout_s: float = 60.0) -> Any:
        assert self._process.stdin is not None and self._process.stdout is not None
        async with self._lock:
            self._ids += 1
            command = {"id": self._ids, "op": op, "args": list(args)}
            self._process.stdin.write((json.dumps(command, ensure_ascii=False) + "\n").encode())
            await self._process.stdin.drain()
            line = await asyncio.wait_for(self._process.stdout.readline(), timeout=timeout_s)
        if not line:
            stderr = b""
            if self._process.stderr is not None:
                with contextlib.suppress(TimeoutError):
                    stderr = await asyncio.wait_for(self._process.stderr.read(), timeout=5)
            raise BrowserError(
                f"the browser driver exited during {op}: {stderr.decode(errors='replace')[-3000:]}"
            )
        reply = json.loads(line)
        if not reply["ok"]:
            raise BrowserError(f"{op}{tuple(args)!r}: {reply['error']}")
        return reply["result"]

    # --- the commands the tests use -------------------------------------------------------------

    async def goto(self, url: str) -> int:
        return int(await self.call("goto", url))

    async def click(self, selector: str) -> None:
        await self.call("click", selector)

    async def fill(self, selector: str, value: str) -> None:
        await self.call("fill", selector, value)

    async def select(self, selector: str, value: str) -> None:
        await self.call("select", selector, value)

    async def check(self, selector: str) -> None:
        await self.call("check", selector)

    async def uncheck(self, selector: str) -> None:
        await self.call("uncheck", selector)

    async def press(self, selector: str, key: str) -> None:
        await self.call("press", selector, key)

    async def key(self, key: str) -> None:
        await self.call("keyboard", key)

    async def text(self, selector: str) -> str:
        return str(await self.call("text", selector) or "")

    async def texts(self, selector: str) -> list[str]:
        return [str(t) for t in await self.call("texts", selector)]

    async def count(self, selector: str) -> int:
        return int(await self.call("count", selector))

    async def attr(self, selector: str, name: str) -> str | None:
        value = await self.call("attr", selector, name)
        return None if value is None else str(value)

    async def wait(self, selector: str, state: str = "visible", timeout_ms: int = 20_000) -> None:
        await self.call("wait", selector, state, timeout_ms, timeout_s=timeout_ms / 1000 + 30)

    async def wait_until(self, expression: str, timeout_ms: int = 20_000) -> Any:
        """Waits until the page-side ``expression`` is truthy; returns its value."""
        return await self.call("waitFunction", expression, timeout_ms, timeout_s=timeout_ms / 1000 + 30)

    async def eval(self, expression: str) -> Any:
        return await self.call("eval", expression)

    async def box(self, selector: str) -> dict[str, float] | None:
        value = await self.call("box", selector)
        return None if value is None else {k: float(v) for k, v in value.items()}

    async def screenshot(self, path: Path, *, full_page: bool = False) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        await self.call("screenshot", str(path), full_page)
        return path

    async def focused(self) -> dict[str, str] | None:
        value = await self.call("focused")
        return None if value is None else {k: str(v) for k, v in value.items()}

    async def requests(self) -> list[str]:
        return [str(u) for u in await self.call("requests")]

    async def console_errors(self) -> list[str]:
        return [str(e) for e in await self.call("consoleErrors")]

    async def clear_cookies(self) -> None:
        await self.call("clearCookies")

    async def viewport(self, width: int, height: int) -> None:
        await self.call("setViewport", width, height)
