import type { Clock, CommandContext } from '@baton/aggregate';
import {
  BatonError,
  type Actor,
  type CommandEnvelope,
  type DataOf,
  type EscalationLadder,
  type EscalationView,
  type RaiseEscalation,
  type ResolveEscalation,
} from '@baton/contracts';
import {
  assigneeFor,
  escalationId as joinId,
  manualEscalationId,
  startLevelOf,
  toEscalationView,
  type EscalationState,
} from '../domain';
import type { AgentDirectory, EscalationCommands, StageDecisions, Transactor } from './ports';
import { ladderOfRun } from './watches';

/** Who resolves when the command names nobody: a person. */
export const DEFAULT_RESOLVER: Actor = Object.freeze({ kind: 'human', id: 'human' });

function viewOf(state: EscalationState, escalationId: string): EscalationView {
  if (state.status === 'none') throw new BatonError('INTERNAL', `escalation ${escalationId} was not raised`);
  return toEscalationView(state);
}

/** A command id for a command this one sends on (bounded to the 200 characters command ids may have). */
function derivedCommandId(commandId: string, suffix: string): string {
  const id = `${commandId}:${suffix}`;
  return id.length <= 200 ? id : joinId(commandId, suffix);
}

/**
 * The use cases behind `baton.cmd.escalation.*`: raising an escalation by hand and resolving
 * one, with the resolution of a held stage forwarded to the scheduler first.
 */
export class EscalationService {
  constructor(
    private readonly commands: EscalationCommands,
    private readonly directory: AgentDirectory,
    private readonly decisions: StageDecisions,
    private readonly transaction: Transactor,
    private readonly ladder: EscalationLadder,
    private readonly clock: Clock,
  ) {}

  /**
   * RaiseEscalation: opens an escalation at the given level (default: the trigger's start
   * level), assigned by the ladder; it climbs from now on like any other. Idempotent by
   * escalation id (default `manual-<commandId>`): raising the same one again returns it.
   */
  async raise(command: CommandEnvelope<DataOf<typeof RaiseEscalation>>, ctx: CommandContext): Promise<EscalationView> {
    const d = command.data;
    const escalationId = d.escalationId ?? manualEscalationId(command.commandId);
    const level = d.level ?? startLevelOf(d.trigger);
    const agentId = d.agentId ?? null;
    const contacts = agentId !== null && (level === 1 || level === 2) ? await this.directory.contactsOf(agentId) : undefined;
    const assignee = assigneeFor(level, agentId, contacts);
    const ladder = await this.transaction((q) => ladderOfRun(q, d.runId ?? null, this.ladder));
    const result = await this.commands.execute(
      escalationId,
      (metadata) => ({
        type: 'RaiseEscalation',
        data: {
          escalationId,
          trigger: d.trigger,
          level,
          assignee,
          issue: d.issue,
          workflowStage: d.workflowStage ?? null,
          options: d.options,
          recommendation: d.recommendation ?? null,
          blocking: d.blocking,
          runId: d.runId ?? null,
          stageId: d.stageId ?? null,
          iteration: null,
          taskId: d.taskId ?? null,
          agentId,
          conflictId: null,
          decidesStage: false,
          since: this.clock.now().toISOString(),
          ladder,
        },
        metadata,
      }),
      ctx,
    );
    return viewOf(result.state, escalationId);
  }

  /**
   * ResolveEscalation: logs the resolution. For an escalation that holds a stage,
   * `exception_granted` first approves the stage in the scheduler and `resolved` rejects it,
   * as the resolving actor; `reassigned` with `reassignTo` on a task's escalation hands the task
   * to that agent (`reassign-task`). If the scheduler refuses, its error is the reply and nothing
   * is appended. Unknown id → NOT_FOUND; already resolved → ILLEGAL_TRANSITION.
   */
  async resolve(command: CommandEnvelope<DataOf<typeof ResolveEscalation>>, ctx: CommandContext): Promise<EscalationView> {
    const d = command.data;
    const by = command.actor ?? DEFAULT_RESOLVER;
    const result = await this.commands.execute(
      d.escalationId,
      (metadata) => ({
        type: 'ResolveEscalation',
        data: { escalationId: d.escalationId, resolution: d.resolution, reason: d.reason, by, ...(d.reassignTo !== undefined ? { reassignTo: d.reassignTo } : {}) },
        metadata,
      }),
      { ...ctx, actor: by },
      {
        beforeAppend: async (state) => {
          if (state.status !== 'open') return;
          const decision = { actor: by, ...(command.correlationId ? { correlationId: command.correlationId } : {}) };
          if (d.resolution === 'reassigned' && d.reassignTo !== undefined && state.raised.taskId !== null) {
            // The task goes to the chosen agent before the resolution is logged; a refusal (agent offline, task finished) changes nothing.
            await this.decisions.reassignTask(state.raised.taskId, d.reassignTo, d.reason, { ...decision, commandId: derivedCommandId(command.commandId, 'reassign-task') });
            return;
          }
          if (!state.raised.decidesStage) return;
          const { runId, stageId } = state.raised;
          if (runId === null || stageId === null) return;
          if (d.resolution === 'exception_granted') {
            await this.decisions.approveStage(runId, stageId, d.reason, { ...decision, commandId: derivedCommandId(command.commandId, 'approve-stage') });
          } else if (d.resolution === 'resolved') {
            await this.decisions.rejectStage(runId, stageId, d.reason, { ...decision, commandId: derivedCommandId(command.commandId, 'reject-stage') });
          }
        },
      },
    );
    return viewOf(result.state, d.escalationId);
  }
}
