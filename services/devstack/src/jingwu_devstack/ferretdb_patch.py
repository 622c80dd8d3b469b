"""The project's changes to FerretDB v1.24.0's SQLite backend, applied when the launcher is built
(ADR 0053): lookups, updates and deletes by ``_id`` use the collection's ``_id`` index.

Upstream pushes a filter on ``_id`` down to SQLite as ``_ferretdb_sjson->'$._id' = ?``, while the
``_id`` index it creates is on ``_ferretdb_sjson->"_id"``. SQLite matches an index only to the same
expression, so every ``find_one({"_id": …})``, ``update_one({"_id": …})``, every document an update
rewrites (``UPDATE … WHERE <id> = ?``) and every delete read the whole table: a missing ``_id`` took
143 ms in a 55,000-row collection (an inbox), an ``$in`` of 500 ids 3.4 s.

The changes, nothing else:

- ``IDColumn`` is written as the index's expression (``->'_id'``, the same value as ``->'$._id'``);
- the WHERE clause of ``Query`` and ``Explain`` comes from ``pushdown`` (the added file
  ``services/devstack/ferretdb/_overlay/internal/backends/sqlite/jingwu_pushdown.go``), which also
  pushes down ``{_id: {$in: [...]}}`` of strings or ObjectIDs, either of them beside other keys
  (``{_id: x, version: 3}``: a version-checked save; upstream reads the table for it), and equality or
  ``$in`` of strings or booleans on plain top-level fields (``{district, status, kind}``), on the
  expression of FerretDB's index on the field and keeping every array (MongoDB's equality matches an
  array holding the value), so a listing probes the field's index instead of decoding every row.

They are applied to a copy of FerretDB's source in the cache, which the build uses through an alternate
go.mod (``go build -modfile``, a ``replace``; the module cache and the committed go.mod stay untouched;
``-overlay`` cannot be used, Go refuses to overlay files in the module cache). Each edit must find its
upstream text exactly once, so a FerretDB upgrade that moves the code fails the build with the edit's
name instead of building an unpatched store. The rows the pushdown returns are filtered again by
FerretDB's handler, as before, so the answer is the same; only fewer rows are read.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from jingwu_devstack.errors import DevstackError

# Files added to FerretDB's source tree, kept under this folder at their path in the module.
OVERLAY_DIR = Path("services/devstack/ferretdb/_overlay")


@dataclass(frozen=True)
class Edit:
    """Replace ``old`` (which must occur exactly once) by ``new`` in ``path`` of the FerretDB module."""

    name: str
    path: str
    old: str
    new: str


_QUERY_WHERE = """\
	if params.Filter.Len() == 1 {
		v, _ := params.Filter.Get("_id")
		switch v.(type) {
		case string, types.ObjectID:
			whereClause = fmt.Sprintf(` WHERE %s = ?`, metadata.IDColumn)
			args = []any{string(must.NotFail(sjson.MarshalSingleValue(v)))}
		}
	}
"""

_EXPLAIN_WHERE = """\
	if params.Filter.Len() == 1 {
		v, _ := params.Filter.Get("_id")
		switch v.(type) {
		case string, types.ObjectID:
			filterPushdown = true
			whereClause = fmt.Sprintf(` WHERE %s = ?`, metadata.IDColumn)
			args = []any{string(must.NotFail(sjson.MarshalSingleValue(v)))}
		}
	}
"""

EDITS = (
    Edit(
        name="the _id expression of the _id index",
        path="internal/backends/sqlite/metadata/metadata.go",
        old="""IDColumn = DefaultColumn + "->'$._id'\"""",
        new="""IDColumn = DefaultColumn + "->'_id'\"""",
    ),
    Edit(
        name="query: _id and plain top-level fields pushed down (equality, $in), beside other keys",
        path="internal/backends/sqlite/collection.go",
        old=_QUERY_WHERE,
        new="""\
	whereClause, args, _ = pushdown(params.Filter)
""",
    ),
    Edit(
        name="explain: the same WHERE clause as the query",
        path="internal/backends/sqlite/collection.go",
        old=_EXPLAIN_WHERE,
        new="""\
	whereClause, args, filterPushdown = pushdown(params.Filter)
""",
    ),
)


def overlay_files(root: Path) -> list[Path]:
    """The added source files (``root``: the repository), for the build's input digest."""
    return sorted((root / OVERLAY_DIR).rglob("*.go"))


def fingerprint() -> str:
    """The edits, as text, for the build's input digest: changing one rebuilds the store."""
    return json.dumps([[e.name, e.path, e.old, e.new] for e in EDITS])


def patched_source(module_dir: Path, root: Path, work: Path) -> Path:
    """A copy of FerretDB's source (``module_dir``, read only in the module cache) in ``work``, with the
    edits applied and the added files in place; return its directory. ``root``: the repository."""
    source = work / "src"
    shutil.rmtree(source, ignore_errors=True)
    shutil.copytree(module_dir, source, copy_function=shutil.copyfile)
    for directory in [source, *(d for d in source.rglob("*") if d.is_dir())]:
        directory.chmod(0o755)  # the module cache's folders are read only, and copytree keeps that
    for edit in EDITS:
        target = source / edit.path
        try:
            text = target.read_text()
        except OSError as error:
            raise DevstackError(f"patching FerretDB ({edit.name}): cannot read {target}: {error}") from error
        found = text.count(edit.old)
        if found != 1:
            raise DevstackError(
                f"patching FerretDB ({edit.name}): its upstream text occurs {found} times in {edit.path}, "
                "not once; the FerretDB version no longer matches jingwu_devstack.ferretdb_patch"
            )
        target.write_text(text.replace(edit.old, edit.new))
    overlay_root = root / OVERLAY_DIR
    for added in overlay_files(root):
        target = source / added.relative_to(overlay_root)
        if target.exists():
            raise DevstackError(f"patching FerretDB: {target.relative_to(source)} exists upstream")
        shutil.copyfile(added, target)
    return source


def modfile(launcher: Path, module_path: str, source: Path, work: Path) -> Path:
    """An alternate go.mod for ``go build -modfile`` (the launcher's, plus a ``replace`` of
    ``module_path`` by ``source``) with a copy of its go.sum beside it; the committed files stay as they
    are."""
    alternate = work / "launcher.mod"
    text = (launcher / "go.mod").read_text()
    alternate.write_text(f"{text.rstrip()}\n\nreplace {module_path} => {source}\n")
    shutil.copyfile(launcher / "go.sum", work / "launcher.sum")
    return alternate
