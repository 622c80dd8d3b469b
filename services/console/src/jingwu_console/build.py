"""Build the console's front end from its lock file: ``jingwu-console build [--check]``.

``npm ci`` into the cache (``jingwu_devstack.npm_tools.ensure_project``), then ``vite build`` into
``services/console/web/dist``; ``--check`` also runs ``tsc --noEmit`` and ESLint. The build is skipped
when ``dist`` is newer than every source file and the lock file (a warm ``make run`` pays nothing).
Development tooling: it needs the repository and devstack, which a console image does not (the image
carries the built ``dist``).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

WEB = Path(__file__).resolve().parents[2] / "web"
SOURCES = (
    "src",
    "index.html",
    "resident",
    "vite.config.ts",
    "package-lock.json",
    "package.json",
    "tsconfig.json",
)


@dataclass(frozen=True)
class BuildReport:
    dist: Path
    install_s: float
    build_s: float
    check_s: float
    cached_install: bool
    skipped_build: bool


def _newest(paths: list[Path]) -> float:
    newest = 0.0
    for path in paths:
        if path.is_dir():
            for child in path.rglob("*"):
                if child.is_file():
                    newest = max(newest, child.stat().st_mtime)
        elif path.is_file():
            newest = max(newest, path.stat().st_mtime)
    return newest


def is_fresh(web: Path = WEB) -> bool:
    """dist/ was built after the last change to any source."""
    stamp = web / "dist" / "index.html"
    if not stamp.is_file() or not (web / "dist" / "resident" / "index.html").is_file():
        return False
    return stamp.stat().st_mtime >= _newest([web / s for s in SOURCES])


def build(
    *, check: bool = False, force: bool = False, out: TextIO | None = None, web: Path = WEB
) -> BuildReport:
    from jingwu_devstack.npm_tools import ensure_project, run_script

    if out is not None:
        out.write("  … console front end: npm ci (cached when warm)\n")
    project = ensure_project(web)
    skipped = not force and is_fresh(web)
    if not skipped and out is not None:
        out.write("  … console front end: vite build\n")
    build_s = 0.0 if skipped else run_script(web, "build")
    check_s = 0.0
    if check:
        t0 = time.monotonic()
        run_script(web, "typecheck")
        run_script(web, "lint")
        check_s = time.monotonic() - t0
    return BuildReport(web / "dist", project.seconds, build_s, check_s, project.cached, skipped)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="jingwu-console build", description=__doc__)
    parser.add_argument("--check", action="store_true", help="also run tsc --noEmit and ESLint")
    parser.add_argument("--force", action="store_true", help="build even when dist/ is up to date")
    args = parser.parse_args(argv)
    from jingwu_devstack.errors import DevstackError

    try:
        report = build(check=args.check, force=args.force, out=sys.stderr)
    except DevstackError as failed:
        print(f"error: {failed}", file=sys.stderr)  # noqa: T201 - a command-line tool
        return 1
    print(  # noqa: T201 - a command-line tool
        f"console front end: {report.dist} (npm ci {'cached' if report.cached_install else 'ran'} "
        f"{report.install_s:.1f}s, build {'up to date' if report.skipped_build else f'{report.build_s:.1f}s'}"
        + (f", checks {report.check_s:.1f}s" if args.check else "")
        + ")"
    )
    return 0
