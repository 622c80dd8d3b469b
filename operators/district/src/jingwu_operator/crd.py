"""The District CustomResourceDefinition, generated from code so the policy schema follows
``jingwu_platform.policy.DistrictPolicy``. ``python -m jingwu_operator.crd`` rewrites
``operators/district/crd/district.yaml`` (the one copy charts link to); a unit test fails when the
committed file is stale."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml
from jingwu_platform.policy import DistrictPolicy

from jingwu_operator import naming

CRD_PATH = Path(__file__).resolve().parents[2] / "crd" / "district.yaml"
CONDITION_TYPES = ("NamespaceReady", "DatabaseReady", "TopicsReady", "WorkloadsReady", "Ready")
_QUANTITY_PATTERN = (
    r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))"
    r"(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"
)
_NAME_RULE_MESSAGE = "metadata.name must be 'jingwu-' + spec.code (one District per code)"
_TIME_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$"

Schema = dict[str, Any]


def _openapi(  # noqa: PLR0912 - one branch per JSON Schema type
    node: Schema, defs: dict[str, Schema]
) -> Schema:
    """JSON Schema (pydantic) → structural OpenAPI v3 schema: refs inlined, tuples as bounded arrays,
    no defaults (the spec holds overrides only; DistrictPolicy supplies the defaults)."""
    if "$ref" in node:
        return _openapi(defs[node["$ref"].rsplit("/", 1)[1]], defs)
    out: Schema = {}
    if "description" in node or "title" in node:
        out["description"] = node.get("description", node.get("title"))
    kind = node.get("type")
    if kind == "object":
        out["type"] = "object"
        out["properties"] = {k: _openapi(v, defs) for k, v in node.get("properties", {}).items()}
    elif kind == "array":
        out["type"] = "array"
        if "prefixItems" in node:
            first = node["prefixItems"][0]
            out["items"] = _openapi(first, defs)
        else:
            out["items"] = _openapi(node["items"], defs)
        for bound in ("minItems", "maxItems"):
            if bound in node:
                out[bound] = node[bound]
    elif kind == "string" and node.get("format") == "time":
        out.update(type="string", pattern=_TIME_PATTERN)
    elif kind in ("string", "integer", "number", "boolean"):
        out["type"] = kind
        for key in ("minimum", "maximum", "exclusiveMinimum", "pattern", "enum"):
            if key in node:
                out[key] = node[key]
    else:
        raise ValueError(f"no OpenAPI mapping for {node!r}")
    return out


def policy_schema() -> Schema:
    source = DistrictPolicy.model_json_schema()
    schema = _openapi(source, source.get("$defs", {}))
    schema["description"] = (
        "DistrictPolicy overrides (jingwu_platform.policy); omitted values keep the seed defaults. "
        "Cross-field rules (rating weights sum to 1) are checked by the operator."
    )
    return schema


def _quantity() -> Schema:
    return {
        "anyOf": [{"type": "integer"}, {"type": "string"}],
        "x-kubernetes-int-or-string": True,
        "pattern": _QUANTITY_PATTERN,
    }


def _resource_list() -> Schema:
    return {"type": "object", "properties": {"cpu": _quantity(), "memory": _quantity()}}


def _service(name: str) -> Schema:
    single = name in naming.SINGLE_WRITERS
    replicas: Schema = {
        "type": "integer",
        "minimum": 0,
        "maximum": 1 if single else 50,
        "default": 1 if single else 2,
    }
    if single:
        replicas["description"] = "One writer per district: 0 or 1 (docs/adr/0034)."
    return {
        "type": "object",
        "properties": {
            "enabled": {
                "type": "boolean",
                "description": f"Default: true for {', '.join(sorted(naming.ENABLED_BY_DEFAULT))}.",
            },
            "replicas": replicas,
            "resources": {
                "type": "object",
                "properties": {"requests": _resource_list(), "limits": _resource_list()},
            },
        },
    }


def _condition() -> Schema:
    """metav1.Condition."""
    return {
        "type": "object",
        "required": ["type", "status", "lastTransitionTime", "reason", "message"],
        "properties": {
            "type": {"type": "string", "maxLength": 316},
            "status": {"type": "string", "enum": ["True", "False", "Unknown"]},
            "observedGeneration": {"type": "integer", "format": "int64", "minimum": 0},
            "lastTransitionTime": {"type": "string", "format": "date-time"},
            "reason": {
                "type": "string",
                "maxLength": 1024,
                "pattern": r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$",
            },
            "message": {"type": "string", "maxLength": 32768},
        },
    }


def spec_schema() -> Schema:
    return {
        "type": "object",
        "required": ["code", "names"],
        "properties": {
            "code": {
                "type": "string",
                "pattern": r"^\d{2}$",
                "description": 'Two-digit district code, e.g. "06". Immutable.',
                "x-kubernetes-validations": [{"rule": "self == oldSelf", "message": "code is immutable"}],
            },
            "names": {
                "type": "object",
                "required": ["chinese", "pinyin"],
                "properties": {
                    "chinese": {"type": "string", "minLength": 1, "maxLength": 64},
                    "pinyin": {"type": "string", "pattern": r"^[a-z][a-z0-9-]*$", "maxLength": 63},
                },
            },
            "policy": policy_schema(),
            "services": {
                "type": "object",
                "properties": {name: _service(name) for name in naming.SERVICES},
            },
            "kafka": {
                "type": "object",
                "properties": {
                    "partitions": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 3},
                    "retentionHours": {"type": "integer", "minimum": 1, "default": 168},
                },
            },
            "deletionPolicy": {
                "type": "string",
                "enum": ["Retain", "Delete"],
                "default": "Retain",
                "description": "Retain keeps the topics and the database when the District is deleted.",
            },
        },
    }


def status_schema() -> Schema:
    return {
        "type": "object",
        "properties": {
            "observedGeneration": {"type": "integer", "format": "int64"},
            "namespace": {"type": "string"},
            "database": {"type": "string"},
            "topics": {"type": "array", "items": {"type": "string"}},
            "conditions": {
                "type": "array",
                "items": _condition(),
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["type"],
            },
        },
    }


def definition() -> Schema:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{naming.PLURAL}.{naming.GROUP}"},
        "spec": {
            "group": naming.GROUP,
            "scope": "Cluster",
            "names": {
                "kind": naming.KIND,
                "plural": naming.PLURAL,
                "singular": naming.SINGULAR,
                "shortNames": list(naming.SHORT_NAMES),
                "categories": ["jingwu"],
            },
            "versions": [
                {
                    "name": naming.VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": [
                        {"name": "Code", "type": "string", "jsonPath": ".spec.code"},
                        {"name": "Name", "type": "string", "jsonPath": ".spec.names.chinese"},
                        {
                            "name": "Ready",
                            "type": "string",
                            "jsonPath": '.status.conditions[?(@.type=="Ready")].status',
                        },
                        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
                    ],
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "description": "One district bureau (分局) = one tenant of the platform.",
                            "required": ["spec"],
                            "x-kubernetes-validations": [
                                {
                                    "rule": "self.metadata.name == 'jingwu-' + self.spec.code",
                                    "message": _NAME_RULE_MESSAGE,
                                }
                            ],
                            "properties": {
                                "apiVersion": {"type": "string"},
                                "kind": {"type": "string"},
                                "metadata": {"type": "object"},
                                "spec": spec_schema(),
                                "status": status_schema(),
                            },
                        }
                    },
                }
            ],
        },
    }


def render() -> str:
    header = (
        "# Generated by `python -m jingwu_operator.crd` from operators/district/src/jingwu_operator/crd.py.\n"
    )
    header += "# Do not edit; charts/jingwu-operator/crds/ links to this file.\n"
    return header + str(yaml.safe_dump(definition(), sort_keys=False, allow_unicode=True, width=120))


def main() -> int:
    CRD_PATH.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {CRD_PATH}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
