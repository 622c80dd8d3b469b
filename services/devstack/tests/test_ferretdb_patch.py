"""The project's patch of FerretDB's SQLite backend (jingwu_devstack.ferretdb_patch, ADR 0053): applied
to a copy of the module's source, refused loudly when the upstream text is not where it was. What the
patched store then does is checked against the running store in
services/platform/tests/test_store_id_lookups.py."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from jingwu_devstack import ferretdb_patch, fetch
from jingwu_devstack.errors import DevstackError
from jingwu_devstack.paths import repo_root


def fake_module(root: Path, edits: tuple[ferretdb_patch.Edit, ...] = ferretdb_patch.EDITS) -> Path:
    """A module tree holding each edited file with its upstream text once, among other lines."""
    module = root / "module"
    for edit in edits:
        target = module / edit.path
        target.parent.mkdir(parents=True, exist_ok=True)
        before = target.read_text() if target.exists() else "package x\n"
        target.write_text(f"{before}// before\n{edit.old}// after\n")
    (module / "go.mod").write_text("module github.com/FerretDB/FerretDB\n")
    for path in module.rglob("*"):  # read only, as in the module cache
        path.chmod(0o555 if path.is_dir() else 0o444)
    return module


def test_every_edit_is_applied_to_a_copy_and_the_added_file_is_placed(tmp_path: Path) -> None:
    module = fake_module(tmp_path)
    source = ferretdb_patch.patched_source(module, repo_root(), tmp_path / "work")
    for edit in ferretdb_patch.EDITS:
        text = (source / edit.path).read_text()
        assert edit.new in text and edit.old not in text, edit.name
        assert "// before" in text and "// after" in text  # the rest of the file is kept
    added = source / "internal/backends/sqlite/jingwu_pushdown.go"
    assert "func pushdown(" in added.read_text()
    for edit in ferretdb_patch.EDITS:  # the module cache's copy is untouched
        assert edit.old in (module / edit.path).read_text()


@pytest.mark.parametrize("times", [0, 2])
def test_an_edit_whose_upstream_text_moved_stops_the_build_naming_it(tmp_path: Path, times: int) -> None:
    module = fake_module(tmp_path)
    edit = ferretdb_patch.EDITS[0]
    target = module / edit.path
    target.chmod(0o644)
    target.write_text("package metadata\n" + edit.old * times)
    with pytest.raises(DevstackError) as raised:
        ferretdb_patch.patched_source(module, repo_root(), tmp_path / "work")
    assert edit.name in str(raised.value) and f"occurs {times} times" in str(raised.value)


def test_the_build_replaces_ferretdb_by_the_patched_copy_without_touching_the_committed_go_mod(
    tmp_path: Path,
) -> None:
    launcher = repo_root() / fetch.FERRETDB_MODULE
    committed = (launcher / "go.mod").read_text()
    alternate = ferretdb_patch.modfile(launcher, fetch.FERRETDB_MODULE_PATH, tmp_path / "src", tmp_path)
    text = alternate.read_text()
    assert text.startswith(committed.rstrip())
    assert text.rstrip().endswith(f"replace {fetch.FERRETDB_MODULE_PATH} => {tmp_path / 'src'}")
    assert (tmp_path / "launcher.sum").read_bytes() == (launcher / "go.sum").read_bytes()
    assert (launcher / "go.mod").read_text() == committed


def test_the_patch_matches_the_pinned_ferretdb_source() -> None:
    """Against the real module (fetched by the build): every edit finds its text once."""
    launcher = repo_root() / fetch.FERRETDB_MODULE
    go = fetch.require_go()
    download = subprocess.run(
        [go, "mod", "download", "-json", f"{fetch.FERRETDB_MODULE_PATH}@{fetch.ferretdb_version()}"],
        cwd=launcher, capture_output=True, text=True, check=True, timeout=600,
    )  # fmt: skip
    upstream = Path(json.loads(download.stdout)["Dir"])
    for edit in ferretdb_patch.EDITS:
        assert (upstream / edit.path).read_text().count(edit.old) == 1, edit.name
