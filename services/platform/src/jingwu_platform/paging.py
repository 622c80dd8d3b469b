"""Cursor paging shared by every List RPC: the page token is the last id of the previous page."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500
T = TypeVar("T")


def page_limit(page_size: int) -> int:
    """The number of items to fetch: the default for 0, never more than MAX_PAGE_SIZE."""
    return min(max(page_size, 1), MAX_PAGE_SIZE) if page_size else DEFAULT_PAGE_SIZE


def next_page_token(items: Sequence[T], limit: int, key: Callable[[T], str]) -> str:
    """The token for the next page, or "" when this page was the last (shorter than the limit)."""
    return key(items[-1]) if items and len(items) == limit else ""
