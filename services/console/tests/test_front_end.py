"""The front end builds from its lock file, type-checks (``tsc --noEmit``) and lints clean, and what it
builds loads nothing from outside the console (it works offline)."""

from __future__ import annotations

import re
from pathlib import Path

from jingwu_console.build import WEB, build, is_fresh

# What a page could load from elsewhere, by kind of file: <script src>/<link href> in HTML, url() in CSS
# (fonts, images), a map style's glyphs or sprite, a worker or module imported from a URL in scripts.
# Links people may click (MapLibre's attribution) and licence texts are not loads. The browser tests
# check the real thing: every request a page made went to the console.
EXTERNAL = {
    ".html": re.compile(r"""(?:src|href)\s*=\s*["']?https?://"""),
    ".css": re.compile(r"""url\(\s*["']?https?://"""),
    ".js": re.compile(
        r"""(?:glyphs|sprite)["']?\s*:\s*["'`]https?://|(?:import|Worker|importScripts)\(\s*["'`]https?://"""
    ),
}
EXTERNAL[".mjs"] = EXTERNAL[".js"]


def test_the_front_end_builds_type_checks_and_lints() -> None:
    report = build(check=True)  # raises DevstackError with the tool's output on any failure
    assert (report.dist / "index.html").is_file()
    assert (report.dist / "resident" / "index.html").is_file()
    assert is_fresh(WEB)
    bundles = list((report.dist / "assets").glob("*.js")) + list((report.dist / "assets").glob("*.mjs"))
    assert any(p.name.startswith("maplibre-gl-worker") for p in bundles)  # the worker is served by us


def test_the_built_pages_load_nothing_from_outside() -> None:
    dist = build().dist
    offenders = [
        f"{path.relative_to(dist)}: {match.group(0)}"
        for path in sorted(dist.rglob("*"))
        if path.is_file() and path.suffix in EXTERNAL
        for match in EXTERNAL[path.suffix].finditer(path.read_text(errors="replace"))
    ]
    assert offenders == []


def test_the_map_style_has_only_geojson_sources_and_no_glyphs() -> None:
    source = (Path(WEB) / "src" / "console" / "views" / "mapstyle.ts").read_text()
    style = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("//"))
    assert '"glyphs"' not in style and "glyphs:" not in style and "sprite" not in style
    assert re.findall(r'type: "(raster|vector)"', style) == []
