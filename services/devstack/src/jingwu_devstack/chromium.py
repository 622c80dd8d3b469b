"""Debian's Chromium for the browser tests, fetched, pinned and unpacked into the cache by the project.

Nothing is installed on the machine (docs/adr/0050): :func:`ensure_chromium` downloads Debian's
``.deb`` files with ``apt-get download`` and unpacks them with ``dpkg-deb -x`` below the git-ignored
cache, and the browser runs from there.

- pins: :data:`PINS` — ``chromium`` (and ``chromium-common``, built from the same source, always the same
  version) at :data:`CHROMIUM_VERSION`, and the small CJK font ``fonts-wqy-microhei`` at
  :data:`CJK_FONT_VERSION` (the console is in Chinese; without such a font Chromium draws boxes).
- dependency closure: apt's own resolver, ``apt-get install --simulate --no-install-recommends`` of the
  pinned packages (no root needed): its ``Inst`` lines are exactly the packages not installed on this
  machine that the pins need, with the versions apt would pick. (``apt-cache depends --recurse`` filtered
  by ``dpkg-query`` would expand every alternative of an ``a | b`` dependency and every provider of a
  virtual package: on Debian 12 chromium's ``libgtk-3-0 | xdg-desktop-portal-backend`` drags in the KDE,
  GNOME and wlroots portals, 212 packages instead of 26.) Installed packages that apt would *upgrade*
  are not unpacked (a newer libc next to the system's loader would break more than it fixes); they are
  listed in the log and in ``packages.json``, and the start check below fails if one of them mattered.
- ``apt-get update`` runs only when the package lists do not serve a pinned version (or a download from
  them failed: they name a build the archive has replaced), and only as root (it writes
  ``/var/lib/apt/lists``; nothing else here needs root). The apt queries are in ``jingwu_devstack.debian``.
- cache: ``<cache>/chromium-<resolved version>/`` with ``root/`` (every package unpacked), ``fonts.conf``
  (the system's fontconfig configuration plus the unpacked font dir, and a font cache inside the entry),
  ``packages.json`` (pins, resolved versions, the sha256 of every ``.deb``) and ``.complete.json``,
  written only after the unpacked binary answered ``--version`` with the resolved version. The ``.deb``
  files are deleted after unpacking. Log: ``<cache>/logs/fetch-chromium.log``; under a file lock like
  every fetch (``jingwu_devstack.fetch``).

**When Debian no longer serves the pin.** bookworm-security keeps only its newest chromium, and it
replaces chromium every few weeks; snapshot.debian.org is not reachable from this network. So: the pin is
what a warm cache keeps using and what a fresh machine gets while Debian serves it; when the lists (after
one ``apt-get update``) no longer serve it, the fetch takes apt's *candidate* **if it is newer than the
pin** (a security update of the same Debian release), says so on the output and in the log, records it
(``<cache>/chromium-resolved.json`` and ``packages.json``) and reuses that entry from then on, until the
pin is bumped to it. A candidate older than the pin, or no candidate, fails with a message naming the pin
and what apt offers: that is a stale or foreign machine, not a security update. The same rule applies to
the font's pin.

:func:`ensure_chromium` returns a :class:`ChromiumInstall`: the real binary
(``root/usr/lib/chromium/chromium``; Debian's ``/usr/bin/chromium`` wrapper script is not used) and the
environment it needs (``LD_LIBRARY_PATH`` over the unpacked library dirs, ``FONTCONFIG_FILE``), to merge
over ``os.environ`` for the browser process. :data:`LAUNCH_FLAGS` are the flags every launch uses on this
machine's closed network: without the background-networking flags Chromium keeps opening connections that
are refused.

    python -m jingwu_devstack.chromium      fetch (or reuse) and print the executable and its environment
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from jingwu_devstack.debian import (
    APT_ENV,
    Resolution,
    apt_options,
    candidates,
    choose_version,
    dpkg_newer,
    parse_simulation,
    served,
    upstream_version,
)
from jingwu_devstack.errors import DevstackError
from jingwu_devstack.fetch import (
    _digest,
    _force_rmtree,
    _is_complete,
    _locked,
    _log_path,
    _run,
    _say,
    _write_marker,
    require_tool,
)
from jingwu_devstack.paths import cache_dir, display_path

CHROMIUM_VERSION = "156.0.8078.114-1~deb12u1"  # bookworm-security, 2026-12
CJK_FONT_VERSION = "0.2.0-beta-3.1"  # bookworm
CHROMIUM_PACKAGES = ("chromium", "chromium-common")  # one source package: always the same version
CJK_FONT = "fonts-wqy-microhei"
PINS: Mapping[str, str] = {
    **dict.fromkeys(CHROMIUM_PACKAGES, CHROMIUM_VERSION),
    CJK_FONT: CJK_FONT_VERSION,
}
RECIPE = "1"  # bump when the unpack recipe changes, to rebuild existing cache entries
EXECUTABLE = Path("usr/lib/chromium/chromium")
RESOLVED = "chromium-resolved.json"
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


@dataclass(frozen=True)
class ChromiumInstall:
    """Chromium unpacked in the cache: run ``executable`` with ``{**os.environ, **env}``."""

    executable: Path
    env: dict[str, str]
    version: str  # the Debian version in use (``CHROMIUM_VERSION`` unless Debian replaced it)
    pinned: str
    root: Path  # the unpacked tree
    cached: bool = False
    seconds: float = 0.0

    @property
    def fell_back(self) -> bool:
        return self.version != self.pinned


# --------------------------------------------------------------------------------------------------
# the cache entry


def _inputs(pins: Mapping[str, str]) -> str:
    return _digest([], "chromium", RECIPE, *(f"{name}={version}" for name, version in sorted(pins.items())))


def _entry(version: str) -> Path:
    return cache_dir() / f"chromium-{version}"


def fonts_conf(root: Path, font_cache: Path) -> str:
    """A fontconfig configuration: the machine's own plus the fonts unpacked under ``root``."""
    system = Path("/etc/fonts/fonts.conf")
    base = system if system.is_file() else root / "etc/fonts/fonts.conf"
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n'
        "<!-- written by jingwu_devstack.chromium: the machine's fonts plus the ones unpacked here -->\n"
        "<fontconfig>\n"
        f"  <cachedir>{font_cache}</cachedir>\n"  # first: fontconfig writes to the first writable one
        f'  <include ignore_missing="yes">{base}</include>\n'
        f"  <dir>{root / 'usr/share/fonts'}</dir>\n"
        f'  <include ignore_missing="yes">{root / "etc/fonts/conf.d"}</include>\n'
        "</fontconfig>\n"
    )


def _library_dirs(root: Path) -> list[str]:
    """Folders of the unpacked tree holding shared libraries, relative to ``root``."""
    dirs = set()
    for lib in root.glob("usr/lib/**/lib*.so*"):
        if lib.is_file() and lib.parent != root / EXECUTABLE.parent:  # chromium's own: found via RPATH
            dirs.add(str(lib.parent.relative_to(root)))
    return sorted(dirs)


def _install(entry: Path, *, pinned: str, cached: bool, seconds: float) -> ChromiumInstall:
    root = entry / "root"
    manifest = json.loads((entry / "packages.json").read_text())
    conf = entry / "fonts.conf"
    text = fonts_conf(root, entry / "fontconfig-cache")
    if not conf.is_file() or conf.read_text() != text:  # the cache folder moved
        conf.write_text(text)
    libs = [str(root / d) for d in manifest["library_dirs"]]
    inherited = os.environ.get("LD_LIBRARY_PATH")
    env = {
        "LD_LIBRARY_PATH": os.pathsep.join([*libs, *([inherited] if inherited else [])]),
        "FONTCONFIG_FILE": str(conf),
    }
    return ChromiumInstall(
        executable=root / EXECUTABLE,
        env=env,
        version=str(manifest["resolved"]["chromium"]),
        pinned=pinned,
        root=root,
        cached=cached,
        seconds=seconds,
    )


def _ready(pins: Mapping[str, str]) -> Path | None:
    """The complete entry for these pins: the pinned version's, else the recorded fallback's."""
    inputs = _inputs(pins)
    entry = _entry(pins["chromium"])
    if _is_complete(entry / ".complete.json", inputs, entry / "root" / EXECUTABLE):
        return entry
    try:
        recorded = json.loads((cache_dir() / RESOLVED).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(recorded, dict) or recorded.get("inputs") != inputs:
        return None
    entry = _entry(str(recorded.get("chromium")))
    if _is_complete(entry / ".complete.json", inputs, entry / "root" / EXECUTABLE):
        return entry
    return None


def chromium_version(executable: Path, env: Mapping[str, str] | None = None) -> str:
    """``Chromium 1xx.…`` as the binary prints it."""
    proc = subprocess.run(
        [str(executable), "--version"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={**os.environ, **(env or {})},
    )
    if proc.returncode != 0:
        raise DevstackError(f"{executable} --version failed: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout.strip()


def _resolve(pins: Mapping[str, str], log: Path, out: TextIO | None, *, stale: bool) -> dict[str, Resolution]:
    """The version of each pinned package to fetch; ``apt-get update`` first (as root) when the lists do
    not serve a pin, or when ``stale`` (a download from them failed)."""
    offered = served(list(pins))
    missing = [f"{n}={v}" for n, v in pins.items() if v not in offered[n]]
    why = f"the package lists do not serve {' '.join(missing)}" if missing else ""
    if stale:
        why = "a download failed: the package lists may be stale"
    if why:
        with log.open("a") as f:
            f.write(f"# {why}\n")
    if why and os.geteuid() == 0:
        _say(out, f"  … apt-get update: {why}")
        apt = require_tool("apt-get", "Debian's chromium is fetched with apt-get")
        _run([apt, "update"], cwd=Path("/"), log=log, what="apt-get update", env=APT_ENV)
        offered = served(list(pins))
    candidate = candidates(list(pins))
    chosen = {
        name: choose_version(name, version, offered[name], candidate[name], dpkg_newer)
        for name, version in pins.items()
    }
    for res in (r for r in chosen.values() if r.fell_back):
        note = (
            f"{res.package} {res.pinned} (pinned) is no longer served by Debian; using {res.version} "
            "instead — bump the pin in jingwu_devstack/chromium.py"
        )
        _say(out, f"  ! {note}")
        with log.open("a") as f:
            f.write(f"# {note}\n")
    return chosen


@dataclass(frozen=True)
class _Downloaded:
    chosen: dict[str, Resolution]
    new: dict[str, str]  # every package downloaded → version
    upgrades: dict[str, tuple[str, str]]  # installed packages apt would upgrade → (installed, wanted)
    partial: Path  # <entry>.partial, with the .deb files in debs/


def _download(pins: Mapping[str, str], log: Path, out: TextIO | None, apt: str) -> _Downloaded:
    """The pins and what the machine lacks of their dependencies, downloaded; once more after
    ``apt-get update`` when a download fails (the lists name a build the archive has replaced)."""
    for attempt in (1, 2):
        chosen = _resolve(pins, log, out, stale=attempt == 2)
        wanted = [f"{res.package}={res.version}" for res in chosen.values()]
        simulated = _run(
            [apt, "install", "--simulate", "--no-install-recommends", *apt_options(), *wanted],
            cwd=Path("/"), log=log, what="computing the packages chromium needs", env=APT_ENV,
        )  # fmt: skip
        new, upgrades = parse_simulation(simulated.stdout.decode(errors="replace"))
        for res in chosen.values():  # unpacked even when the machine has them installed, at any version
            upgrades.pop(res.package, None)
            new[res.package] = res.version
        version = chosen["chromium"].version
        partial = _entry(version).with_name(f"chromium-{version}.partial")
        _force_rmtree(partial)
        (partial / "debs").mkdir(parents=True)
        _say(out, f"  … downloading {len(new)} Debian packages for chromium {version}")
        try:
            _run(
                [apt, "download", *apt_options(), *(f"{n}={v}" for n, v in sorted(new.items()))],
                cwd=partial / "debs", log=log, what=f"apt-get download chromium {version}", env=APT_ENV,
            )  # fmt: skip
        except DevstackError:
            if attempt == 2 or os.geteuid() != 0:
                raise
            continue
        return _Downloaded(chosen, new, upgrades, partial)
    raise AssertionError("unreachable")


def _build(pins: Mapping[str, str], log: Path, out: TextIO | None) -> Path:
    apt = require_tool("apt-get", "Debian's chromium is fetched with apt-get (this needs Debian)")
    dpkg_deb = require_tool("dpkg-deb", "Debian's chromium is unpacked with dpkg-deb")
    downloaded = _download(pins, log, out, apt)
    chosen, new, upgrades = downloaded.chosen, downloaded.new, downloaded.upgrades
    partial = downloaded.partial
    if upgrades:
        with log.open("a") as f:
            f.write(
                "# installed packages apt would upgrade (not unpacked): "
                + ", ".join(f"{n} {old} -> {v}" for n, (old, v) in sorted(upgrades.items()))
                + "\n"
            )
    version = chosen["chromium"].version
    entry = _entry(version)
    debs = partial / "debs"
    root = partial / "root"
    root.mkdir()
    packages = []
    for deb in sorted(debs.glob("*.deb")):
        fields = subprocess.run(
            [dpkg_deb, "--show", "--showformat=${Package}\t${Version}", str(deb)],
            capture_output=True, text=True, check=True,
        ).stdout.split("\t")  # fmt: skip
        packages.append(
            {
                "package": fields[0],
                "version": fields[1],
                "file": deb.name,
                "sha256": hashlib.sha256(deb.read_bytes()).hexdigest(),
            }
        )
        _run([dpkg_deb, "-x", str(deb), str(root)], cwd=partial, log=log, what=f"unpacking {deb.name}")
    unpacked = {p["package"]: p["version"] for p in packages}
    if unpacked != new:
        raise DevstackError(
            f"apt-get download brought {sorted(unpacked.items())}, expected {sorted(new.items())}; "
            f"see {display_path(log)}"
        )
    _force_rmtree(debs)
    resolved_versions = {res.package: res.version for res in chosen.values()}
    manifest = {
        "pinned": dict(pins),
        "resolved": resolved_versions,
        "packages": packages,
        "upgrades_not_unpacked": {n: list(v) for n, v in upgrades.items()},
        "library_dirs": _library_dirs(root),
        "fetched_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    (partial / "packages.json").write_text(json.dumps(manifest, indent=2) + "\n")
    install = _install(partial, pinned=pins["chromium"], cached=False, seconds=0.0)
    said = chromium_version(install.executable, install.env)
    with log.open("a") as f:
        f.write(f"# {install.executable} --version: {said}\n")
    if not said.startswith(f"Chromium {upstream_version(version)}"):
        raise DevstackError(
            f"the unpacked chromium says {said!r}, expected {version}; see {display_path(log)}"
        )
    _force_rmtree(entry)
    partial.rename(entry)
    (entry / "fonts.conf").unlink()  # rewritten by _install with the entry's final path
    inputs = _inputs(pins)
    _write_marker(entry / ".complete.json", inputs, version)
    resolved = cache_dir() / RESOLVED
    resolved.write_text(
        json.dumps({"inputs": inputs, **resolved_versions, "pinned": dict(pins)}, indent=2) + "\n"
    )
    return entry


def ensure_chromium(out: TextIO | None = None, *, pins: Mapping[str, str] = PINS) -> ChromiumInstall:
    """Chromium unpacked in the cache (fetched first when the cache lacks it), and how to run it."""
    t0 = time.monotonic()
    entry = _ready(pins)
    if entry is not None:
        return _install(entry, pinned=pins["chromium"], cached=True, seconds=time.monotonic() - t0)
    require_tool("apt-get", "Debian's chromium is fetched with apt-get (this needs Debian)")
    with _locked("chromium", out):
        entry = _ready(pins)  # another session may have fetched it while we waited
        if entry is not None:
            return _install(entry, pinned=pins["chromium"], cached=True, seconds=time.monotonic() - t0)
        log = _log_path("chromium")
        log.write_text(
            f"# devstack fetch chromium {pins['chromium']} at {time.strftime('%Y-%m-%d %H:%M:%S')}\n"
        )
        _say(out, f"  … fetching chromium {pins['chromium']} (log: {display_path(log)})")
        entry = _build(pins, log, out)
    return _install(entry, pinned=pins["chromium"], cached=False, seconds=time.monotonic() - t0)


def main() -> int:
    try:
        install = ensure_chromium(sys.stdout)
    except DevstackError as exc:
        sys.stderr.write(f"devstack: {exc}\n")
        return 1
    how = "cached" if install.cached else f"fetched in {install.seconds:.1f} s"
    pin = f" (pinned {install.pinned})" if install.fell_back else ""
    _say(sys.stdout, f"  ✓ chromium  {install.version}{pin}  {display_path(install.executable)}  ({how})")
    for name, value in install.env.items():
        _say(sys.stdout, f"    {name}={value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
