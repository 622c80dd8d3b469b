"""Debian's package tools, used to fetch packages without installing them (jingwu_devstack.chromium):
which versions the package lists serve and which one apt would pick, the pinning rule for a pin Debian
stopped serving (docs/adr/0050), and the ``Inst`` lines of ``apt-get install --simulate`` — apt's own
answer to "what would this machine need to install". No root needed, nothing changed on the machine.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from jingwu_devstack.errors import DevstackError

APT_ENV = {"DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C"}


@dataclass(frozen=True)
class Resolution:
    """The version to fetch for one pinned package, and whether it is the pin."""

    package: str
    pinned: str
    version: str

    @property
    def fell_back(self) -> bool:
        return self.version != self.pinned


def choose_version(
    package: str,
    pinned: str,
    served: Sequence[str],
    candidate: str | None,
    newer: Callable[[str, str], bool],
) -> Resolution:
    """The pin when Debian serves it, else apt's candidate when it is newer than the pin, else an error.

    ``served`` are the versions the package lists offer, ``candidate`` the one apt would install,
    ``newer(a, b)`` Debian's version order (``dpkg --compare-versions a gt b``).
    """
    if pinned in served:
        return Resolution(package, pinned, pinned)
    if candidate is not None and newer(candidate, pinned):
        return Resolution(package, pinned, candidate)
    offered = ", ".join(served) or "nothing"
    raise DevstackError(
        f"Debian's package lists do not serve {package} {pinned} (the pin), "
        f"and apt offers {offered} (candidate {candidate or 'none'}), not a newer build; run "
        f"apt-get update as root, or pin a version apt serves"
    )


def dpkg_newer(a: str, b: str) -> bool:
    """Whether Debian version ``a`` sorts after ``b``."""
    proc = subprocess.run(["dpkg", "--compare-versions", a, "gt", b], check=False)
    return proc.returncode == 0


def served(packages: Sequence[str]) -> dict[str, list[str]]:
    """Versions of each package the local package lists offer (``apt-cache madison``)."""
    proc = subprocess.run(
        ["apt-cache", "madison", *packages], capture_output=True, text=True, check=False, env=apt_env()
    )
    found: dict[str, list[str]] = {name: [] for name in packages}
    for line in proc.stdout.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 3 and parts[0] in found and parts[2].endswith("Packages"):
            found[parts[0]].append(parts[1])
    return found


def candidates(packages: Sequence[str]) -> dict[str, str | None]:
    """The version apt would install of each package (``apt-cache policy``), None when none."""
    proc = subprocess.run(
        ["apt-cache", "policy", *packages], capture_output=True, text=True, check=False, env=apt_env()
    )
    found: dict[str, str | None] = dict.fromkeys(packages)
    current: str | None = None
    for line in proc.stdout.splitlines():
        if not line.startswith(" ") and line.endswith(":"):
            current = line[:-1]
        elif current in found and line.strip().startswith("Candidate:"):
            value = line.split(":", 1)[1].strip()
            found[current] = None if value == "(none)" else value
    return found


_INST = re.compile(r"^Inst (\S+) (?:\[(\S+)\] )?\((\S+) ")


def parse_simulation(text: str) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """``apt-get install --simulate`` output → (new packages → version, upgrades → (installed, wanted))."""
    new: dict[str, str] = {}
    upgrades: dict[str, tuple[str, str]] = {}
    for line in text.splitlines():
        match = _INST.match(line)
        if match is None:
            continue
        name, installed, version = match.group(1), match.group(2), match.group(3)
        if installed:
            upgrades[name] = (installed, version)
        else:
            new[name] = version
    return new, upgrades


def apt_env() -> dict[str, str]:
    return {**os.environ, **APT_ENV}


def apt_options() -> list[str]:
    # As root apt drops to the _apt user to download, who cannot write into the cache: say so up front
    # instead of apt warning about every file and then downloading as root anyway.
    return ["-o", "APT::Sandbox::User=root"] if os.geteuid() == 0 else []


def upstream_version(debian_version: str) -> str:
    """``156.0.8078.114`` for ``156.0.8078.114-1~deb12u1`` (no epoch, no Debian revision)."""
    return debian_version.split(":", 1)[-1].rsplit("-", 1)[0]
