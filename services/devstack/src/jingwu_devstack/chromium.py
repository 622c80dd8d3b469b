"""Debian's Chromium for the browser tests, installed by the project when it is missing.

The browser tests drive ``/usr/bin/chromium`` (Debian's ``chromium`` package) with Playwright; nothing
downloads a browser build of its own (``playwright install`` cannot work on a closed network). On a
fresh machine the test setup calls :func:`ensure_chromium`, which runs ``apt-get install chromium``
(``apt-get update`` first when the package lists do not know it yet) under a file lock, logging to
``<cache>/logs/fetch-chromium.log``. It needs root, as apt-get does; without root it fails with the
command to run. A small CJK font (``fonts-wqy-microhei``) comes with it: the console's pages are in
Chinese, and a browser without such a font draws boxes in the screenshots.

:data:`LAUNCH_FLAGS` are the flags every launch uses on this machine's closed network: without the
background-networking flags Chromium keeps opening connections that are refused.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import TextIO

from jingwu_devstack.errors import DevstackError
from jingwu_devstack.fetch import _locked, _log_path, _run, _say

CHROMIUM = Path("/usr/bin/chromium")
CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
PACKAGES = {"chromium": CHROMIUM, "fonts-wqy-microhei": CJK_FONT}
LAUNCH_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def chromium_version(executable: Path = CHROMIUM) -> str:
    """``Chromium 1xx.…`` as the binary prints it."""
    proc = subprocess.run(
        [str(executable), "--version"], capture_output=True, text=True, check=False, timeout=60
    )
    if proc.returncode != 0:
        raise DevstackError(f"{executable} --version failed: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout.strip()


def _missing() -> list[str]:
    return [name for name, path in PACKAGES.items() if not path.exists()]


def ensure_chromium(out: TextIO | None = None) -> Path:
    """Path of Debian's Chromium, installed (with the CJK font) by apt-get when not on the machine yet."""
    if not _missing():
        return CHROMIUM
    apt = shutil.which("apt-get")
    if apt is None:
        raise DevstackError(f"{' and '.join(_missing())} missing, and there is no apt-get to install them")
    if os.geteuid() != 0:
        raise DevstackError(
            f"the browser tests need Debian's packages; as root: apt-get install -y {' '.join(_missing())}"
        )
    with _locked("chromium", out):
        missing = _missing()
        if not missing:  # another session installed them while we waited
            return CHROMIUM
        log = _log_path("chromium")
        log.write_text(f"# apt-get install {' '.join(missing)}\n")
        _say(out, f"  … installing Debian's {', '.join(missing)} (log: {log})")
        env = {"DEBIAN_FRONTEND": "noninteractive"}
        known = subprocess.run(
            ["apt-cache", "policy", *missing], capture_output=True, text=True, check=False
        ).stdout
        if known.count("Candidate:") < len(missing) or "Candidate: (none)" in known:
            _run([apt, "update"], cwd=Path("/"), log=log, what="apt-get update", env=env)
        _run(
            [apt, "install", "-y", "--no-install-recommends", *missing],
            cwd=Path("/"),
            log=log,
            what=f"apt-get install {' '.join(missing)}",
            env=env,
        )
    if _missing():
        raise DevstackError(f"apt-get ran but {', '.join(_missing())} still missing (log: {log})")
    return CHROMIUM
