"""A real etcd + kube-apiserver: objects are stored, validated and authorised server-side.

Builds the pinned binaries on first use (cold: several minutes, see services/devstack/kube/README.md;
warm: < 1 s), so the test carries its own long timeout. Select with `-m kube`.
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

try:
    from jingwu_devstack import kube
except ImportError:  # not installed into this environment: use the source tree next to the tests
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from jingwu_devstack import kube

pytestmark = [pytest.mark.kube, pytest.mark.timeout(3600)]


@pytest.fixture(scope="module")
def plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[kube.ControlPlane]:
    kube.fetch(quiet=True)  # outside `up`'s start-up timeout: a cold build takes minutes
    data_dir = tmp_path_factory.mktemp("kube")
    started = kube.up(data_dir, quiet=True)
    try:
        yield started
    finally:
        kube.down(data_dir)


def _group_members(pgid: int) -> list[str]:
    """Every process in process group pgid, zombies included, as "pid state"."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            found.append(f"{stat.parent.name} {fields[0]}")
    return found


def _namespace(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def _configmap(name: str, data: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


def test_version_and_readiness(plane: kube.ControlPlane) -> None:
    status, version = plane.request("GET", "/version")
    assert status == 200
    assert version["gitVersion"] == kube.KUBERNETES_VERSION
    assert plane.ready()
    info = kube.status(plane.data_dir)
    assert info["running"] and info["ready"]
    assert plane.kubeconfig.is_file()


def test_objects_are_stored_validated_and_dry_run(plane: kube.ControlPlane) -> None:
    ns = f"jingwu-test-{uuid.uuid4().hex[:8]}"
    status, created = plane.request("POST", "/api/v1/namespaces", _namespace(ns))
    assert status == 201, created
    assert created["metadata"]["uid"]

    base = f"/api/v1/namespaces/{ns}/configmaps"
    status, body = plane.request("POST", base, _configmap("settings", {"region": "north"}))
    assert status == 201, body
    status, body = plane.request("GET", f"{base}/settings")
    assert status == 200
    assert body["data"] == {"region": "north"}
    assert body["metadata"]["namespace"] == ns

    # Server-side validation: a name that is not a DNS-1123 subdomain is rejected with a Status.
    status, body = plane.request("POST", base, _configmap("Not_A_Valid_Name", {}))
    assert status == 422, body
    assert body["kind"] == "Status"
    assert body["reason"] == "Invalid"
    assert any(cause["field"] == "metadata.name" for cause in body["details"]["causes"])

    # An object in a namespace that does not exist: NamespaceLifecycle admission is real too.
    status, body = plane.request("POST", "/api/v1/namespaces/no-such-ns/configmaps", _configmap("x", {}))
    assert status == 404, body

    # Server-side dry run: fully admitted and validated, returned, never persisted.
    status, body = plane.request("POST", f"{base}?dryRun=All", _configmap("dry", {"k": "v"}))
    assert status == 201, body
    assert body["metadata"]["name"] == "dry"
    status, _ = plane.request("GET", f"{base}/dry")
    assert status == 404
    status, body = plane.request("POST", f"{base}?dryRun=All", _configmap("Dry_Invalid", {}))
    assert status == 422, body

    status, listed = plane.request("GET", base)
    assert status == 200
    assert [item["metadata"]["name"] for item in listed["items"]] == ["settings"]


def test_rbac_is_evaluated(plane: kube.ControlPlane) -> None:
    ns = f"jingwu-rbac-{uuid.uuid4().hex[:8]}"
    assert plane.request("POST", "/api/v1/namespaces", _namespace(ns))[0] == 201
    as_jane = {"Impersonate-User": "jane"}
    path = f"/api/v1/namespaces/{ns}/configmaps"

    status, body = plane.request("GET", path, headers=as_jane)
    assert status == 403, body

    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": "cm-reader"},
        "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]}],
    }
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "jane-reads"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "cm-reader"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "jane"}],
    }
    rbac = f"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}"
    assert plane.request("POST", f"{rbac}/roles", role)[0] == 201
    assert plane.request("POST", f"{rbac}/rolebindings", binding)[0] == 201

    deadline = time.monotonic() + 10  # the authorizer reads RBAC through an informer cache
    while (status := plane.request("GET", path, headers=as_jane)[0]) != 200 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert status == 200
    status, body = plane.request("POST", path, _configmap("nope", {}), headers=as_jane)
    assert status == 403, body


def test_fetch_is_cached_and_stop_leaves_no_process(tmp_path: Path) -> None:
    started = time.monotonic()
    binaries = kube.fetch(quiet=True)
    assert time.monotonic() - started < 1.0
    assert binaries.kube_apiserver.name == f"kube-apiserver-{kube.KUBERNETES_VERSION}"
    assert binaries.etcd.name == f"etcd-{kube.ETCD_VERSION}"

    # A second, independent control plane on its own data dir; stop it and look for leftovers.
    second = kube.up(tmp_path / "kube", quiet=True)
    pids = (second.etcd_pid, second.apiserver_pid)
    assert kube.up(tmp_path / "kube", quiet=True) == second  # idempotent while it is up
    assert kube.down(tmp_path / "kube") is True
    for pid in pids:
        assert _group_members(pid) == [], f"process group {pid} still has members"
    assert kube.status(tmp_path / "kube")["running"] is False
    assert kube.down(tmp_path / "kube") is False
