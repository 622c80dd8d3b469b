"""jingwu-devstack: fetch, build, start and stop the local infrastructure (Kafka, FerretDB, buf).

Modules:
    paths   — repository, cache (``.cache``) and data (``.data``) folders.
    fetch   — pinned, cached builds: ``ensure_kafka``, ``ensure_ferretdb``, ``ensure_buf``, ``fetch``.
    procs   — generic process supervision: ``ProcessSpec``, ``Supervisor``, readiness checks.
    stack   — Kafka (KRaft) and FerretDB (SQLite) specs, ``start_stack``, ``Ports``, ``Endpoints``.
    cli     — the ``devstack`` command.
    pytest_plugin — fixtures ``kafka_bootstrap``, ``mongo_url``, ``devstack_supervisor``.
"""

from jingwu_devstack.errors import DevstackError
from jingwu_devstack.procs import ProcessInfo, ProcessSpec, Supervisor, free_port, log_ready, tcp_ready

__version__ = "0.1.0"
__all__ = [
    "DevstackError",
    "ProcessInfo",
    "ProcessSpec",
    "Supervisor",
    "free_port",
    "log_ready",
    "tcp_ready",
]
