"""Domain errors become gRPC statuses with standard details; paging tokens."""

from __future__ import annotations

import grpc
from google.rpc import error_details_pb2, status_pb2
from jingwu_platform.errors import (
    Conflict,
    FieldViolation,
    NotFound,
    RuleViolation,
    ValidationFailed,
    Validator,
)
from jingwu_platform.grpc_server import status_for
from jingwu_platform.paging import MAX_PAGE_SIZE, next_page_token, page_limit


def details_of(status: grpc.Status) -> status_pb2.Status:
    (name, value) = status.trailing_metadata[0]
    assert name == "grpc-status-details-bin"
    return status_pb2.Status.FromString(value)


def test_validation_failure_lists_each_field() -> None:
    v = Validator()
    v.check(False, "zone_codes[0]", "zone code must be 8 digits")
    v.check(True, "name", "is required")
    v.add("location.latitude", "latitude must be in [-90, 90]")
    try:
        v.raise_if_any()
    except ValidationFailed as error:
        status = status_for(error)
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT
    bad_request = error_details_pb2.BadRequest()
    assert details_of(status).details[0].Unpack(bad_request)
    assert [(f.field, f.description) for f in bad_request.field_violations] == [
        ("zone_codes[0]", "zone code must be 8 digits"),
        ("location.latitude", "latitude must be in [-90, 90]"),
    ]


def test_rule_violation_names_the_rule() -> None:
    status = status_for(
        RuleViolation("R-PER-7", "officers/a-12", "an auxiliary never serves his own village")
    )
    assert status.code == grpc.StatusCode.FAILED_PRECONDITION
    failure = error_details_pb2.PreconditionFailure()
    assert details_of(status).details[0].Unpack(failure)
    assert (failure.violations[0].type, failure.violations[0].subject) == ("R-PER-7", "officers/a-12")


def test_not_found_and_empty_validation() -> None:
    assert status_for(NotFound("room", "r9")).code == grpc.StatusCode.NOT_FOUND
    try:
        ValidationFailed([])
    except ValueError:
        pass
    else:
        raise AssertionError("a validation failure without violations must not exist")
    assert ValidationFailed([FieldViolation("a", "b")]).violations[0].field == "a"


def test_paging() -> None:
    assert page_limit(0) == 100
    assert page_limit(10_000) == MAX_PAGE_SIZE
    assert page_limit(-3) == 1
    assert next_page_token(["a", "b"], 2, key=str) == "b"
    assert next_page_token(["a"], 2, key=str) == ""
    assert next_page_token([], 2, key=str) == ""


def test_conflict_is_aborted_so_callers_retry() -> None:
    assert status_for(Conflict("room r1: changed concurrently 5 times")).code == grpc.StatusCode.ABORTED
