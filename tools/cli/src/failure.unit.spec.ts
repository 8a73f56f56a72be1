import { BatonError, UnavailableError, ValidationError } from '@baton/contracts';
import { CliError, describeFailure, ExitCode, serviceOfSubject } from './failure';
import { connectFailureReason, NatsUnreachableError } from './rpc';

const URL = 'nats://127.0.0.1:4222';

describe('describeFailure', () => {
  it('says Baton is not running, exit 2, when NATS cannot be reached', () => {
    const f = describeFailure(new NatsUnreachableError('nats://10.0.0.9:4222', 'connection refused'), URL);
    expect(f).toEqual({
      exitCode: ExitCode.unreachable,
      lines: ['baton: cannot reach NATS at nats://10.0.0.9:4222 (connection refused). Is Baton running? Start it with: npm start'],
    });
  });

  it('names the service nobody answers for (UNAVAILABLE), exit 2', () => {
    const err = new UnavailableError('no service is answering on baton.qry.scheduler.get-run', { subject: 'baton.qry.scheduler.get-run' });
    expect(describeFailure(err, URL)).toEqual({
      exitCode: 2,
      lines: ['baton: cannot reach the scheduler at nats://127.0.0.1:4222 (no responders). Is Baton running? Start it with: npm start'],
    });
  });

  it('treats a TIMEOUT as not reachable too, exit 2', () => {
    const err = new BatonError('TIMEOUT', 'no reply on baton.qry.agent-registry.list-agents within 5000 ms', { subject: 'baton.qry.agent-registry.list-agents' });
    const f = describeFailure(err, URL);
    expect(f.exitCode).toBe(2);
    expect(f.lines[0]).toBe(
      'baton: the agent-registry at nats://127.0.0.1:4222 did not answer in time (no reply on baton.qry.agent-registry.list-agents within 5000 ms). Is Baton running? Start it with: npm start',
    );
  });

  it('prints an error reply as CODE: message, exit 1', () => {
    const f = describeFailure(new BatonError('NOT_FOUND', 'run r-1 was not found', { what: 'run', id: 'r-1' }), URL);
    expect(f).toEqual({ exitCode: 1, lines: ['baton: NOT_FOUND: run r-1 was not found'] });
  });

  it('adds the located diagnostics and the schema issues of VALIDATION_FAILED, once each', () => {
    const diag = { file: 'x.yml', line: 3, column: 5, message: 'unknown key "nxt"', text: 'x.yml:3:5: unknown key "nxt"' };
    const f = describeFailure(new ValidationError('x.yml: 1 error in workflow definition', { errors: [diag] }), URL);
    expect(f.lines).toEqual(['baton: VALIDATION_FAILED: x.yml: 1 error in workflow definition', '  x.yml:3:5: unknown key "nxt"']);

    const multi = describeFailure(new ValidationError('x.yml: 1 error in workflow definition\nx.yml:3:5: unknown key "nxt"', { errors: [diag] }), URL);
    expect(multi.lines).toEqual(['baton: VALIDATION_FAILED: x.yml: 1 error in workflow definition', '  x.yml:3:5: unknown key "nxt"']);

    const issues = describeFailure(new ValidationError('invalid data', { issues: [{ path: 'runId', message: 'use letters' }] }), URL);
    expect(issues.lines).toEqual(['baton: VALIDATION_FAILED: invalid data', '  runId: use letters']);
  });

  it('prints a CliError with its own code and detail lines', () => {
    expect(describeFailure(new CliError('run r-1 failed', ExitCode.failed, ['  see logs']), URL)).toEqual({ exitCode: 1, lines: ['baton: run r-1 failed', '  see logs'] });
  });

  it('prints anything else as its message, exit 1', () => {
    expect(describeFailure(new Error('EACCES: permission denied, open x.yml'), URL)).toEqual({ exitCode: 1, lines: ['baton: EACCES: permission denied, open x.yml'] });
  });
});

describe('helpers', () => {
  it('reads the service from a subject', () => {
    expect(serviceOfSubject('baton.cmd.scheduler.start-run')).toBe('scheduler');
    expect(serviceOfSubject('baton.qry.agent-registry.get-agent')).toBe('agent-registry');
    expect(serviceOfSubject('baton.evt.run.started')).toBeUndefined();
    expect(serviceOfSubject(undefined)).toBeUndefined();
  });

  it('gives a short reason for a failed connect', () => {
    expect(connectFailureReason(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4999'), { code: 'ECONNREFUSED' }))).toBe('connection refused');
    expect(connectFailureReason(new Error('outer', { cause: Object.assign(new Error('x'), { code: 'ENOTFOUND' }) }))).toBe('host not found');
    expect(connectFailureReason(new Error('TIMEOUT'))).toBe('timed out');
    expect(connectFailureReason(new Error('bad auth'))).toBe('bad auth');
  });
});
