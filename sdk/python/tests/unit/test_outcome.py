import json

import pytest

from baton_agent import BatonError, Handoff, inbox_consumer_name, messages
from baton_agent.events import EventStart, MemoryDedupe
from baton_agent.outcome import artifacts_of, outputs_of, settlement_of


def test_text_artifacts_go_as_utf8_and_structures_as_json() -> None:
    h = Handoff(artifacts={"prd.md": "# PRD", "pull_request": {"tests_passing": True}})
    assert artifacts_of(h) == [
        {"name": "prd.md", "content": "# PRD", "encoding": "utf8"},
        {"name": "pull_request", "content": json.dumps({"tests_passing": True}, indent=2), "encoding": "utf8", "mediaType": "application/json"},
    ]


def test_artifacts_as_a_list_go_as_given() -> None:
    given = [{"name": "logo.png", "content": "iVBORw0KGgo=", "encoding": "base64", "mediaType": "image/png"}]
    assert artifacts_of(Handoff(artifacts=given)) == given


def test_outputs_of_a_handler_result() -> None:
    assert outputs_of(None) == {}
    assert outputs_of({"a": 1}) == {"a": 1}
    with pytest.raises(BatonError) as refused:
        outputs_of(["not", "outputs"])
    assert refused.value.code == "VALIDATION_FAILED"


@pytest.mark.parametrize(
    ("code", "settlement"),
    [("STALE_LEASE", "lost"), ("ILLEGAL_TRANSITION", "rejected"), ("NOT_FOUND", "rejected"), ("FORBIDDEN", "rejected"), ("VALIDATION_FAILED", "rejected"), ("TIMEOUT", "deferred"), ("UNAVAILABLE", "deferred")],
)
def test_how_a_refused_report_ends_the_task(code: str, settlement: str) -> None:
    assert settlement_of(BatonError(code, "x")) == (settlement, code)  # type: ignore[arg-type]


def test_an_uncoded_error_is_deferred() -> None:
    assert settlement_of(RuntimeError("boom")) == ("deferred", "INTERNAL")


def test_subjects_and_names_come_from_the_contracts() -> None:
    assert messages.CompleteTask.subject == "baton.cmd.scheduler.complete-task"
    assert messages.GetAgent.subject == "baton.qry.agent-registry.get-agent"
    assert messages.ClaimTask.kind == "command"
    assert (messages.AGENT_INBOX_STREAM, messages.EVENTS_STREAM, messages.ALL_EVENTS_SUBJECT) == ("BATON_AGENT_INBOX", "BATON_EVENTS", "baton.evt.>")
    assert inbox_consumer_name("MCT-BE-001") == "agent-MCT-BE-001"


def test_event_start_positions() -> None:
    assert EventStart.at_sequence(42).config() == {"deliver_policy": "by_start_sequence", "opt_start_seq": 42}
    assert EventStart.new().config() == {"deliver_policy": "new"}
    with pytest.raises(BatonError):
        EventStart.at_sequence(0)


def test_memory_dedupe_forgets_the_oldest_first() -> None:
    d = MemoryDedupe(capacity=2)
    for event_id in ("a", "b", "c"):
        d.add(event_id)
    assert [d.has(x) for x in ("a", "b", "c")] == [False, True, True]


def test_an_agent_sends_its_own_commands_on_its_agent_subject() -> None:
    assert messages.CompleteTask.subject_for("MCT-BE-001") == "baton.agent.MCT-BE-001.cmd.complete-task"
    assert messages.OpenInbox.subject_for("MCT-BE-001") == "baton.agent.MCT-BE-001.cmd.open-inbox"
    assert messages.CompleteTask.subject_for(None) == "baton.cmd.scheduler.complete-task"
    # A person's command has no agent subject: it goes to the service whoever sends it.
    assert messages.ReassignTask.subject_for("MCT-BE-001") == "baton.cmd.scheduler.reassign-task"
    assert messages.AGENT_REPLIES_PREFIX == "_INBOX.agent.{agentId}"
