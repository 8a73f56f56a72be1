import { AGENT_INBOX_STREAM, AcceptTask, ApproveStage, ClaimTask, CompleteTask, FailTask, OpenInbox, RaiseEscalation, RegisterAgent, RemoveAgent, ReportAgentState, ReportBlocked, ReportProgress, ReportUnblocked, SubmitTask, Subjects, UpdateAgent, agentCommands, registeredMessages } from '@baton/contracts';
import { agentPermissions, permissionsFor, readerPermissions } from './permissions';

describe('permissions generated from the contracts', () => {
  it("an agent's publish list is exactly its agent-scoped commands, its heartbeat, the queries and its own inbox consumer", () => {
    const p = agentPermissions('be-1');
    const expected = [
      ...agentCommands().map((d) => `baton.agent.be-1.cmd.${d.name}`),
      'baton.agent.be-1.heartbeat',
      ...registeredMessages().filter((d) => d.kind === 'query').map((d) => d.subject),
      `$JS.API.CONSUMER.INFO.${AGENT_INBOX_STREAM}.agent-be-1`,
      `$JS.API.CONSUMER.MSG.NEXT.${AGENT_INBOX_STREAM}.agent-be-1`,
      `$JS.ACK.${AGENT_INBOX_STREAM}.agent-be-1.>`,
    ];
    expect(p.pub).toEqual(expected);
    expect(p.sub).toEqual(['_INBOX.agent.be-1.>']);
  });

  it('the agent commands are those the SDKs send about themselves; approvals and admin commands are not among them', () => {
    const names = agentCommands().map((d) => d.name).sort();
    for (const d of [RegisterAgent, UpdateAgent, ReportAgentState, OpenInbox, AcceptTask, ReportProgress, ReportBlocked, ReportUnblocked, CompleteTask, FailTask, ClaimTask, SubmitTask, RaiseEscalation]) {
      expect(names).toContain(d.name);
      expect(d.agentSubject).toBe(Subjects.agentCommand('*', d.name));
    }
    for (const d of [ApproveStage, RemoveAgent]) expect(names).not.toContain(d.name);
    const pub = agentPermissions('be-1').pub;
    expect(pub.some((s) => s.startsWith('baton.cmd.'))).toBe(false);
    expect(pub.some((s) => s.startsWith('$JS.API.STREAM.') || s.includes('CONSUMER.CREATE') || s.includes('CONSUMER.DELETE') || s === '$JS.API.INFO')).toBe(false);
    expect(pub.every((s) => !s.includes('*') && (s.endsWith('.>') ? s.startsWith('$JS.ACK.') : true))).toBe(true);
  });

  it('a reader may only read the events stream through its own durable', () => {
    const p = readerPermissions('dash');
    expect(p.pub.every((s) => s.startsWith('$JS.') && (s.includes('.BATON_EVENTS.dash') || s === '$JS.API.STREAM.INFO.BATON_EVENTS'))).toBe(true);
    expect(p.sub).toEqual(['_INBOX.reader.dash.>']);
  });

  it('services and admins are broad, the harness everything', () => {
    expect(permissionsFor('service', 'scheduler').pub).toContain('baton.>');
    expect(permissionsFor('admin', 'ops').sub).toContain('_INBOX.>');
    expect(permissionsFor('harness', 'tests')).toEqual({ pub: ['>'], sub: ['>'] });
  });
});
