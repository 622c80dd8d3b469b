"""Where devstack finds the repository and keeps its cache and runtime data.

- repository root: ``$JINGWU_REPO_ROOT``, else the nearest folder holding both ``services/`` and ``proto/``,
  searched upwards from the current directory and then from this file.
- cache (fetched/built tools, git-ignored): ``$JINGWU_CACHE_DIR`` or ``<repo>/.cache``.
- runtime data (logs, data dirs, state files, git-ignored): ``$JINGWU_DATA_DIR`` or ``<repo>/.data``.
"""

from __future__ import annotations

import os
from pathlib import Path

from jingwu_devstack.errors import DevstackError

ENV_REPO_ROOT = "JINGWU_REPO_ROOT"
ENV_CACHE_DIR = "JINGWU_CACHE_DIR"
ENV_DATA_DIR = "JINGWU_DATA_DIR"


def _is_repo_root(path: Path) -> bool:
    return (path / "services").is_dir() and (path / "proto").is_dir()


def repo_root() -> Path:
    """Return the Jingwu repository root, or raise DevstackError if it cannot be found."""
    env = os.environ.get(ENV_REPO_ROOT)
    if env:
        root = Path(env).expanduser().resolve()
        if not _is_repo_root(root):
            raise DevstackError(f"{ENV_REPO_ROOT}={env} is not a Jingwu repository (no services/ and proto/)")
        return root
    for start in (Path.cwd(), Path(__file__).resolve().parent):
        for candidate in (start, *start.parents):
            if _is_repo_root(candidate):
                return candidate
    raise DevstackError(
        f"cannot find the Jingwu repository (a folder with services/ and proto/); set {ENV_REPO_ROOT}"
    )


def cache_dir() -> Path:
    """Return the cache folder for fetched and built tools (not created here)."""
    env = os.environ.get(ENV_CACHE_DIR)
    return Path(env).expanduser().resolve() if env else repo_root() / ".cache"


def data_dir() -> Path:
    """Return the runtime data folder for logs, data and state files (not created here)."""
    env = os.environ.get(ENV_DATA_DIR)
    return Path(env).expanduser().resolve() if env else repo_root() / ".data"


def display_path(path: Path) -> str:
    """Return ``path`` relative to the current directory when it lies below it, for short messages."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
