"""Debian's Chromium from the cache (jingwu_devstack.chromium, docs/adr/0050): the pinning rule, and the
unpacked browser really starting and drawing Chinese, with nothing installed on the machine.

The first run on a machine fetches it (~20 s: 26 packages, 126 MB from deb.debian.org, unpacked to
400 MB); later runs reuse the cache entry.
"""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
from pathlib import Path

import pytest
from jingwu_devstack import chromium, debian
from jingwu_devstack.errors import DevstackError
from jingwu_devstack.paths import cache_dir

PAGE = """<!doctype html><html lang="zh-CN"><meta charset="utf-8"><body>
<p style="font: 32px sans-serif">警务巡逻 见警率</p><pre id="out">not run</pre>
<script>
  // Each character's ink as a bit string: with a CJK font 警 and 务 differ; without one both are the
  // same missing-glyph box (or nothing).
  function ink(ch) {
    const c = document.createElement("canvas");
    c.width = c.height = 48;
    const g = c.getContext("2d");
    g.font = "40px sans-serif";
    g.fillText(ch, 4, 40);
    const d = g.getImageData(0, 0, 48, 48).data;
    let bits = "";
    for (let i = 3; i < d.length; i += 4) bits += d[i] > 127 ? "1" : "0";
    return bits;
  }
  const a = ink("警"), b = ink("务");
  document.getElementById("out").textContent = JSON.stringify({
    distinct: a !== b, inked: a.includes("1") && b.includes("1"),
  });
</script></body></html>
"""


def _status(*packages: str) -> dict[str, str]:
    proc = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Package}\t${db:Status-Status}\n", *packages],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    found = dict(line.split("\t", 1) for line in proc.stdout.splitlines() if "\t" in line)
    return {name: found.get(name, "not-installed") or "not-installed" for name in packages}


@pytest.fixture(scope="module")
def before() -> dict[str, str]:
    """What dpkg says about the pinned packages before the cache is ensured."""
    return _status(*chromium.PINS)


@pytest.fixture(scope="module")
def install(before: dict[str, str]) -> chromium.ChromiumInstall:
    return chromium.ensure_chromium()


def _run(
    install: chromium.ChromiumInstall, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(install.executable), *chromium.LAUNCH_FLAGS, *args],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, **(install.env if env is None else env)},
    )  # fmt: skip


def _dump(
    install: chromium.ChromiumInstall, page: Path, env: dict[str, str] | None = None
) -> dict[str, bool]:
    proc = _run(install, "--dump-dom", page.as_uri(), env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    start = proc.stdout.index('<pre id="out">') + len('<pre id="out">')
    result: dict[str, bool] = json.loads(proc.stdout[start : proc.stdout.index("</pre>", start)])
    return result


def test_the_pin_wins_while_debian_serves_it() -> None:
    chosen = debian.choose_version(
        "chromium", "156.0-1", ["157.0-1", "156.0-1"], "157.0-1", debian.dpkg_newer
    )
    assert (chosen.version, chosen.fell_back) == ("156.0-1", False)


def test_a_newer_security_build_replaces_a_pin_debian_no_longer_serves() -> None:
    chosen = debian.choose_version(
        "chromium", "156.0.8078.114-1~deb12u1", ["157.0.1-1~deb12u1", "150.0-1~deb12u1"],
        "157.0.1-1~deb12u1", debian.dpkg_newer,
    )  # fmt: skip
    assert (chosen.version, chosen.fell_back) == ("157.0.1-1~deb12u1", True)


@pytest.mark.parametrize("candidate", ["150.0-1~deb12u1", None])
def test_an_older_or_missing_candidate_is_an_error_naming_the_pin(candidate: str | None) -> None:
    with pytest.raises(DevstackError, match=r"do not serve chromium 156\.0-1 \(the pin"):
        debian.choose_version("chromium", "156.0-1", ["150.0-1~deb12u1"], candidate, debian.dpkg_newer)


def test_a_pin_the_lists_no_longer_serve_is_fetched_as_the_newer_build_and_said(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    newer = "157.0.1-1~deb12u1"
    monkeypatch.setattr(chromium, "served", lambda names: {n: [newer] for n in names})
    monkeypatch.setattr(chromium, "candidates", lambda names: dict.fromkeys(names, newer))
    monkeypatch.setattr(os, "geteuid", lambda: 1000)  # not root: no apt-get update
    log = tmp_path / "fetch-chromium.log"
    log.write_text("")
    out = io.StringIO()
    chosen = chromium._resolve({"chromium": "156.0-1~deb12u1"}, log, out, stale=False)
    assert chosen["chromium"].version == newer and chosen["chromium"].fell_back
    said = "chromium 156.0-1~deb12u1 (pinned) is no longer served by Debian; using 157.0.1-1~deb12u1"
    assert said in out.getvalue() and said in log.read_text()
    assert "do not serve chromium=156.0-1~deb12u1" in log.read_text()


def test_apt_simulation_lines_split_new_packages_from_upgrades() -> None:
    new, upgrades = debian.parse_simulation(
        "NOTE: This is only a simulation!\n"
        "Inst libopus0 (1.3.1-3 Debian:12.15/oldstable [amd64])\n"
        "Inst libnss3 [2:3.87.1-1] (2:3.87.1-1+deb12u1 Debian-Security:12/oldstable-security [amd64])\n"
        "Conf libopus0 (1.3.1-3 Debian:12.15/oldstable [amd64])\n"
    )
    assert new == {"libopus0": "1.3.1-3"}
    assert upgrades == {"libnss3": ("2:3.87.1-1", "2:3.87.1-1+deb12u1")}


def test_the_cached_chromium_starts_and_is_the_pinned_build(install: chromium.ChromiumInstall) -> None:
    assert install.executable.is_relative_to(cache_dir())
    assert install.executable == install.root / "usr/lib/chromium/chromium"
    said = chromium.chromium_version(install.executable, install.env)
    assert said.startswith(f"Chromium {debian.upstream_version(install.version)}"), said
    if install.fell_back:  # Debian replaced the pin: only ever by a newer build, and it is recorded
        assert debian.dpkg_newer(install.version, install.pinned)
    recorded = json.loads((cache_dir() / chromium.RESOLVED).read_text())
    assert recorded["chromium"] == install.version
    manifest = json.loads((install.root.parent / "packages.json").read_text())
    assert manifest["resolved"]["chromium"] == install.version
    assert {p["package"] for p in manifest["packages"]} >= set(chromium.PINS)


def test_a_second_ensure_reuses_the_cache_in_well_under_a_second(install: chromium.ChromiumInstall) -> None:
    again = chromium.ensure_chromium()
    assert again.cached and again.seconds < 0.5
    assert again.executable == install.executable and again.env == install.env


def test_nothing_is_installed_on_the_machine(
    install: chromium.ChromiumInstall, before: dict[str, str]
) -> None:
    assert _status(*chromium.PINS) == before  # dpkg's database is untouched
    assert "/usr/bin/chromium" not in json.dumps(install.env)
    manifest = json.loads((install.root.parent / "packages.json").read_text())
    unpacked = [p["package"] for p in manifest["packages"] if p["package"] not in chromium.PINS]
    # the closure holds only what the machine lacks
    assert all(state != "installed" for state in _status(*unpacked).values()), _status(*unpacked)


def test_the_cached_chromium_draws_chinese_with_the_unpacked_font(
    install: chromium.ChromiumInstall, tmp_path: Path
) -> None:
    page = tmp_path / "page.html"
    page.write_text(PAGE)
    assert _dump(install, page) == {"distinct": True, "inked": True}
    system_cjk = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=False)
    if system_cjk.returncode == 0 and not system_cjk.stdout.strip():
        # the control: without the cache's fontconfig file this machine has no CJK font, and the two
        # characters come out the same (the check above would fail without FONTCONFIG_FILE)
        without_font = {k: v for k, v in install.env.items() if k != "FONTCONFIG_FILE"}
        assert _dump(install, page, env=without_font)["distinct"] is False


def test_the_cached_chromium_takes_a_screenshot_of_chinese_text(
    install: chromium.ChromiumInstall, tmp_path: Path
) -> None:
    page = tmp_path / "page.html"
    page.write_text(PAGE)
    shot = tmp_path / "shot.png"
    proc = _run(install, f"--screenshot={shot}", "--window-size=480,120", page.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (480, 120)
    blank = tmp_path / "blank.html"
    blank.write_text('<!doctype html><meta charset="utf-8"><body></body>')
    empty = tmp_path / "empty.png"
    assert _run(install, f"--screenshot={empty}", "--window-size=480,120", blank.as_uri()).returncode == 0
    assert len(data) > len(empty.read_bytes()) + 1000  # the text is drawn, not a blank page
