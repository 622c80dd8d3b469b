"""JavaScript tools the project runs from npm, installed by its own script into the git-ignored cache
with the machine's ``npm`` — never globally, never from anywhere but the npm registry.

Each tool is a folder of the repository (``tools/<name>/``) with a pinned ``package.json`` and
``package-lock.json`` and the scripts that use it. ``ensure(name)`` copies them into
``.cache/npm/<name>-<digest>/`` and runs ``npm ci --ignore-scripts`` there (npm's own download cache in
``.cache/npm-cache``); the digest covers every file of the tool folder and node's major version, so a
changed pin installs afresh and an unchanged one is reused in milliseconds.

    python -m jingwu_devstack.npm_tools asyncapi                  install (or reuse) the AsyncAPI parser
    python -m jingwu_devstack.npm_tools asyncapi docs/asyncapi.yaml   … and validate a document with it
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from jingwu_devstack.errors import DevstackError
from jingwu_devstack.paths import cache_dir, repo_root

TOOLS = Path("tools")
LOCK_FILES = ("package.json", "package-lock.json")
MIN_NODE = 18


@dataclass(frozen=True)
class NpmTool:
    name: str
    path: Path  # the installed copy: scripts beside node_modules
    cached: bool
    seconds: float


def _node_major() -> int:
    node = shutil.which("node")
    if node is None:
        raise DevstackError(
            "node is required (Node.js >= 18, with npm): install it with the system's packages"
        )
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    major = int(version.lstrip("v").split(".")[0])
    if major < MIN_NODE:
        raise DevstackError(f"node {version} is too old: the npm tools need Node.js >= {MIN_NODE}")
    return major


def _sources(name: str) -> list[Path]:
    folder = repo_root() / TOOLS / name
    missing = [f for f in LOCK_FILES if not (folder / f).is_file()]
    if missing:
        raise DevstackError(f"{folder}: no {', '.join(missing)} (a tool pins its packages with both)")
    return sorted(p for p in folder.iterdir() if p.is_file())


def _digest(files: Sequence[Path], node_major: int) -> str:
    h = hashlib.sha256(f"node{node_major}".encode())
    for path in files:
        h.update(b"\0" + path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


@contextlib.contextmanager
def _locked(name: str) -> Iterator[None]:
    lock_dir = cache_dir() / "locks"
    lock_dir.mkdir(parents=True, exist_ok=True)
    with (lock_dir / f"npm-{name}.lock").open("w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


def ensure(name: str, out: object | None = None) -> NpmTool:
    """The installed tool ``name`` (``tools/<name>/``), installing it first when its pins changed."""
    started = time.monotonic()
    node_major = _node_major()
    files = _sources(name)
    digest = _digest(files, node_major)
    entry = cache_dir() / "npm" / f"{name}-{digest}"
    marker = entry / ".complete.json"
    if marker.is_file():
        return NpmTool(name, entry, cached=True, seconds=time.monotonic() - started)
    npm = shutil.which("npm")
    if npm is None:
        raise DevstackError("npm is required to install the project's JavaScript tools")
    with _locked(name):
        if marker.is_file():  # another process installed it while we waited
            return NpmTool(name, entry, cached=True, seconds=time.monotonic() - started)
        staging = entry.with_name(entry.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        for path in files:
            shutil.copy2(path, staging / path.name)
        log = cache_dir() / "logs" / f"npm-{name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "npm_config_cache": str(cache_dir() / "npm-cache"),
            "npm_config_update_notifier": "false",
        }
        with log.open("w") as sink:
            proc = subprocess.run(
                [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--omit=dev"],
                cwd=staging,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                check=False,
            )
        if proc.returncode != 0:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
            raise DevstackError(
                f"npm ci for tools/{name} failed ({proc.returncode}):\n{tail}\nfull log: {log}"
            )
        shutil.rmtree(entry, ignore_errors=True)
        staging.rename(entry)
        marker.write_text(json.dumps({"digest": digest, "completed_at": time.time()}) + "\n")
    return NpmTool(name, entry, cached=False, seconds=time.monotonic() - started)


@dataclass(frozen=True)
class Validation:
    valid: bool
    asyncapi: str | None
    diagnostics: list[dict[str, str]]
    stderr: str

    def errors(self) -> list[dict[str, str]]:
        return [d for d in self.diagnostics if d.get("severity") == "error"]


def validate_asyncapi(document: Path) -> Validation:
    """Parse ``document`` with the official AsyncAPI parser (installed on first use)."""
    tool = ensure("asyncapi")
    node = shutil.which("node") or "node"
    proc = subprocess.run(
        [node, str(tool.path / "validate.mjs"), str(document.resolve())],
        cwd=tool.path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if proc.returncode not in (0, 1):
        raise DevstackError(
            f"the AsyncAPI validator could not run ({proc.returncode}): {proc.stderr.strip()}"
        )
    report = json.loads(proc.stdout)
    return Validation(bool(report["valid"]), report.get("asyncapi"), list(report["diagnostics"]), proc.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jingwu_devstack.npm_tools")
    parser.add_argument("tool", choices=["asyncapi"])
    parser.add_argument("document", nargs="?", type=Path, help="an AsyncAPI document to validate")
    args = parser.parse_args(argv)
    try:
        tool = ensure(args.tool)
        sys.stdout.write(
            f"{tool.name}: {tool.path} ({'cached' if tool.cached else 'installed'}, {tool.seconds:.1f}s)\n"
        )
        if args.document is None:
            return 0
        result = validate_asyncapi(args.document)
    except DevstackError as error:
        sys.stderr.write(f"npm_tools: {error}\n")
        return 2
    for diagnostic in result.diagnostics:
        sys.stdout.write(f"  {diagnostic['severity']}: {diagnostic['message']} ({diagnostic['path']})\n")
    sys.stdout.write(
        f"{args.document}: AsyncAPI {result.asyncapi}, {'valid' if result.valid else 'INVALID'}\n"
    )
    return 0 if result.valid else 1


# --------------------------------------------------------------------------------------------------
# npm projects: folders of the repository with their own package.json + package-lock.json whose
# scripts build something (the web console's front end, services/console/web). Unlike a tool, a project
# needs its dev dependencies (Vite, TypeScript, ESLint) and runs in its own folder, so ``node_modules``
# is installed into the cache as for a tool and linked into the project; an edited lock file gives a new
# cache entry and the link moves to it. Scripts run with ``npm run`` and log to .cache/logs.


@dataclass(frozen=True)
class NpmProject:
    """A project ready to run its scripts: ``node_modules`` links to the cache ``entry``."""

    path: Path
    node_modules: Path
    entry: Path
    cached: bool
    seconds: float


def _project_slug(project: Path) -> str:
    try:
        relative = project.resolve().relative_to(repo_root())
    except ValueError:
        relative = Path(project.resolve().name)
    return "-".join(part for part in relative.parts if part) or "project"


def _link_node_modules(link: Path, target: Path) -> None:
    if link.is_symlink() and Path(os.readlink(link)) == target:
        return
    if link.is_symlink() or link.is_file():
        link.unlink()
    elif link.exists():
        shutil.rmtree(link)  # a node_modules someone installed by hand
    tmp = link.with_name(f"{link.name}.tmp-{os.getpid()}")
    if tmp.is_symlink():
        tmp.unlink()
    tmp.symlink_to(target, target_is_directory=True)
    tmp.replace(link)


def _npm_env() -> dict[str, str]:
    return {
        **os.environ,
        "npm_config_cache": str(cache_dir() / "npm-cache"),
        "npm_config_update_notifier": "false",
        "npm_config_fund": "false",
        "npm_config_audit": "false",
    }


def ensure_project(project: Path) -> NpmProject:
    """``npm ci`` of ``project``'s lock file (dev dependencies included) into the cache, once per lock
    file and Node.js major version, and ``<project>/node_modules`` linked to it."""
    started = time.monotonic()
    project = project.resolve()
    files = [project / f for f in LOCK_FILES]
    missing = [f.name for f in files if not f.is_file()]
    if missing:
        raise DevstackError(f"{project}: no {', '.join(missing)} (a project pins its packages with both)")
    slug = _project_slug(project)
    entry = cache_dir() / "npm" / f"{slug}-{_digest(files, _node_major())}"
    marker = entry / ".complete.json"
    cached = marker.is_file()
    if not cached:
        npm = shutil.which("npm")
        if npm is None:
            raise DevstackError("npm is required to install the project's JavaScript packages")
        with _locked(slug):
            cached = marker.is_file()  # another process installed it while we waited
            if not cached:
                _install_project(entry, files, npm, slug)
                marker.write_text(json.dumps({"completed_at": time.time()}) + "\n")
    link = project / "node_modules"
    _link_node_modules(link, entry / "node_modules")
    return NpmProject(project, link, entry, cached=cached, seconds=time.monotonic() - started)


def _install_project(entry: Path, files: Sequence[Path], npm: str, slug: str) -> None:
    staging = entry.with_name(entry.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for path in files:
        shutil.copy2(path, staging / path.name)
    log = cache_dir() / "logs" / f"npm-{slug}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as sink:
        proc = subprocess.run(
            [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
            cwd=staging,
            env=_npm_env(),
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if proc.returncode != 0:
        raise DevstackError(f"npm ci for {slug} failed ({proc.returncode}):\n{_tail(log)}\nfull log: {log}")
    shutil.rmtree(entry, ignore_errors=True)
    staging.rename(entry)


def _tail(log: Path, lines: int = 40) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def script_log(project: Path, script: str) -> Path:
    """Where ``run_script`` writes the output of ``npm run <script>`` in ``project``."""
    return cache_dir() / "logs" / f"npm-{_project_slug(project)}-{script}.log"


def run_script(project: Path, script: str, *, args: Sequence[str] = (), timeout_s: float = 600) -> float:
    """``npm run <script> [-- args]`` in an installed project; the seconds it took. DevstackError with
    the log's tail when it fails."""
    started = time.monotonic()
    npm = shutil.which("npm")
    if npm is None:
        raise DevstackError("npm is required to run the project's scripts")
    log = script_log(project, script)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as sink:
        proc = subprocess.run(
            [npm, "run", "--silent", script, *(["--", *args] if args else [])],
            cwd=project.resolve(),
            env=_npm_env(),
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            timeout=timeout_s,
            check=False,
        )
    if proc.returncode != 0:
        raise DevstackError(
            f"npm run {script} in {_project_slug(project)} failed ({proc.returncode}):\n{_tail(log)}\n"
            f"full log: {log}"
        )
    return time.monotonic() - started


if __name__ == "__main__":
    raise SystemExit(main())
