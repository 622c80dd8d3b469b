"""Fetch and build the pinned local tools into the cache, once.

- kafka (version in ``services/devstack/kafka/pom.xml``): ``mvn dependency:copy-dependencies`` on that
  pom -> ``<cache>/kafka-<v>/libs/*.jar``.
- ferretdb (version in ``services/devstack/ferretdb/go.mod``): ``go build`` of the launcher in that folder,
  with the project's patch of FerretDB's SQLite backend (``jingwu_devstack.ferretdb_patch``)
  -> ``<cache>/bin/ferretdb-<v>``.
- buf (``BUF_VERSION``): ``go install github.com/bufbuild/buf/cmd/buf@<v>`` -> ``<cache>/bin/buf-<v>``, and
  the stable link ``<cache>/bin/buf``.
- helm (version in ``services/devstack/kube/helm/go.mod``): see ``jingwu_devstack.helm`` ->
  ``<cache>/bin/helm-<v>`` and the stable link ``<cache>/bin/helm``.

An entry counts only with its completion marker (``.complete.json`` holding a digest of the inputs: pom
or go.mod/go.sum, version, recipe), written after the build succeeded and the result was checked; so an
interrupted fetch is redone, an edited pom or go.mod triggers a rebuild, and a complete entry is reused
after a few stat calls. Builds run under a file lock (two terminals or test sessions never build the same
thing twice at once) and log to ``<cache>/logs/fetch-<component>.log``; a failure raises DevstackError
with the log's tail and path.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from jingwu_devstack import ferretdb_patch
from jingwu_devstack.errors import DevstackError
from jingwu_devstack.paths import cache_dir, display_path, repo_root

COMPONENTS = ("kafka", "ferretdb", "buf", "helm")
KAFKA_POM = Path("services/devstack/kafka/pom.xml")
FERRETDB_MODULE = Path("services/devstack/ferretdb")
FERRETDB_MODULE_PATH = "github.com/FerretDB/FerretDB"
BUF_VERSION = "v1.75.0"
BUF_PACKAGE = "github.com/bufbuild/buf/cmd/buf"
MIN_JAVA = 17
MIN_GO = (1, 24)
RECIPE = "1"  # bump when a build recipe changes, to rebuild existing cache entries


@dataclass(frozen=True)
class Fetched:
    """A ready cache entry: ``path`` is the kafka libs dir or the tool binary."""

    name: str
    version: str
    path: Path
    cached: bool
    seconds: float


# --------------------------------------------------------------------------------------------------
# prerequisites


def require_tool(name: str, hint: str) -> str:
    """Return the path of ``name`` on PATH or raise a one-line DevstackError naming it."""
    path = shutil.which(name)
    if path is None:
        raise DevstackError(f"{name} not found on PATH: {hint}")
    return path


def require_java() -> str:
    """Return the java executable after checking it is Java 17 or newer."""
    java = require_tool(
        "java", f"Kafka needs Java {MIN_JAVA}+ (e.g. apt-get install openjdk-17-jre-headless)"
    )
    proc = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)
    match = re.search(r'version "(\d+)(?:\.(\d+))?', proc.stderr + proc.stdout)
    if match is None:
        raise DevstackError(
            f"cannot tell the version of {java} (java -version said: {proc.stderr.strip()!r})"
        )
    major = int(match.group(1))
    if major == 1 and match.group(2):
        major = int(match.group(2))
    if major < MIN_JAVA:
        raise DevstackError(f"java {MIN_JAVA}+ required, but {java} is Java {major}")
    return java


def require_go() -> str:
    """Return the go executable after checking it is Go 1.24 or newer."""
    go = require_tool(
        "go", "building FerretDB and buf needs Go 1.24+ (https://go.dev/dl, or apt-get install golang)"
    )
    proc = subprocess.run([go, "env", "GOVERSION"], capture_output=True, text=True, check=False)
    match = re.match(r"go(\d+)\.(\d+)", proc.stdout.strip())
    if match is None or (int(match.group(1)), int(match.group(2))) < MIN_GO:
        found = proc.stdout.strip() or proc.stderr.strip()
        raise DevstackError(f"go {MIN_GO[0]}.{MIN_GO[1]}+ required, but {go} is {found!r}")
    return go


# --------------------------------------------------------------------------------------------------
# versions pinned in the repository


def kafka_version() -> str:
    """The Kafka version pinned in the pom (``<kafka.version>``)."""
    match = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", (repo_root() / KAFKA_POM).read_text())
    if match is None:
        raise DevstackError(f"no <kafka.version> in {repo_root() / KAFKA_POM}")
    return match.group(1).strip()


def ferretdb_version() -> str:
    """The FerretDB version required by the wrapper module's go.mod."""
    gomod = repo_root() / FERRETDB_MODULE / "go.mod"
    pattern = rf"^\s*(?:require\s+)?{re.escape(FERRETDB_MODULE_PATH)}\s+(v\S+)"
    match = re.search(pattern, gomod.read_text(), re.MULTILINE)
    if match is None:
        raise DevstackError(f"no {FERRETDB_MODULE_PATH} requirement in {gomod}")
    return match.group(1)


# --------------------------------------------------------------------------------------------------
# cache entry helpers


def _digest(files: Sequence[Path], *extra: str) -> str:
    h = hashlib.sha256(RECIPE.encode())
    for item in extra:
        h.update(b"\0" + item.encode())
    for path in files:
        h.update(b"\0" + path.read_bytes())
    return h.hexdigest()


def _is_complete(marker: Path, inputs: str, *required: Path) -> bool:
    try:
        data = json.loads(marker.read_text())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("inputs") == inputs and all(p.exists() for p in required)


def _write_marker(marker: Path, inputs: str, version: str) -> None:
    tmp = marker.with_name(marker.name + ".tmp")
    tmp.write_text(json.dumps({"inputs": inputs, "version": version, "completed_at": time.time()}) + "\n")
    os.replace(tmp, marker)


def _force_rmtree(path: Path) -> None:
    """Remove ``path`` even if it holds read-only folders (as copies from Go's module cache do)."""
    if not path.exists() and not path.is_symlink():
        return
    if path.is_file() or path.is_symlink():
        path.unlink()
        return
    for dirpath, _dirnames, _files in os.walk(path):
        os.chmod(dirpath, stat.S_IRWXU)
    shutil.rmtree(path)


@contextlib.contextmanager
def _locked(name: str, out: TextIO | None) -> Iterator[None]:
    lock_dir = cache_dir() / "locks"
    lock_dir.mkdir(parents=True, exist_ok=True)
    with (lock_dir / f"{name}.lock").open("w") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            _say(out, f"  … waiting for another devstack fetching {name}")
            fcntl.flock(f, fcntl.LOCK_EX)
        yield


def _say(out: TextIO | None, line: str) -> None:
    if out is not None:
        out.write(line + "\n")
        out.flush()


def _log_path(name: str) -> Path:
    path = cache_dir() / "logs" / f"fetch-{name}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "    (no log)"
    return "\n".join("    " + line for line in text.splitlines()[-lines:])


def _run(
    argv: Sequence[str], *, cwd: Path, log: Path, what: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run a build step appending its output to ``log``; raise DevstackError with the tail on failure."""
    with log.open("ab") as f:
        f.write(f"\n$ (cd {cwd} && {' '.join(argv)})\n".encode())
        f.flush()
        proc = subprocess.run(
            list(argv),
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=f,
            check=False,
        )
        f.write(proc.stdout)
    if proc.returncode != 0:
        raise DevstackError(
            f"{what} failed ({Path(argv[0]).name} exited with {proc.returncode}); last lines of the log:\n"
            f"{_tail(log)}\nfull log: {display_path(log)}"
        )
    return proc


def _ensure(
    *,
    name: str,
    version: str,
    result: Path,
    marker: Path,
    inputs: str,
    build: Callable[[Path], None],
    prerequisites: Callable[[], object],
    out: TextIO | None,
) -> Fetched:
    t0 = time.monotonic()
    if _is_complete(marker, inputs, result):
        return Fetched(name, version, result, cached=True, seconds=time.monotonic() - t0)
    prerequisites()
    with _locked(name, out):
        if _is_complete(marker, inputs, result):  # another process finished it while we waited
            return Fetched(name, version, result, cached=True, seconds=time.monotonic() - t0)
        log = _log_path(name)
        log.write_text(f"# devstack fetch {name} {version} at {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        _say(out, f"  … fetching {name} {version} (log: {display_path(log)})")
        build(log)
        _write_marker(marker, inputs, version)
    return Fetched(name, version, result, cached=False, seconds=time.monotonic() - t0)


# --------------------------------------------------------------------------------------------------
# components


def ensure_kafka(out: TextIO | None = None) -> Fetched:
    """Make sure the Kafka broker jars are cached; ``path`` is the ``libs`` folder for ``-cp '<libs>/*'``."""
    version = kafka_version()
    pom = repo_root() / KAFKA_POM
    entry = cache_dir() / f"kafka-{version}"
    marker = entry / ".complete.json"
    libs = entry / "libs"

    def build(log: Path) -> None:
        partial = entry.with_name(entry.name + ".partial")
        _force_rmtree(partial)
        partial.mkdir(parents=True)
        mvn = require_tool("mvn", "fetching Kafka needs Maven (apt-get install maven)")
        argv = [mvn, "-B", "--no-transfer-progress", "-Dstyle.color=never", "-f", str(pom)]
        argv += [
            "dependency:copy-dependencies",
            f"-DoutputDirectory={partial / 'libs'}",
            "-DincludeScope=runtime",
        ]
        _run(argv, cwd=pom.parent, log=log, what=f"fetching kafka {version}")
        if not (partial / "libs" / f"kafka_2.13-{version}.jar").is_file():
            raise DevstackError(
                f"mvn succeeded but kafka_2.13-{version}.jar is missing; see {display_path(log)}"
            )
        _force_rmtree(entry)
        partial.rename(entry)

    def prerequisites() -> None:
        require_java()
        require_tool("mvn", "fetching Kafka needs Maven (apt-get install maven)")

    return _ensure(
        name="kafka", version=version, result=libs, marker=marker, inputs=_digest([pom], version),
        build=build, prerequisites=prerequisites, out=out,
    )  # fmt: skip


def ensure_ferretdb(out: TextIO | None = None) -> Fetched:
    """Make sure the FerretDB launcher is built; ``path`` is ``<cache>/bin/ferretdb-<version>``.

    The binary is ``services/devstack/ferretdb/main.go``: FerretDB's embeddable package (the same wire
    protocol and SQLite backend code as ``cmd/ferretdb``) behind ``--listen-addr``, ``--data-dir`` and
    ``--log-level`` flags; see that file for why ``cmd/ferretdb`` itself is not used.
    """
    version = ferretdb_version()
    module = repo_root() / FERRETDB_MODULE
    bin_dir = cache_dir() / "bin"
    binary = bin_dir / f"ferretdb-{version}"
    marker = bin_dir / f".ferretdb-{version}.complete.json"

    def build(log: Path) -> None:
        go = require_go()
        bin_dir.mkdir(parents=True, exist_ok=True)
        partial = bin_dir / f"ferretdb-{version}.partial"
        what = f"building ferretdb {version}"
        # FerretDB's source, then the project's patch of it (jingwu_devstack.ferretdb_patch, ADR 0053).
        download = _run(
            [go, "mod", "download", "-json", f"{FERRETDB_MODULE_PATH}@{version}"],
            cwd=module,
            log=log,
            what=what,
        )
        work = cache_dir() / "build" / f"ferretdb-{version}-patched"
        work.mkdir(parents=True, exist_ok=True)
        upstream = Path(json.loads(download.stdout)["Dir"])
        source = ferretdb_patch.patched_source(upstream, repo_root(), work)
        alternate = ferretdb_patch.modfile(module, FERRETDB_MODULE_PATH, source, work)
        argv = [go, "build", "-trimpath", f"-modfile={alternate}", "-o", str(partial), "."]
        _run(argv, cwd=module, log=log, what=what)
        check = subprocess.run([str(partial), "-help"], capture_output=True, text=True, check=False)
        if "-data-dir" not in check.stderr + check.stdout:
            raise DevstackError(f"the built ferretdb launcher has no -data-dir flag; see {display_path(log)}")
        os.replace(partial, binary)

    files = [*sorted(module.glob("*.go")), module / "go.mod", module / "go.sum"]
    files += ferretdb_patch.overlay_files(repo_root())
    inputs = _digest(files, version, ferretdb_patch.fingerprint())
    return _ensure(
        name="ferretdb", version=version, result=binary, marker=marker, inputs=inputs,
        build=build, prerequisites=require_go, out=out,
    )  # fmt: skip


def ensure_buf(out: TextIO | None = None) -> Fetched:
    """Make sure buf is installed; ``path`` is the stable ``<cache>/bin/buf`` link to ``buf-<version>``."""
    bin_dir = cache_dir() / "bin"
    binary = bin_dir / f"buf-{BUF_VERSION}"
    marker = bin_dir / f".buf-{BUF_VERSION}.complete.json"
    link = bin_dir / "buf"

    def build(log: Path) -> None:
        go = require_go()
        gobin = cache_dir() / "build" / f"buf-{BUF_VERSION}"
        _force_rmtree(gobin)
        gobin.mkdir(parents=True)
        what = f"installing buf {BUF_VERSION}"
        _run(
            [go, "install", f"{BUF_PACKAGE}@{BUF_VERSION}"],
            cwd=gobin,
            log=log,
            what=what,
            env={"GOBIN": str(gobin)},
        )
        check = _run(
            [str(gobin / "buf"), "--version"], cwd=gobin, log=log, what=f"checking buf {BUF_VERSION}"
        )
        if check.stdout.decode().strip() != BUF_VERSION.removeprefix("v"):
            raise DevstackError(
                f"installed buf does not report version {BUF_VERSION}; see {display_path(log)}"
            )
        bin_dir.mkdir(parents=True, exist_ok=True)
        os.replace(gobin / "buf", binary)
        _force_rmtree(gobin)

    fetched = _ensure(
        name="buf", version=BUF_VERSION, result=binary, marker=marker, inputs=_digest([], BUF_VERSION),
        build=build, prerequisites=require_go, out=out,
    )  # fmt: skip
    if not (link.is_symlink() and os.readlink(link) == binary.name):
        tmp = bin_dir / f".buf-link-{os.getpid()}"
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(binary.name)
        os.replace(tmp, link)
    return Fetched(fetched.name, fetched.version, link, fetched.cached, fetched.seconds)


def ensure_helm(out: TextIO | None = None) -> Fetched:
    """Make sure helm is built; ``path`` is the ``<cache>/bin/helm`` link (see ``jingwu_devstack.helm``)."""
    from jingwu_devstack import helm  # helm.py builds on this module's helpers

    return helm.ensure(out)


ENSURE: dict[str, Callable[[TextIO | None], Fetched]] = {
    "kafka": ensure_kafka,
    "ferretdb": ensure_ferretdb,
    "buf": ensure_buf,
    "helm": ensure_helm,
}


def fetch(names: Iterable[str], out: TextIO | None = None) -> list[Fetched]:
    """Ensure each named component (``kafka``, ``ferretdb``, ``buf``, ``helm``; ``all``: every one) in order.

    Prints one line per component to ``out``.
    """
    wanted: list[str] = []
    for name in names:
        for item in COMPONENTS if name == "all" else (name,):
            if item not in ENSURE:
                raise DevstackError(f"unknown component {item!r} (choose from {', '.join(COMPONENTS)}, all)")
            if item not in wanted:
                wanted.append(item)
    results = []
    for name in wanted:
        done = ENSURE[name](out)
        how = "cached" if done.cached else f"fetched in {done.seconds:.1f} s"
        _say(out, f"  ✓ {done.name:<9} {done.version:<9} {display_path(done.path)}  ({how})")
        results.append(done)
    return results
