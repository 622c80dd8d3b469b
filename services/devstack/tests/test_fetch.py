"""Fetching into the cache: reuse, redo after interruption, clear errors. Real mvn/go runs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from jingwu_devstack import fetch
from jingwu_devstack.paths import repo_root


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jingwu_devstack", *args],
        capture_output=True, text=True, timeout=900, env={**os.environ, **(env or {})}, check=False,
    )  # fmt: skip


def test_second_fetch_reuses_the_cache_in_well_under_a_second() -> None:
    fetch.fetch(["all"])  # builds on a fresh machine, reuses otherwise
    t0 = time.monotonic()
    results = fetch.fetch(["all"])
    assert time.monotonic() - t0 < 0.5
    assert [(r.name, r.cached) for r in results] == [
        ("kafka", True),
        ("ferretdb", True),
        ("buf", True),
        ("helm", True),
    ]
    kafka, ferretdb, _buf, _helm = results
    assert (kafka.path / f"kafka_2.13-{kafka.version}.jar").is_file()
    assert os.access(ferretdb.path, os.X_OK)


def test_buf_is_a_stable_link_to_the_pinned_version() -> None:
    buf = fetch.ensure_buf().path
    assert buf.is_symlink() and os.readlink(buf) == f"buf-{fetch.BUF_VERSION}"
    version = subprocess.run([str(buf), "--version"], capture_output=True, text=True, check=True).stdout
    assert version.strip() == fetch.BUF_VERSION.removeprefix("v")


def test_kafka_jars_log_through_log4j2() -> None:
    libs = fetch.ensure_kafka().path
    names = {p.name for p in libs.iterdir()}
    slf4j_api = next(n for n in names if n.startswith("slf4j-api-"))
    # slf4j 1.x needs the 1.x binding (log4j-slf4j-impl); the 2.x provider would leave SLF4J without one.
    binding = "log4j-slf4j-impl-" if slf4j_api.startswith("slf4j-api-1.") else "log4j-slf4j2-impl-"
    assert any(n.startswith(binding) for n in names), sorted(names)


def test_interrupted_kafka_fetch_is_redone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JINGWU_CACHE_DIR", str(tmp_path))
    version = fetch.kafka_version()
    entry = tmp_path / f"kafka-{version}"
    (entry / "libs").mkdir(parents=True)
    (entry / "libs" / "half-downloaded.jar").write_bytes(b"")  # no completion marker
    (tmp_path / f"kafka-{version}.partial").mkdir()

    first = fetch.ensure_kafka()
    assert not first.cached
    assert (first.path / f"kafka_2.13-{version}.jar").is_file()
    assert not (first.path / "half-downloaded.jar").exists()
    assert (entry / ".complete.json").is_file()
    assert not (tmp_path / f"kafka-{version}.partial").exists()
    assert fetch.ensure_kafka().cached


def test_missing_prerequisite_is_named_in_one_line(tmp_path: Path) -> None:
    only_java = tmp_path / "bin"
    only_java.mkdir()
    java = shutil.which("java")
    assert java is not None
    (only_java / "java").symlink_to(java)
    cache = tmp_path / "cache"
    proc = run_cli("fetch", "kafka", env={"PATH": str(only_java), "JINGWU_CACHE_DIR": str(cache)})
    assert proc.returncode == 1
    assert (
        proc.stderr.strip()
        == "devstack: mvn not found on PATH: fetching Kafka needs Maven (apt-get install maven)"
    )

    proc = run_cli("fetch", "buf", env={"PATH": str(tmp_path / "empty"), "JINGWU_CACHE_DIR": str(cache)})
    assert proc.returncode == 1
    assert proc.stderr.startswith("devstack: go not found on PATH")
    assert len(proc.stderr.strip().splitlines()) == 1


def test_failed_build_prints_the_log_tail_and_path(tmp_path: Path) -> None:
    fake_repo = tmp_path / "repo"
    (fake_repo / "proto").mkdir(parents=True)
    pom = fake_repo / "services" / "devstack" / "kafka" / "pom.xml"
    pom.parent.mkdir(parents=True)
    real = (repo_root() / fetch.KAFKA_POM).read_text()
    pom.write_text(
        real.replace("<artifactId>kafka_2.13</artifactId>", "<artifactId>kafka_2.13</artifactId><broken")
    )
    cache = tmp_path / "cache"
    proc = run_cli("fetch", "kafka", env={"JINGWU_REPO_ROOT": str(fake_repo), "JINGWU_CACHE_DIR": str(cache)})
    assert proc.returncode == 1
    log = cache / "logs" / "fetch-kafka.log"
    assert "fetching kafka" in proc.stderr and "failed (mvn exited with 1)" in proc.stderr
    assert f"full log: {log}" in proc.stderr
    assert "Non-parseable POM" in proc.stderr  # the tail carries maven's own diagnosis
    assert not list(cache.glob("kafka-*/.complete.json"))


def test_unknown_component_is_rejected() -> None:
    proc = run_cli("fetch", "zookeeper")
    assert proc.returncode == 1
    assert "unknown component 'zookeeper'" in proc.stderr
