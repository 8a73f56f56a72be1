"""Commands, queries, streams and subjects of Baton. Generated from schema/messages.json by
scripts/gen_models.py; do not edit."""

from __future__ import annotations

from . import incoming, outgoing
from ._definition import MessageDefinition

AGENT_INBOX_STREAM = 'BATON_AGENT_INBOX'
EVENTS_STREAM = 'BATON_EVENTS'
ALL_EVENTS_SUBJECT = 'baton.evt.>'
AGENT_INBOX_SUBJECT = 'baton.agent.{agentId}.inbox'
AGENT_HEARTBEAT_SUBJECT = 'baton.agent.{agentId}.heartbeat'
AGENT_INBOX_CONSUMER = 'agent-{agentId}'
MAX_MESSAGE_BYTES = 1048576
AGENT_REPLIES_PREFIX = '_INBOX.agent.{agentId}'

AcceptTask = MessageDefinition('AcceptTask', 'command', 'baton.cmd.scheduler.accept-task', 1, outgoing.AcceptTaskData, incoming.AcceptTaskReply, 'baton.agent.*.cmd.accept-task')
ApproveStage = MessageDefinition('ApproveStage', 'command', 'baton.cmd.scheduler.approve-stage', 1, outgoing.ApproveStageData, incoming.ApproveStageReply, None)
AwaitAssignment = MessageDefinition('AwaitAssignment', 'command', 'baton.cmd.scheduler.await-assignment', 1, outgoing.AwaitAssignmentData, incoming.AwaitAssignmentReply, 'baton.agent.*.cmd.await-assignment')
CancelRun = MessageDefinition('CancelRun', 'command', 'baton.cmd.scheduler.cancel-run', 1, outgoing.CancelRunData, incoming.CancelRunReply, None)
CancelTask = MessageDefinition('CancelTask', 'command', 'baton.cmd.scheduler.cancel-task', 1, outgoing.CancelTaskData, incoming.CancelTaskReply, None)
ClaimTask = MessageDefinition('ClaimTask', 'command', 'baton.cmd.scheduler.claim-task', 1, outgoing.ClaimTaskData, incoming.ClaimTaskReply, 'baton.agent.*.cmd.claim-task')
CompleteTask = MessageDefinition('CompleteTask', 'command', 'baton.cmd.scheduler.complete-task', 1, outgoing.CompleteTaskData, incoming.CompleteTaskReply, 'baton.agent.*.cmd.complete-task')
FailTask = MessageDefinition('FailTask', 'command', 'baton.cmd.scheduler.fail-task', 1, outgoing.FailTaskData, incoming.FailTaskReply, 'baton.agent.*.cmd.fail-task')
GetAgent = MessageDefinition('GetAgent', 'query', 'baton.qry.agent-registry.get-agent', 1, outgoing.GetAgentData, incoming.GetAgentReply, None)
GetArtifact = MessageDefinition('GetArtifact', 'query', 'baton.qry.handoff-validator.get-artifact', 1, outgoing.GetArtifactData, incoming.GetArtifactReply, None)
GetEscalation = MessageDefinition('GetEscalation', 'query', 'baton.qry.escalation.get-escalation', 1, outgoing.GetEscalationData, incoming.GetEscalationReply, None)
GetHandoff = MessageDefinition('GetHandoff', 'query', 'baton.qry.handoff-validator.get-handoff', 1, outgoing.GetHandoffData, incoming.GetHandoffReply, None)
GetMetrics = MessageDefinition('GetMetrics', 'query', 'baton.qry.metrics.get-metrics', 1, outgoing.GetMetricsData, incoming.GetMetricsReply, None)
GetNotification = MessageDefinition('GetNotification', 'query', 'baton.qry.notifier.get-notification', 1, outgoing.GetNotificationData, incoming.GetNotificationReply, None)
GetRun = MessageDefinition('GetRun', 'query', 'baton.qry.scheduler.get-run', 1, outgoing.GetRunData, incoming.GetRunReply, None)
GetRunAudit = MessageDefinition('GetRunAudit', 'query', 'baton.qry.scheduler.get-run-audit', 1, outgoing.GetRunAuditData, incoming.GetRunAuditReply, None)
GetRunMetrics = MessageDefinition('GetRunMetrics', 'query', 'baton.qry.metrics.get-run-metrics', 1, outgoing.GetRunMetricsData, incoming.GetRunMetricsReply, None)
GetTask = MessageDefinition('GetTask', 'query', 'baton.qry.scheduler.get-task', 1, outgoing.GetTaskData, incoming.GetTaskReply, None)
GetWorkflow = MessageDefinition('GetWorkflow', 'query', 'baton.qry.scheduler.get-workflow', 1, outgoing.GetWorkflowData, incoming.GetWorkflowReply, None)
ListAgents = MessageDefinition('ListAgents', 'query', 'baton.qry.agent-registry.list-agents', 1, outgoing.ListAgentsData, incoming.ListAgentsReply, None)
ListConflicts = MessageDefinition('ListConflicts', 'query', 'baton.qry.scheduler.list-conflicts', 1, outgoing.ListConflictsData, incoming.ListConflictsReply, None)
ListEscalations = MessageDefinition('ListEscalations', 'query', 'baton.qry.escalation.list-escalations', 1, outgoing.ListEscalationsData, incoming.ListEscalationsReply, None)
ListEtas = MessageDefinition('ListEtas', 'query', 'baton.qry.metrics.list-etas', 1, outgoing.ListEtasData, incoming.ListEtasReply, None)
ListHandoffs = MessageDefinition('ListHandoffs', 'query', 'baton.qry.handoff-validator.list-handoffs', 1, outgoing.ListHandoffsData, incoming.ListHandoffsReply, None)
ListHandoffSpecs = MessageDefinition('ListHandoffSpecs', 'query', 'baton.qry.handoff-validator.list-handoff-specs', 1, outgoing.ListHandoffSpecsData, incoming.ListHandoffSpecsReply, None)
ListHealth = MessageDefinition('ListHealth', 'query', 'baton.qry.metrics.list-health', 1, outgoing.ListHealthData, incoming.ListHealthReply, None)
ListNotifications = MessageDefinition('ListNotifications', 'query', 'baton.qry.notifier.list-notifications', 1, outgoing.ListNotificationsData, incoming.ListNotificationsReply, None)
ListRuns = MessageDefinition('ListRuns', 'query', 'baton.qry.scheduler.list-runs', 1, outgoing.ListRunsData, incoming.ListRunsReply, None)
ListTasks = MessageDefinition('ListTasks', 'query', 'baton.qry.scheduler.list-tasks', 1, outgoing.ListTasksData, incoming.ListTasksReply, None)
ListWorkflows = MessageDefinition('ListWorkflows', 'query', 'baton.qry.scheduler.list-workflows', 1, outgoing.ListWorkflowsData, incoming.ListWorkflowsReply, None)
OpenInbox = MessageDefinition('OpenInbox', 'command', 'baton.cmd.scheduler.open-inbox', 1, outgoing.OpenInboxData, incoming.OpenInboxReply, 'baton.agent.*.cmd.open-inbox')
PauseRun = MessageDefinition('PauseRun', 'command', 'baton.cmd.scheduler.pause-run', 1, outgoing.PauseRunData, incoming.PauseRunReply, None)
PutArtifact = MessageDefinition('PutArtifact', 'command', 'baton.cmd.handoff-validator.put-artifact', 1, outgoing.PutArtifactData, incoming.PutArtifactReply, None)
RaiseEscalation = MessageDefinition('RaiseEscalation', 'command', 'baton.cmd.escalation.raise-escalation', 1, outgoing.RaiseEscalationData, incoming.RaiseEscalationReply, 'baton.agent.*.cmd.raise-escalation')
ReassignTask = MessageDefinition('ReassignTask', 'command', 'baton.cmd.scheduler.reassign-task', 1, outgoing.ReassignTaskData, incoming.ReassignTaskReply, None)
RegisterAgent = MessageDefinition('RegisterAgent', 'command', 'baton.cmd.agent-registry.register-agent', 1, outgoing.RegisterAgentData, incoming.RegisterAgentReply, 'baton.agent.*.cmd.register-agent')
RegisterWorkflow = MessageDefinition('RegisterWorkflow', 'command', 'baton.cmd.scheduler.register-workflow', 1, outgoing.RegisterWorkflowData, incoming.RegisterWorkflowReply, None)
RejectStage = MessageDefinition('RejectStage', 'command', 'baton.cmd.scheduler.reject-stage', 1, outgoing.RejectStageData, incoming.RejectStageReply, None)
ReloadAgents = MessageDefinition('ReloadAgents', 'command', 'baton.cmd.agent-registry.reload-agents', 1, outgoing.ReloadAgentsData, incoming.ReloadAgentsReply, None)
RemoveAgent = MessageDefinition('RemoveAgent', 'command', 'baton.cmd.agent-registry.remove-agent', 1, outgoing.RemoveAgentData, incoming.RemoveAgentReply, None)
ReplayRun = MessageDefinition('ReplayRun', 'query', 'baton.qry.scheduler.replay-run', 1, outgoing.ReplayRunData, incoming.ReplayRunReply, None)
ReportAgentState = MessageDefinition('ReportAgentState', 'command', 'baton.cmd.agent-registry.report-agent-state', 1, outgoing.ReportAgentStateData, incoming.ReportAgentStateReply, 'baton.agent.*.cmd.report-agent-state')
ReportBlocked = MessageDefinition('ReportBlocked', 'command', 'baton.cmd.scheduler.report-blocked', 1, outgoing.ReportBlockedData, incoming.ReportBlockedReply, 'baton.agent.*.cmd.report-blocked')
ReportProgress = MessageDefinition('ReportProgress', 'command', 'baton.cmd.scheduler.report-progress', 1, outgoing.ReportProgressData, incoming.ReportProgressReply, 'baton.agent.*.cmd.report-progress')
ReportUnblocked = MessageDefinition('ReportUnblocked', 'command', 'baton.cmd.scheduler.report-unblocked', 1, outgoing.ReportUnblockedData, incoming.ReportUnblockedReply, 'baton.agent.*.cmd.report-unblocked')
RerunRun = MessageDefinition('RerunRun', 'command', 'baton.cmd.scheduler.rerun-run', 1, outgoing.RerunRunData, incoming.RerunRunReply, None)
ResolveConflict = MessageDefinition('ResolveConflict', 'command', 'baton.cmd.scheduler.resolve-conflict', 1, outgoing.ResolveConflictData, incoming.ResolveConflictReply, None)
ResolveEscalation = MessageDefinition('ResolveEscalation', 'command', 'baton.cmd.escalation.resolve-escalation', 1, outgoing.ResolveEscalationData, incoming.ResolveEscalationReply, None)
ResumeRun = MessageDefinition('ResumeRun', 'command', 'baton.cmd.scheduler.resume-run', 1, outgoing.ResumeRunData, incoming.ResumeRunReply, None)
RetryNotification = MessageDefinition('RetryNotification', 'command', 'baton.cmd.notifier.retry-notification', 1, outgoing.RetryNotificationData, incoming.RetryNotificationReply, None)
StartRun = MessageDefinition('StartRun', 'command', 'baton.cmd.scheduler.start-run', 1, outgoing.StartRunData, incoming.StartRunReply, None)
SubmitTask = MessageDefinition('SubmitTask', 'command', 'baton.cmd.scheduler.submit-task', 1, outgoing.SubmitTaskData, incoming.SubmitTaskReply, 'baton.agent.*.cmd.submit-task')
SubmitWorkItem = MessageDefinition('SubmitWorkItem', 'command', 'baton.cmd.scheduler.submit-work-item', 1, outgoing.SubmitWorkItemData, incoming.SubmitWorkItemReply, None)
UpdateAgent = MessageDefinition('UpdateAgent', 'command', 'baton.cmd.agent-registry.update-agent', 1, outgoing.UpdateAgentData, incoming.UpdateAgentReply, 'baton.agent.*.cmd.update-agent')
ValidateHandoff = MessageDefinition('ValidateHandoff', 'command', 'baton.cmd.handoff-validator.validate-handoff', 1, outgoing.ValidateHandoffData, incoming.ValidateHandoffReply, None)
ValidateWorkflow = MessageDefinition('ValidateWorkflow', 'command', 'baton.cmd.scheduler.validate-workflow', 1, outgoing.ValidateWorkflowData, incoming.ValidateWorkflowReply, None)

ALL_MESSAGES: tuple[MessageDefinition, ...] = (AcceptTask, ApproveStage, AwaitAssignment, CancelRun, CancelTask, ClaimTask, CompleteTask, FailTask, GetAgent, GetArtifact, GetEscalation, GetHandoff, GetMetrics, GetNotification, GetRun, GetRunAudit, GetRunMetrics, GetTask, GetWorkflow, ListAgents, ListConflicts, ListEscalations, ListEtas, ListHandoffs, ListHandoffSpecs, ListHealth, ListNotifications, ListRuns, ListTasks, ListWorkflows, OpenInbox, PauseRun, PutArtifact, RaiseEscalation, ReassignTask, RegisterAgent, RegisterWorkflow, RejectStage, ReloadAgents, RemoveAgent, ReplayRun, ReportAgentState, ReportBlocked, ReportProgress, ReportUnblocked, RerunRun, ResolveConflict, ResolveEscalation, ResumeRun, RetryNotification, StartRun, SubmitTask, SubmitWorkItem, UpdateAgent, ValidateHandoff, ValidateWorkflow,)
