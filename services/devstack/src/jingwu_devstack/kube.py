"""A real local Kubernetes control plane: etcd + kube-apiserver, no kubelet.

Every API object is real and validated (schema, admission, RBAC, webhooks, CRDs), but nothing
schedules or runs pods: there is no controller-manager, scheduler or kubelet. That is what the
operator and Helm chart tests need, in the style of controller-runtime's envtest.

Both binaries are built from the published Go modules through the wrapper modules in
``services/devstack/kube/{apiserver,etcd}`` (go.mod + go.sum pin every dependency), so the only
network access needed is the Go module proxy. See ``services/devstack/kube/README.md``.

Layout::

    <cache>/kube/bin/kube-apiserver-v1.37.2 (+ .ok marker)   cache: $JINGWU_CACHE_DIR or <repo>/.cache
    <cache>/kube/bin/etcd-v3.7.3 (+ .ok marker)
    <data>/pki/ etcd/ logs/ kubeconfig state.json            data: $JINGWU_DATA_DIR/kube or <repo>/.data/kube

CLI: ``python -m jingwu_devstack.kube {fetch,up,down,status,kubeconfig}``.

Processes run under ``jingwu_devstack.procs.Supervisor`` (own process group each, log file,
SIGTERM then SIGKILL of the whole group, records in ``<data>/procs``); ``up`` leaves them
running (``keep_running``) and ``down`` stops them, from this process or any later one.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from jingwu_devstack import paths
from jingwu_devstack.errors import DevstackError
from jingwu_devstack.procs import ProcessInfo, ProcessSpec, Supervisor, free_port, read_states

KUBERNETES_VERSION = "v1.37.2"
# Staging modules (k8s.io/api, ...) are published as v0.<minor>.<patch> of the same release.
KUBERNETES_BUILD_DATE = "2026-10-27T12:01:04Z"  # the release's module-proxy timestamp, for reproducibility
ETCD_VERSION = "v3.7.3"

SERVICE_CLUSTER_IP_RANGE = "10.0.0.0/24"
KUBERNETES_SERVICE_IP = "10.0.0.1"
SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local"
ADMIN_USER = "jingwu-admin"
ADMIN_GROUP = "system:masters"
CLUSTER_NAME = "jingwu-devstack"

DEFAULT_START_TIMEOUT = 120.0
DEFAULT_STOP_TIMEOUT = 15.0
_BUILD_TIMEOUT = 3600.0


class KubeError(DevstackError):
    """Building, starting or stopping the local control plane failed."""


def cache_dir() -> Path:
    """Where built binaries live: $JINGWU_CACHE_DIR/kube or <repo>/.cache/kube."""
    return paths.cache_dir() / "kube"


def default_data_dir() -> Path:
    """Where a control plane keeps its state: $JINGWU_DATA_DIR/kube or <repo>/.data/kube."""
    return paths.data_dir() / "kube"


# --------------------------------------------------------------------------------------------
# fetch: build the pinned binaries (cached, versioned, marker written only after success)
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Binaries:
    kube_apiserver: Path
    etcd: Path


@dataclasses.dataclass(frozen=True)
class _GoTool:
    name: str
    version: str
    module: str  # directory under services/devstack/kube
    package: str
    ldflags: tuple[str, ...]

    @property
    def filename(self) -> str:
        return f"{self.name}-{self.version}"


def _kube_version_ldflags() -> tuple[str, ...]:
    # What hack/lib/version.sh stamps into release builds: without it /version reports
    # v0.0.0-master and Helm `kubeVersion` constraints / client version checks misbehave.
    major, minor = KUBERNETES_VERSION.lstrip("v").split(".")[:2]
    values = {
        "gitVersion": KUBERNETES_VERSION,
        "gitMajor": major,
        "gitMinor": minor,
        "gitTreeState": "clean",
        "buildDate": KUBERNETES_BUILD_DATE,
    }
    flags = ["-s", "-w"]
    for pkg in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version"):
        flags += [f"-X {pkg}.{key}={value}" for key, value in values.items()]
    return tuple(flags)


APISERVER_TOOL = _GoTool(
    name="kube-apiserver",
    version=KUBERNETES_VERSION,
    module="apiserver",
    package="k8s.io/kubernetes/cmd/kube-apiserver",
    ldflags=_kube_version_ldflags(),
)
ETCD_TOOL = _GoTool(
    name="etcd",
    version=ETCD_VERSION,
    module="etcd",
    package="go.etcd.io/etcd/server/v3",
    ldflags=("-s", "-w"),
)


def _go_binary() -> str:
    """The go executable ($GO, else PATH, else /usr/local/go/bin/go), checked to be Go >= 1.26."""
    candidates = [os.environ.get("GO"), shutil.which("go"), "/usr/local/go/bin/go"]
    go = next((c for c in candidates if c and Path(c).is_file() and os.access(c, os.X_OK)), None)
    if go is None:
        raise KubeError("no Go toolchain found (set $GO or put `go` on PATH); Go >= 1.26 is required")
    proc = subprocess.run(
        [go, "env", "GOVERSION"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "GOTOOLCHAIN": "local"},
    )
    found = proc.stdout.strip()
    parts = found.removeprefix("go").split(".")
    if (
        len(parts) < 2
        or not (parts[0].isdigit() and parts[1].isdigit())
        or (int(parts[0]), int(parts[1])) < (1, 26)
    ):
        raise KubeError(
            f"Go >= 1.26 is required to build {KUBERNETES_VERSION} and etcd {ETCD_VERSION}; {go} is {found!r}"
        )
    return go


def _fingerprint(tool: _GoTool, module_dir: Path) -> str:
    digest = hashlib.sha256()
    for name in ("go.mod", "go.sum"):
        digest.update((module_dir / name).read_bytes())
    digest.update("\0".join((tool.package, *tool.ldflags)).encode())
    return digest.hexdigest()


def _marker_ok(binary: Path, fingerprint: str) -> bool:
    marker = binary.with_name(binary.name + ".ok")
    try:
        recorded = json.loads(marker.read_text())
    except (OSError, ValueError):
        return False
    return bool(recorded.get("fingerprint") == fingerprint and binary.is_file())


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _build(tool: _GoTool, *, quiet: bool) -> Path:
    module_dir = paths.repo_root() / "services/devstack/kube" / tool.module
    bin_dir = cache_dir() / "bin"
    binary = bin_dir / tool.filename
    fingerprint = _fingerprint(tool, module_dir)
    if _marker_ok(binary, fingerprint):
        return binary
    with _file_lock(cache_dir() / ".build.lock"):
        if _marker_ok(binary, fingerprint):  # built by someone else while we waited
            return binary
        bin_dir.mkdir(parents=True, exist_ok=True)
        for leftover in bin_dir.glob(f".{tool.filename}.tmp*"):  # from a build that was killed
            leftover.unlink(missing_ok=True)
        log_path = cache_dir() / "logs" / f"build-{tool.filename}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = bin_dir / f".{tool.filename}.tmp{os.getpid()}"
        argv = [
            _go_binary(),
            "build",
            "-trimpath",
            "-ldflags",
            " ".join(tool.ldflags),
            "-o",
            str(tmp),
            tool.package,
        ]
        env = {
            **os.environ,
            "CGO_ENABLED": "0",  # static binaries, as upstream releases them
            "GOTOOLCHAIN": "local",  # never download another toolchain behind our back
            "GOFLAGS": "-mod=readonly -buildvcs=false",
        }
        if not quiet:
            sys.stderr.write(f"building {tool.filename} (cold builds take minutes; log: {log_path})\n")
        started = time.monotonic()
        with log_path.open("wb") as log:
            log.write(f"$ (cd {module_dir} && {' '.join(argv)})\n".encode())
            log.flush()
            try:
                result = subprocess.run(
                    argv,
                    cwd=module_dir,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    timeout=_BUILD_TIMEOUT,
                    check=False,
                )
            except subprocess.TimeoutExpired as exc:
                tmp.unlink(missing_ok=True)
                raise KubeError(f"building {tool.filename} timed out; see {log_path}") from exc
        if result.returncode != 0:
            tmp.unlink(missing_ok=True)
            raise KubeError(f"building {tool.filename} failed:\n{_tail(log_path)}")
        tmp.replace(binary)
        marker = {
            "name": tool.name,
            "version": tool.version,
            "package": tool.package,
            "fingerprint": fingerprint,
            "build_seconds": round(time.monotonic() - started, 1),
        }
        # The marker is written last: a build that died half-way leaves no marker and is redone.
        marker_path = binary.with_name(binary.name + ".ok")
        marker_tmp = marker_path.with_name(marker_path.name + ".tmp")
        marker_tmp.write_text(json.dumps(marker, indent=2) + "\n")
        marker_tmp.replace(marker_path)
        return binary


def fetch(*, quiet: bool = False) -> Binaries:
    """Build (or reuse from the cache) the pinned etcd and kube-apiserver binaries."""
    etcd = _build(ETCD_TOOL, quiet=quiet)
    apiserver = _build(APISERVER_TOOL, quiet=quiet)
    return Binaries(kube_apiserver=apiserver, etcd=etcd)


# --------------------------------------------------------------------------------------------
# PKI (openssl CLI): CA, apiserver serving cert, admin client cert, service-account keys, token
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Pki:
    """File names of the control plane's certificates and keys inside one directory."""

    dir: Path

    @property
    def ca_cert(self) -> Path:
        return self.dir / "ca.crt"

    @property
    def serving_cert(self) -> Path:
        return self.dir / "apiserver.crt"

    @property
    def serving_key(self) -> Path:
        return self.dir / "apiserver.key"

    @property
    def admin_cert(self) -> Path:
        return self.dir / "admin.crt"

    @property
    def admin_key(self) -> Path:
        return self.dir / "admin.key"

    @property
    def sa_key(self) -> Path:
        return self.dir / "sa.key"

    @property
    def sa_pub(self) -> Path:
        return self.dir / "sa.pub"

    @property
    def token_file(self) -> Path:
        return self.dir / "tokens.csv"

    @property
    def token(self) -> str:
        """The static bearer token of the admin user (group system:masters)."""
        return self.token_file.read_text().split(",", 1)[0]


def _openssl(*args: str, cwd: Path) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise KubeError("the `openssl` CLI is required to create the control plane's certificates")
    result = subprocess.run(
        [openssl, *args], cwd=cwd, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL
    )
    if result.returncode != 0:
        raise KubeError(f"openssl {' '.join(args)} failed:\n{result.stderr.strip()}")


_OPENSSL_CONF = """\
[req]
distinguished_name = dn
prompt = no
[dn]
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = {sans}
[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


def ensure_pki(pki_dir: Path) -> Pki:
    """Create the certificates and keys once; later calls reuse them (marker: tokens.csv)."""
    pki = Pki(pki_dir)
    if pki.token_file.is_file():
        return pki
    pki_dir.mkdir(parents=True, exist_ok=True)
    pki_dir.chmod(0o700)
    sans = ", ".join(
        [
            "IP:127.0.0.1",
            f"IP:{KUBERNETES_SERVICE_IP}",
            "DNS:localhost",
            "DNS:kubernetes",
            "DNS:kubernetes.default",
            "DNS:kubernetes.default.svc",
            "DNS:kubernetes.default.svc.cluster.local",
        ]
    )
    conf = pki_dir / "openssl.cnf"
    conf.write_text(_OPENSSL_CONF.format(sans=sans))
    ec = ("-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256")
    for key in ("ca.key", "apiserver.key", "admin.key"):
        _openssl("genpkey", *ec, "-out", key, cwd=pki_dir)
    _openssl(
        "req", "-x509", "-new", "-config", "openssl.cnf", "-extensions", "ca", "-key", "ca.key",
        "-subj", f"/CN={CLUSTER_NAME}-ca", "-days", "3650", "-sha256", "-out", "ca.crt",
        cwd=pki_dir,
    )  # fmt: skip
    for name, subject, ext in (
        ("apiserver", "/CN=kube-apiserver", "server"),
        ("admin", f"/O={ADMIN_GROUP}/CN={ADMIN_USER}", "client"),
    ):
        _openssl(
            "req", "-new", "-config", "openssl.cnf", "-key", f"{name}.key", "-subj", subject,
            "-out", f"{name}.csr", cwd=pki_dir,
        )  # fmt: skip
        _openssl(
            "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-set_serial", str(secrets.randbits(63)), "-days", "3650", "-sha256",
            "-extfile", "openssl.cnf", "-extensions", ext, "-out", f"{name}.crt",
            cwd=pki_dir,
        )  # fmt: skip
        (pki_dir / f"{name}.csr").unlink()
    # RS256 service-account tokens: the algorithm every client library understands.
    _openssl(
        "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "sa.key", cwd=pki_dir
    )
    _openssl("pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub", cwd=pki_dir)
    for path in pki_dir.iterdir():
        path.chmod(0o600)
    token_tmp = pki_dir / "tokens.csv.tmp"
    token_tmp.write_text(f'{secrets.token_hex(24)},{ADMIN_USER},{ADMIN_USER},"{ADMIN_GROUP}"\n')
    token_tmp.chmod(0o600)
    token_tmp.replace(pki.token_file)  # written last: the PKI is complete
    return pki


# --------------------------------------------------------------------------------------------
# The running control plane
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ControlPlane:
    """A running (or recorded) etcd + kube-apiserver pair and how to talk to it."""

    data_dir: Path
    apiserver_port: int
    etcd_client_port: int
    etcd_peer_port: int
    etcd_pid: int
    apiserver_pid: int

    @property
    def server(self) -> str:
        return f"https://127.0.0.1:{self.apiserver_port}"

    @property
    def etcd_url(self) -> str:
        return f"http://127.0.0.1:{self.etcd_client_port}"

    @property
    def pki(self) -> Pki:
        return Pki(self.data_dir / "pki")

    @property
    def kubeconfig(self) -> Path:
        return self.data_dir / "kubeconfig"

    @property
    def token(self) -> str:
        return self.pki.token

    def ssl_context(self) -> ssl.SSLContext:
        """TLS context trusting the cluster CA and presenting the admin client certificate."""
        context = ssl.create_default_context(cafile=str(self.pki.ca_cert))
        context.load_cert_chain(str(self.pki.admin_cert), str(self.pki.admin_key))
        return context

    def request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        content_type: str = "application/json",
        timeout: float = 30.0,
    ) -> tuple[int, Any]:
        """One REST call as the admin user; returns (HTTP status, decoded JSON or text)."""
        return _http(
            self.server + path,
            method=method,
            body=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": content_type, "Accept": "application/json", **(headers or {})},
            context=self.ssl_context(),
            timeout=timeout,
        )

    def ready(self, timeout: float = 5.0) -> bool:
        """True if /readyz answers ok (every post-start hook done: RBAC roles, priority levels, ...)."""
        return _apiserver_ready(self.server, self.pki, timeout)

    def to_state(self) -> dict[str, Any]:
        return {
            "kubernetes_version": KUBERNETES_VERSION,
            "etcd_version": ETCD_VERSION,
            "server": self.server,
            "kubeconfig": str(self.kubeconfig),
            "apiserver_port": self.apiserver_port,
            "etcd_client_port": self.etcd_client_port,
            "etcd_peer_port": self.etcd_peer_port,
            "etcd_pid": self.etcd_pid,
            "apiserver_pid": self.apiserver_pid,
        }


def _http(
    url: str,
    *,
    method: str = "GET",
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    context: ssl.SSLContext | None = None,
    timeout: float = 10.0,
) -> tuple[int, Any]:
    if not url.startswith(("https://127.0.0.1:", "http://127.0.0.1:")):
        raise ValueError(f"refusing non-loopback URL {url!r}")
    request = urllib.request.Request(url, data=body, method=method, headers=dict(headers or {}))  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:  # noqa: S310
            status, raw, ctype = response.status, response.read(), response.headers.get_content_type()
    except urllib.error.HTTPError as exc:
        status, raw, ctype = exc.code, exc.read(), exc.headers.get_content_type()
    text = raw.decode("utf-8", errors="replace")
    if ctype == "application/json" and text:
        return status, json.loads(text)
    return status, text


def _resolve_data_dir(data_dir: Path | str | None) -> Path:
    return Path(data_dir).resolve() if data_dir is not None else default_data_dir()


def _etcd_argv(binary: Path, data_dir: Path, client_port: int, peer_port: int) -> list[str]:
    client = f"http://127.0.0.1:{client_port}"
    peer = f"http://127.0.0.1:{peer_port}"
    return [
        str(binary),
        "--name=jingwu",
        f"--data-dir={data_dir / 'etcd'}",
        f"--listen-client-urls={client}",
        f"--advertise-client-urls={client}",
        f"--listen-peer-urls={peer}",
        f"--initial-advertise-peer-urls={peer}",
        f"--initial-cluster=jingwu={peer}",
        "--initial-cluster-state=new",
        "--unsafe-no-fsync=true",  # test data only; as envtest does
        "--log-level=warn",
    ]


def _apiserver_argv(binary: Path, pki: Pki, port: int, etcd_port: int) -> list[str]:
    return [
        str(binary),
        f"--etcd-servers=http://127.0.0.1:{etcd_port}",
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        # The endpoint reconciler refuses loopback addresses (and there is nothing behind the
        # `kubernetes` Service's endpoints anyway: no pods run).
        "--endpoint-reconciler-type=none",
        f"--secure-port={port}",
        f"--tls-cert-file={pki.serving_cert}",
        f"--tls-private-key-file={pki.serving_key}",
        f"--client-ca-file={pki.ca_cert}",
        f"--token-auth-file={pki.token_file}",
        "--authorization-mode=RBAC",
        f"--service-cluster-ip-range={SERVICE_CLUSTER_IP_RANGE}",
        f"--service-account-issuer={SERVICE_ACCOUNT_ISSUER}",
        f"--service-account-key-file={pki.sa_pub}",
        f"--service-account-signing-key-file={pki.sa_key}",
        # No controller-manager creates the `default` ServiceAccount, so this plugin would reject
        # every Pod (and so every Deployment's pod template is never tried anyway).
        "--disable-admission-plugins=ServiceAccount",
        "--allow-privileged=true",
        "--profiling=false",
        f"--cert-dir={pki.dir / 'generated'}",
    ]


def _write_kubeconfig(plane: ControlPlane) -> None:
    pki = plane.pki
    # JSON is valid YAML; every kubeconfig reader (kubectl, helm, client-go, kopf, python client) takes it.
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": CLUSTER_NAME,
                "cluster": {"server": plane.server, "certificate-authority": str(pki.ca_cert)},
            }
        ],
        "users": [
            {
                "name": ADMIN_USER,
                "user": {"client-certificate": str(pki.admin_cert), "client-key": str(pki.admin_key)},
            }
        ],
        "contexts": [{"name": CLUSTER_NAME, "context": {"cluster": CLUSTER_NAME, "user": ADMIN_USER}}],
        "current-context": CLUSTER_NAME,
        "preferences": {},
    }
    tmp = plane.kubeconfig.with_name("kubeconfig.tmp")
    tmp.write_text(json.dumps(config, indent=2) + "\n")
    tmp.chmod(0o600)
    tmp.replace(plane.kubeconfig)


def _load_state(data_dir: Path) -> dict[str, Any] | None:
    try:
        state = json.loads((data_dir / "state.json").read_text())
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def _plane_from_state(data_dir: Path, state: Mapping[str, Any]) -> ControlPlane:
    return ControlPlane(
        data_dir=data_dir,
        apiserver_port=int(state["apiserver_port"]),
        etcd_client_port=int(state["etcd_client_port"]),
        etcd_peer_port=int(state["etcd_peer_port"]),
        etcd_pid=int(state["etcd_pid"]),
        apiserver_pid=int(state["apiserver_pid"]),
    )


def _apiserver_ready(server: str, pki: Pki, timeout: float) -> bool:
    try:
        context = ssl.create_default_context(cafile=str(pki.ca_cert))
        context.load_cert_chain(str(pki.admin_cert), str(pki.admin_key))
        status, text = _http(server + "/readyz", context=context, timeout=timeout)
    except (OSError, ssl.SSLError):
        return False
    return status == 200 and text == "ok"


def _etcd_healthy(port: int) -> bool:
    try:
        status, body = _http(f"http://127.0.0.1:{port}/health", timeout=2.0)
    except OSError:
        return False
    if isinstance(body, str):  # etcd answers JSON with Content-Type text/plain
        try:
            body = json.loads(body)
        except ValueError:
            return False
    return status == 200 and isinstance(body, dict) and body.get("health") == "true"


# Supervisors started by this Python process, by data dir: they hold the Popen objects, so a
# `down` from the same process also reaps its children (no zombie is left behind).
_SUPERVISORS: dict[Path, Supervisor] = {}
_ETCD = "etcd"
_APISERVER = "kube-apiserver"


def _supervisor(data: Path) -> Supervisor:
    sup = _SUPERVISORS.get(data)
    if sup is None:
        sup = Supervisor(state_dir=data / "procs", keep_running=True, out=None)
        _SUPERVISORS[data] = sup
    return sup


def _live_processes(data: Path) -> dict[str, ProcessInfo]:
    return {info.name: info for info in read_states(data / "procs")}


def up(
    data_dir: Path | str | None = None,
    *,
    apiserver_port: int = 0,
    etcd_port: int = 0,
    timeout: float = DEFAULT_START_TIMEOUT,
    quiet: bool = False,
) -> ControlPlane:
    """Start etcd + kube-apiserver (ports 0 = pick free ones) and wait for /readyz.

    The processes keep running after this returns (and after this Python process exits) until
    `down`. Idempotent: if this data dir's control plane is already up and ready, it is returned.
    """
    data = _resolve_data_dir(data_dir)
    state = _load_state(data)
    if state is not None:
        running = _plane_from_state(data, state)
        live = _live_processes(data)
        if {_ETCD, _APISERVER} <= live.keys() and running.ready():
            return running
    down(data)  # nothing recorded, or stale / half-dead: clear any leftovers before starting
    binaries = fetch(quiet=quiet)
    data.mkdir(parents=True, exist_ok=True)
    data.chmod(0o700)
    pki = ensure_pki(data / "pki")
    logs = data / "logs"
    etcd_client = etcd_port or free_port()
    etcd_peer = free_port()
    api_port = apiserver_port or free_port()
    server = f"https://127.0.0.1:{api_port}"
    deadline = time.monotonic() + timeout

    sup = _supervisor(data)
    try:
        etcd = sup.start(
            ProcessSpec(
                name=_ETCD,
                argv=_etcd_argv(binaries.etcd, data, etcd_client, etcd_peer),
                log_path=logs / "etcd.log",
                cwd=data,
                ports=(etcd_client, etcd_peer),
                ready=lambda: _etcd_healthy(etcd_client),
                ready_timeout=timeout,
                stop_timeout=DEFAULT_STOP_TIMEOUT,
            )
        )
        apiserver = sup.start(
            ProcessSpec(
                name=_APISERVER,
                argv=_apiserver_argv(binaries.kube_apiserver, pki, api_port, etcd_client),
                log_path=logs / "kube-apiserver.log",
                cwd=data,
                ports=(api_port,),
                ready=lambda: _apiserver_ready(server, pki, 2.0),
                ready_timeout=max(1.0, deadline - time.monotonic()),
                stop_timeout=DEFAULT_STOP_TIMEOUT,
            )
        )
    except BaseException:
        sup.stop_all()
        raise
    plane = ControlPlane(
        data_dir=data,
        apiserver_port=api_port,
        etcd_client_port=etcd_client,
        etcd_peer_port=etcd_peer,
        etcd_pid=etcd.pid,
        apiserver_pid=apiserver.pid,
    )
    _write_kubeconfig(plane)
    _write_json(data / "state.json", plane.to_state())
    return plane


def down(data_dir: Path | str | None = None, *, purge: bool = False) -> bool:
    """Stop this data dir's control plane (apiserver first); True if anything was running.

    Works from any process: the processes are found through their records in <data>/procs.
    """
    data = _resolve_data_dir(data_dir)
    sup = _SUPERVISORS.pop(data, None) or Supervisor(state_dir=data / "procs", keep_running=True, out=None)
    sup.adopt()
    stopped = sup.stop_all()  # newest first: kube-apiserver, then etcd
    (data / "state.json").unlink(missing_ok=True)
    if purge and data.exists():
        shutil.rmtree(data)
    return bool(stopped)


def status(data_dir: Path | str | None = None) -> dict[str, Any]:
    """What state.json says, plus whether each process is alive and /readyz answers ok."""
    data = _resolve_data_dir(data_dir)
    state = _load_state(data)
    live = _live_processes(data)
    etcd_alive, api_alive = _ETCD in live, _APISERVER in live
    info: dict[str, Any] = {"data_dir": str(data), "etcd_running": etcd_alive, "apiserver_running": api_alive}
    if state is None:
        return {**info, "running": False, "ready": False}
    plane = _plane_from_state(data, state)
    return {
        **plane.to_state(),
        **info,
        "running": etcd_alive and api_alive,
        "ready": etcd_alive and api_alive and plane.ready(),
    }


def current(data_dir: Path | str | None = None) -> ControlPlane | None:
    """The recorded control plane of this data dir, or None."""
    data = _resolve_data_dir(data_dir)
    state = _load_state(data)
    return None if state is None else _plane_from_state(data, state)


def _write_json(path: Path, payload: Mapping[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(payload, indent=2) + "\n")
    tmp.replace(path)


def _tail(path: Path, lines: int = 40) -> str:
    try:
        content = path.read_text(errors="replace").splitlines()
    except OSError:
        return f"(no log at {path})"
    return "\n".join(content[-lines:])


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


def _print(text: str) -> None:
    sys.stdout.write(text + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m jingwu_devstack.kube",
        description=f"Local control plane: etcd {ETCD_VERSION} + kube-apiserver {KUBERNETES_VERSION}.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("fetch", help="build (or reuse) the pinned etcd and kube-apiserver binaries")
    p_up = sub.add_parser("up", help="start etcd + kube-apiserver and wait until /readyz is ok")
    p_up.add_argument("--apiserver-port", type=int, default=0, help="default: a free port")
    p_up.add_argument("--etcd-port", type=int, default=0, help="etcd client port; default: a free port")
    p_up.add_argument("--timeout", type=float, default=DEFAULT_START_TIMEOUT)
    p_down = sub.add_parser("down", help="stop them (SIGTERM, then SIGKILL of each process group)")
    p_down.add_argument("--purge", action="store_true", help="also delete the data dir (etcd data, certs)")
    sub.add_parser("status", help="print the state as JSON; exit 0 only if ready")
    p_kc = sub.add_parser("kubeconfig", help="print the kubeconfig path (or --raw: its content)")
    p_kc.add_argument("--raw", action="store_true")
    for p in sub.choices.values():
        p.add_argument(
            "--data-dir", type=Path, default=None, help="default: $JINGWU_DATA_DIR/kube or .data/kube"
        )
    args = parser.parse_args(argv)

    try:
        if args.command == "fetch":
            binaries = fetch()
            _print(f"kube-apiserver {binaries.kube_apiserver}\netcd {binaries.etcd}")
        elif args.command == "up":
            plane = up(
                args.data_dir,
                apiserver_port=args.apiserver_port,
                etcd_port=args.etcd_port,
                timeout=args.timeout,
            )
            _print(f"kube-apiserver {KUBERNETES_VERSION} ready at {plane.server} (etcd {plane.etcd_url})")
            _print(f"export KUBECONFIG={plane.kubeconfig}")
        elif args.command == "down":
            _print("stopped" if down(args.data_dir, purge=args.purge) else "not running")
        elif args.command == "status":
            info = status(args.data_dir)
            _print(json.dumps(info, indent=2))
            return 0 if info["ready"] else 1
        else:
            plane_or_none = current(args.data_dir)
            if plane_or_none is None or not plane_or_none.kubeconfig.is_file():
                sys.stderr.write("no control plane recorded; run `up` first\n")
                return 1
            _print(
                plane_or_none.kubeconfig.read_text().rstrip() if args.raw else str(plane_or_none.kubeconfig)
            )
    except DevstackError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
