"""Adapter: ``helm template`` of the district chart (the one source of the district's workloads)."""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml


class HelmError(RuntimeError):
    pass


async def render(
    helm: str,
    chart: Path,
    *,
    release: str,
    namespace: str,
    values: Mapping[str, Any],
    timeout_s: float = 60.0,
) -> list[dict[str, Any]]:
    """The chart's manifests for these values, as dicts (empty documents dropped)."""
    with tempfile.TemporaryDirectory(prefix="jingwu-operator-") as tmp:
        values_file = Path(tmp) / "values.json"
        values_file.write_text(json.dumps(values, ensure_ascii=False), encoding="utf-8")
        env = {
            **os.environ,
            "HELM_CONFIG_HOME": str(Path(tmp) / "config"),
            "HELM_CACHE_HOME": str(Path(tmp) / "cache"),
            "HELM_DATA_HOME": str(Path(tmp) / "data"),
        }
        try:
            proc = await asyncio.create_subprocess_exec(
                helm,
                "template",
                release,
                str(chart),
                "--namespace",
                namespace,
                "-f",
                str(values_file),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=env,
            )
        except OSError as exc:
            raise HelmError(f"cannot run helm ({helm}): {exc}") from exc
        try:
            out, err = await asyncio.wait_for(proc.communicate(), timeout_s)
        except TimeoutError as exc:
            proc.kill()
            await proc.wait()
            raise HelmError(f"helm template {chart} timed out after {timeout_s:g}s") from exc
    if proc.returncode != 0:
        raise HelmError(f"helm template {chart} failed: {err.decode(errors='replace').strip()}")
    return [doc for doc in yaml.safe_load_all(out.decode()) if isinstance(doc, dict) and doc]
