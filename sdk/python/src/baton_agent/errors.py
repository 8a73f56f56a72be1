"""Baton's error family, as in the TypeScript SDK: one base class with a stable ``code``.

Branch on ``err.code``, never on the message text: a code survives process hops, and the
services reply with the same codes (libs/contracts/src/errors.ts; a unit test keeps this list
equal to the contracts' schema).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, get_args

ErrorCode = Literal[
    "VALIDATION_FAILED",
    "INVALID_JSON",
    "PAYLOAD_TOO_LARGE",
    "UNKNOWN_SCHEMA_VERSION",
    "UNKNOWN_MESSAGE",
    "WRONG_EXPECTED_VERSION",
    "DUPLICATE",
    "IDEMPOTENCY_CONFLICT",
    "NOT_FOUND",
    "CONFLICT",
    "STALE_LEASE",
    "ILLEGAL_TRANSITION",
    "FORBIDDEN",
    "TIMEOUT",
    "UNAVAILABLE",
    "INTERNAL",
]

ERROR_CODES: tuple[str, ...] = get_args(ErrorCode)

# Codes for which sending the same command again (same command id) may succeed.
_RETRYABLE_CODES = frozenset({"WRONG_EXPECTED_VERSION", "TIMEOUT", "UNAVAILABLE", "INTERNAL"})


def is_error_code(value: object) -> bool:
    return isinstance(value, str) and value in ERROR_CODES


def is_retryable_code(code: str) -> bool:
    """Whether retrying a command that failed with ``code`` (same command id) can help."""
    return code in _RETRYABLE_CODES


class BatonError(Exception):
    """An error with a stable ``code``, the service's ``details``, and whether a retry may help."""

    code: ErrorCode

    def __init__(self, code: ErrorCode, message: str, details: Any = None, retryable: bool | None = None) -> None:
        super().__init__(message)
        self.code = code if is_error_code(code) else "INTERNAL"
        self.message = message
        self.details = details
        self.retryable = is_retryable_code(self.code) if retryable is None else retryable

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r})"


class _CodedError(BatonError):
    """A BatonError bound to one code, named in the class statement: ``class X(_CodedError, code="NOT_FOUND")``;
    a reply with that code raises it (``error_from_body``)."""

    fixed_code: ClassVar[ErrorCode]
    fixed_retryable: ClassVar[bool]

    def __init_subclass__(cls, *, code: ErrorCode, retryable: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.fixed_code = code
        cls.fixed_retryable = retryable

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(self.fixed_code, message, details, self.fixed_retryable)


class ValidationError(_CodedError, code="VALIDATION_FAILED"):
    pass


class NotFoundError(_CodedError, code="NOT_FOUND"):
    pass


class ConflictError(_CodedError, code="CONFLICT"):
    pass


class StaleLeaseError(_CodedError, code="STALE_LEASE"):
    """The task is held by another agent now (or by a newer lease of this one): stop working it."""


class IllegalTransitionError(_CodedError, code="ILLEGAL_TRANSITION"):
    pass


class ForbiddenError(_CodedError, code="FORBIDDEN"):
    pass


class RequestTimeoutError(_CodedError, code="TIMEOUT", retryable=True):
    pass


class UnavailableError(_CodedError, code="UNAVAILABLE", retryable=True):
    def __init__(self, message: str, details: Any = None, retryable: bool = True) -> None:
        BatonError.__init__(self, self.fixed_code, message, details, retryable)


_BY_CODE: dict[str, type[_CodedError]] = {
    cls.fixed_code: cls
    for cls in (
        ValidationError,
        NotFoundError,
        ConflictError,
        StaleLeaseError,
        IllegalTransitionError,
        ForbiddenError,
        RequestTimeoutError,
        UnavailableError,
    )
}


def error_from_body(subject: str, body: dict[str, Any]) -> BatonError:
    """The error half of a reply (``{code, message, details}``) as a BatonError; unknown codes become INTERNAL."""
    code = body.get("code")
    code = code if is_error_code(code) else "INTERNAL"
    message = f"{subject}: {body.get('message', '')}"
    details = body.get("details")
    cls = _BY_CODE.get(code)
    if cls is not None:
        return cls(message, details)
    return BatonError(code, message, details)  # type: ignore[arg-type]


def error_code_of(err: object) -> str | None:
    """The code of anything raised: a BatonError, or any object carrying a known ``code``."""
    code = getattr(err, "code", None)
    return code if is_error_code(code) else None


class TaskFailure(Exception):
    """Raise from a task handler to fail the task with a code of your own and say whether another
    attempt may help (the scheduler retries retryable failures up to the task's ``maxAttempts``).
    Any other exception fails the task as not retryable, unless it carries ``retryable = True``.

    >>> raise TaskFailure("the test database is down", code="DB_DOWN", retryable=True)
    """

    def __init__(self, message: str, *, code: str | None = None, retryable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.retryable = retryable


_MAX_MESSAGE = 4000
_MAX_CODE = 100


def failure_of(err: BaseException | str) -> dict[str, Any]:
    """The ``fail-task`` data for what a handler raised: ``{"error": {"message", "code"?}, "retryable"}``."""
    if isinstance(err, str):
        message = err
    else:
        message = str(getattr(err, "message", None) or err) or type(err).__name__
    message = message.strip() or "task failed"
    raw_code = getattr(err, "code", None)
    error: dict[str, Any] = {"message": message[:_MAX_MESSAGE]}
    if isinstance(raw_code, str) and raw_code:
        error["code"] = raw_code[:_MAX_CODE]
    return {"error": error, "retryable": getattr(err, "retryable", False) is True}
