from typing import get_args

import pytest

from baton_agent import ERROR_CODES, BatonError, StaleLeaseError, TaskFailure, error_code_of, failure_of, is_retryable_code
from baton_agent.errors import error_from_body
from baton_agent.models.incoming import ErrorBody


def test_the_codes_are_the_contracts_codes() -> None:
    assert ERROR_CODES == get_args(ErrorBody.model_fields["code"].annotation)


@pytest.mark.parametrize("code", ["WRONG_EXPECTED_VERSION", "TIMEOUT", "UNAVAILABLE", "INTERNAL"])
def test_retryable_codes(code: str) -> None:
    assert is_retryable_code(code)


def test_other_codes_are_not_retryable() -> None:
    assert [c for c in ERROR_CODES if is_retryable_code(c)] == ["WRONG_EXPECTED_VERSION", "TIMEOUT", "UNAVAILABLE", "INTERNAL"]


def test_a_reply_error_keeps_the_services_code_message_and_details() -> None:
    err = error_from_body("baton.cmd.scheduler.report-progress", {"code": "STALE_LEASE", "message": "task t-1 is held by b", "details": {"taskId": "t-1"}})
    assert isinstance(err, StaleLeaseError)
    assert (err.code, err.details, err.retryable) == ("STALE_LEASE", {"taskId": "t-1"}, False)
    assert str(err) == "baton.cmd.scheduler.report-progress: task t-1 is held by b"


def test_an_unknown_code_becomes_internal() -> None:
    err = error_from_body("s", {"code": "SOMETHING_NEW", "message": "m"})
    assert err.code == "INTERNAL"
    assert err.retryable


def test_error_code_of_reads_codes_off_anything() -> None:
    assert error_code_of(BatonError("NOT_FOUND", "x")) == "NOT_FOUND"
    assert error_code_of(ValueError("x")) is None
    assert error_code_of(TaskFailure("x", code="NOT_A_BATON_CODE")) is None


def test_failure_of_a_task_failure_carries_code_and_retryable() -> None:
    assert failure_of(TaskFailure("db down", code="DB_DOWN", retryable=True)) == {"error": {"message": "db down", "code": "DB_DOWN"}, "retryable": True}


def test_failure_of_any_exception_is_not_retryable_and_cut_to_the_schema() -> None:
    report = failure_of(RuntimeError("x" * 5000))
    assert report["retryable"] is False
    assert len(report["error"]["message"]) == 4000
    assert "code" not in report["error"]
    assert failure_of(RuntimeError("  "))["error"]["message"] == "task failed"
