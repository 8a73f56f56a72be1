import json

import pytest

from baton_agent import BatonError, messages
from baton_agent.wire import decode_json, decode_reply, encode_command, encode_query, next_delay, report_command_id


def test_a_command_is_the_plain_json_envelope_in_camel_case() -> None:
    body = json.loads(encode_command(messages.ReportProgress, {"task_id": "t-1", "agent_id": "be-1", "lease_epoch": 2, "percent": 50, "tokens_used": 10}, "c-1"))
    assert body == {"commandId": "c-1", "schemaVersion": 1, "data": {"taskId": "t-1", "agentId": "be-1", "leaseEpoch": 2, "percent": 50, "tokensUsed": 10}}


def test_fields_left_out_stay_out_so_the_service_applies_its_defaults() -> None:
    body = json.loads(encode_command(messages.CompleteTask, {"taskId": "t-1", "agentId": "be-1", "leaseEpoch": 1}, "c-2"))
    assert body["data"] == {"taskId": "t-1", "agentId": "be-1", "leaseEpoch": 1}


def test_invalid_data_is_refused_locally_with_the_paths() -> None:
    with pytest.raises(BatonError) as refused:
        encode_command(messages.ReportProgress, {"taskId": "t-1", "agentId": "be 1", "leaseEpoch": 0, "percent": 140}, "c-3")
    assert refused.value.code == "VALIDATION_FAILED"
    paths = sorted(i["path"] for i in refused.value.details["issues"])
    assert paths == ["agentId", "leaseEpoch", "percent"]


def test_unknown_fields_are_refused_as_the_service_would() -> None:
    with pytest.raises(BatonError) as refused:
        encode_query(messages.GetTask, {"taskId": "t-1", "verbose": True})
    assert refused.value.code == "VALIDATION_FAILED"


def test_a_query_has_no_command_id() -> None:
    assert json.loads(encode_query(messages.GetTask, {"taskId": "t-1"})) == {"schemaVersion": 1, "data": {"taskId": "t-1"}}


def test_an_ok_reply_is_validated_into_the_reply_model() -> None:
    reply = decode_reply(messages.ReportProgress, b'{"ok":true,"data":{"taskId":"t-1","status":"accepted","leaseEpoch":2,"revision":5}}')
    assert (reply.task_id, reply.status, reply.lease_epoch) == ("t-1", "accepted", 2)


def test_an_error_reply_raises_its_code() -> None:
    with pytest.raises(BatonError) as refused:
        decode_reply(messages.ReportProgress, b'{"ok":false,"error":{"code":"STALE_LEASE","message":"held by another agent"}}')
    assert refused.value.code == "STALE_LEASE"


def test_a_reply_that_breaks_its_schema_is_internal() -> None:
    with pytest.raises(BatonError) as broken:
        decode_reply(messages.ReportProgress, b'{"ok":true,"data":{"taskId":"t-1"}}')
    assert broken.value.code == "INTERNAL"


@pytest.mark.parametrize(("raw", "code"), [(b"", "INVALID_JSON"), (b"{nope", "INVALID_JSON"), (b"x" * (1024 * 1024 + 1), "PAYLOAD_TOO_LARGE")])
def test_bodies_are_checked_before_parsing(raw: bytes, code: str) -> None:
    with pytest.raises(BatonError) as refused:
        decode_json(raw)
    assert refused.value.code == code


def test_report_command_ids_match_the_typescript_sdk() -> None:
    assert report_command_id("complete", "t-1", "be-1", 3) == "complete:be-1:t-1:3"


def test_back_off_doubles_up_to_the_maximum() -> None:
    delays = [0.0]
    for _ in range(6):
        delays.append(next_delay(delays[-1], 0.1, 2.0))
    assert delays[1:] == [0.1, 0.2, 0.4, 0.8, 1.6, 2.0]


def test_a_permissions_violation_names_the_denied_subject() -> None:
    from baton_agent import CommandClient

    client = CommandClient(None)  # type: ignore[arg-type]
    assert client.permission_error(Exception("nats: 'Permissions Violation for Publish to \"baton.agent.b.cmd.register-agent\"'"))
    assert client._denied == {"baton.agent.b.cmd.register-agent"}
    assert not client.permission_error(Exception("nats: slow consumer"))
