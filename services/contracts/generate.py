"""Generate Python code from proto/: messages, gRPC stubs and mypy stubs.

Run by `make gen`; the output (services/contracts/src/jingwu/) is git-ignored and never edited by hand.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from grpc_tools import protoc

REPO = Path(__file__).resolve().parents[2]
PROTO_ROOT = REPO / "proto"
OUT = REPO / "services" / "contracts" / "src"


def main() -> int:
    target = OUT / "jingwu"
    if target.exists():
        shutil.rmtree(target)
    protos = sorted(str(p.relative_to(PROTO_ROOT)) for p in PROTO_ROOT.rglob("*.proto"))
    well_known = Path(protoc.__file__).resolve().parent / "_proto"
    scripts = Path(sys.executable).parent  # mypy-protobuf's plugins live next to this interpreter
    args = [
        "protoc",
        f"-I{PROTO_ROOT}",
        f"-I{well_known}",
        f"--python_out={OUT}",
        f"--grpc_python_out={OUT}",
        f"--plugin=protoc-gen-mypy={scripts / 'protoc-gen-mypy'}",
        f"--plugin=protoc-gen-mypy_grpc={scripts / 'protoc-gen-mypy_grpc'}",
        f"--mypy_out={OUT}",
        f"--mypy_grpc_out={OUT}",
        *protos,
    ]
    code = protoc.main(args)
    if code != 0:
        print(f"protoc failed with exit code {code}", file=sys.stderr)  # noqa: T201 - CLI output
        return int(code)
    # Regular packages (not namespace ones) so mypy and importlib agree on module names.
    for directory in [target, *(p for p in target.rglob("*") if p.is_dir())]:
        (directory / "__init__.py").touch()
    (target / "py.typed").touch()
    print(f"generated {len(protos)} proto files into {target.relative_to(REPO)}")  # noqa: T201 - CLI output
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
