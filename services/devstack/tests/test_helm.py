"""The pinned helm: built once from the Go module proxy through services/devstack/kube/helm, then reused.

The first run builds it (~2 min on 2 cores with an empty module cache); later runs find the marker.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

import pytest

try:
    from jingwu_devstack import fetch, helm
except ImportError:  # not installed into this environment: use the source tree next to the tests
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from jingwu_devstack import fetch, helm
from jingwu_devstack.paths import cache_dir, repo_root

pytestmark = [pytest.mark.timeout(1800)]


def test_pin_in_go_mod_matches_the_code() -> None:
    gomod = (repo_root() / helm.HELM_MODULE / "go.mod").read_text()
    assert re.search(
        rf"^\s*{re.escape(helm.HELM_MODULE_PATH)} {re.escape(helm.HELM_VERSION)}( // indirect)?$", gomod, re.M
    )
    assert f"tool {helm.HELM_PACKAGE}" in gomod
    assert (repo_root() / helm.HELM_MODULE / "go.sum").read_text().count(helm.HELM_MODULE_PATH) >= 2


def test_ensure_helm_builds_once_and_reports_its_version() -> None:
    binary = helm.ensure_helm()
    assert binary == cache_dir() / "bin" / f"helm-{helm.HELM_VERSION}"
    marker = json.loads((binary.parent / f".helm-{helm.HELM_VERSION}.complete.json").read_text())
    assert marker["version"] == helm.HELM_VERSION
    link = cache_dir() / "bin" / "helm"
    assert link.is_symlink() and link.resolve() == binary.resolve()

    started = time.monotonic()
    again = helm.ensure(None)
    assert again.cached and time.monotonic() - started < 2.0

    proc = helm.run(["version", "--template", "{{.Version}} {{.KubeClientVersion}}"])
    assert proc.returncode == 0, proc.stderr
    version, client = proc.stdout.split()
    assert version == helm.HELM_VERSION and client.startswith("v1.")


def test_fetch_registry_knows_helm() -> None:
    assert "helm" in fetch.COMPONENTS
    (done,) = fetch.fetch(["helm"])
    assert done.name == "helm" and done.version == helm.HELM_VERSION and done.cached


def test_helm_state_stays_in_the_cache() -> None:
    env = helm.helm_env()
    for key in ("HELM_CONFIG_HOME", "HELM_CACHE_HOME", "HELM_DATA_HOME"):
        assert Path(env[key]).is_relative_to(cache_dir())


def test_template_error_is_clear() -> None:
    with pytest.raises(helm.HelmError, match="/district/code"):
        helm.template(
            repo_root() / "charts/jingwu-district",
            release="x",
            namespace="x",
            set_values={"district.code": "6"},
        )


def test_a_stale_pin_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(helm, "HELM_VERSION", "v4.0.0")
    with pytest.raises(helm.HelmError, match="change both together"):
        helm.ensure(None)
