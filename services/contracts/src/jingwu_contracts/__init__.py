"""Generated protobuf/gRPC code lives in the ``jingwu`` package next to this one (``make gen``).

This module only locates it, so tooling can list every message and service without hard-coding paths.
"""

from pathlib import Path

GENERATED_ROOT = Path(__file__).resolve().parent.parent / "jingwu"
