"""The pinned Helm CLI, built from the Go module proxy, and a thin way to run it.

- version: ``HELM_VERSION`` (must match ``services/devstack/kube/helm/go.mod``, checked before building).
- build: ``go build`` of ``helm.sh/helm/v4/cmd/helm`` inside the wrapper module
  ``services/devstack/kube/helm`` (its committed go.mod + go.sum pin every dependency), with the
  version stamps upstream's Makefile sets, ``CGO_ENABLED=0 GOTOOLCHAIN=local -mod=readonly``.
- cache: ``<cache>/bin/helm-<version>`` + ``<cache>/bin/.helm-<version>.complete.json`` (written only after
  the built binary reported the expected version), and the stable link ``<cache>/bin/helm``. The marker
  holds a digest of go.mod, go.sum and the build flags: editing the pins triggers a rebuild.
- state: Helm's own config/cache/data folders are pointed below ``<cache>/helm/`` by ``helm_env()``,
  so running it never reads or writes ``~/.config/helm`` and never needs a repository index.

``ensure_helm() -> Path`` is the API; ``devstack fetch helm`` (and ``fetch all``) call ``ensure``.
Cost on the project machine (2 cores): ~3 min from an empty module cache, ~0.1 s when cached.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

from jingwu_devstack.errors import DevstackError
from jingwu_devstack.fetch import Fetched, _digest, _ensure, _force_rmtree, _run, require_go
from jingwu_devstack.paths import cache_dir, display_path, repo_root

HELM_VERSION = "v4.3.1"
HELM_MODULE = Path("services/devstack/kube/helm")
HELM_MODULE_PATH = "helm.sh/helm/v4"
HELM_PACKAGE = "helm.sh/helm/v4/cmd/helm"
MIN_GO = (1, 26)  # helm.sh/helm/v4 v4.3's go.mod says go 1.26.0


class HelmError(DevstackError):
    """Building or running helm failed."""


def _ldflags() -> list[str]:
    # What helm's Makefile stamps into a tagged release: `helm version` then says v4.3.1, not "v4.3".
    pkg = "helm.sh/helm/v4/internal/version"
    return [
        "-s",
        "-w",
        f"-X {pkg}.version={HELM_VERSION}",
        f"-X {pkg}.metadata=",
        f"-X {pkg}.gitTreeState=clean",
    ]


def _module_version() -> str:
    gomod = repo_root() / HELM_MODULE / "go.mod"
    match = re.search(rf"^\s*(?:require\s+)?{re.escape(HELM_MODULE_PATH)}\s+(v\S+)", gomod.read_text(), re.M)
    if match is None:
        raise HelmError(f"no {HELM_MODULE_PATH} requirement in {gomod}")
    return match.group(1)


def _require_go() -> str:
    go = require_go()
    proc = subprocess.run(
        [go, "env", "GOVERSION"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "GOTOOLCHAIN": "local"},
    )
    match = re.match(r"go(\d+)\.(\d+)", proc.stdout.strip())
    if match is None or (int(match.group(1)), int(match.group(2))) < MIN_GO:
        raise HelmError(
            f"building helm {HELM_VERSION} needs Go {MIN_GO[0]}.{MIN_GO[1]}+, "
            f"but {go} is {proc.stdout.strip()!r}"
        )
    return go


def ensure(out: TextIO | None = None) -> Fetched:
    """Build (or reuse) the pinned helm; ``path`` is the stable ``<cache>/bin/helm`` link."""
    module = repo_root() / HELM_MODULE
    pinned = _module_version()
    if pinned != HELM_VERSION:
        raise HelmError(
            f"{module / 'go.mod'} requires {HELM_MODULE_PATH} {pinned} but helm.py says {HELM_VERSION}; "
            "change both together"
        )
    bin_dir = cache_dir() / "bin"
    binary = bin_dir / f"helm-{HELM_VERSION}"
    marker = bin_dir / f".helm-{HELM_VERSION}.complete.json"
    link = bin_dir / "helm"
    ldflags = " ".join(_ldflags())

    def build(log: Path) -> None:
        go = _require_go()
        bin_dir.mkdir(parents=True, exist_ok=True)
        partial = bin_dir / f"helm-{HELM_VERSION}.partial"
        _force_rmtree(partial)
        env = {"CGO_ENABLED": "0", "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=readonly -buildvcs=false"}
        argv = [go, "build", "-trimpath", "-ldflags", ldflags, "-o", str(partial), HELM_PACKAGE]
        _run(argv, cwd=module, log=log, what=f"building helm {HELM_VERSION}", env=env)
        check = _run(
            [str(partial), "version", "--template", "{{.Version}}"],
            cwd=module, log=log, what=f"checking helm {HELM_VERSION}", env=_isolated_env(),
        )  # fmt: skip
        said = check.stdout.decode().strip()
        if said != HELM_VERSION:
            raise HelmError(f"the built helm reports {said!r}, not {HELM_VERSION}; see {display_path(log)}")
        os.replace(partial, binary)

    files = [module / "go.mod", module / "go.sum"]
    fetched = _ensure(
        name="helm", version=HELM_VERSION, result=binary, marker=marker,
        inputs=_digest(files, HELM_VERSION, HELM_PACKAGE, ldflags),
        build=build, prerequisites=_require_go, out=out,
    )  # fmt: skip
    if not (link.is_symlink() and os.readlink(link) == binary.name):
        tmp = bin_dir / f".helm-link-{os.getpid()}"
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(binary.name)
        os.replace(tmp, link)
    return Fetched(fetched.name, fetched.version, link, fetched.cached, fetched.seconds)


def ensure_helm(out: TextIO | None = None) -> Path:
    """Path of the pinned helm binary (``<cache>/bin/helm-<version>``), building it once if needed."""
    ensure(out)
    return cache_dir() / "bin" / f"helm-{HELM_VERSION}"


def _isolated_env() -> dict[str, str]:
    home = cache_dir() / "helm"
    return {
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_DATA_HOME": str(home / "data"),
    }


def helm_env(kubeconfig: Path | None = None) -> dict[str, str]:
    """Environment for running helm: the caller's, with Helm's folders below ``<cache>/helm``."""
    env = {**os.environ, **_isolated_env()}
    if kubeconfig is not None:
        env["KUBECONFIG"] = str(kubeconfig)
    return env


def run(
    args: Sequence[str], *, cwd: Path | None = None, kubeconfig: Path | None = None, timeout: float = 120.0
) -> subprocess.CompletedProcess[str]:
    """Run ``helm <args>`` (pinned binary, isolated folders) and return the finished process, unchecked."""
    return subprocess.run(
        [str(ensure_helm()), *args],
        cwd=cwd or repo_root(),
        env=helm_env(kubeconfig),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def template(
    chart: Path,
    *,
    release: str,
    namespace: str,
    values: Sequence[Path] = (),
    set_values: Mapping[str, str] | None = None,
    extra: Sequence[str] = (),
) -> str:
    """``helm template`` a local chart and return the manifests; HelmError with helm's stderr on failure."""
    args = ["template", release, str(chart), "--namespace", namespace]
    for path in values:
        args += ["--values", str(path)]
    for key, value in (set_values or {}).items():
        args += ["--set-string", f"{key}={value}"]
    proc = run([*args, *extra])
    if proc.returncode != 0:
        raise HelmError(f"helm template {chart} failed:\n{proc.stderr.strip()}")
    return proc.stdout
