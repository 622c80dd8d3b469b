"""What the tool tells its user when something goes wrong, and the exit code that goes with it."""

from __future__ import annotations

# Exit codes (documented in `jingwu --help`).
EXIT_OK = 0
EXIT_FAILED = 1  # not found, refused by a rule, unimplemented, internal error
EXIT_USAGE = 2  # bad command line or INVALID_ARGUMENT from a service
EXIT_CREDENTIAL = 3  # PERMISSION_DENIED / UNAUTHENTICATED / no credential at all
EXIT_UNREACHABLE = 4  # UNAVAILABLE / deadline exceeded: the service is not there


class CliError(Exception):
    """An error the tool reports as text (one line, or a headline plus detail lines) and an exit code."""

    def __init__(
        self, message: str, exit_code: int = EXIT_FAILED, details: list[str] | None = None, status: str = ""
    ) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.details = list(details or [])
        # gRPC status name when the error came from a service ("NOT_FOUND"), else "".
        self.status = status
