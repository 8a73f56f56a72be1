import { readFileSync } from 'node:fs';
import path from 'node:path';
import { consoleOnlyRules, inputSubjectsOf, parseRulesFile, readSecret } from './rules.config';

const EXAMPLE = path.resolve(__dirname, '../../../../examples/notifications.yaml');
const SECRET = `whsec_${Buffer.from('a secret key of 32 bytes, enough').toString('base64')}`;
const ENV = {
  SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T0/B0/runs-token',
  SLACK_HEALTH_WEBHOOK_URL: 'https://hooks.slack.com/services/T0/B1/health-token',
  BATON_WEBHOOK_URL: 'https://receiver.example.com/baton',
  BATON_WEBHOOK_SECRET: SECRET,
  PAGERDUTY_ROUTING_KEY: 'R0UT1NGKEY0000000000000000000000',
  SMTP_PASSWORD: 'smtp-pass-123',
};

const problemsOf = (text: string, env: Record<string, string> = {}): string => {
  try {
    parseRulesFile(text, 'rules.yaml', env);
  } catch (err) {
    expect((err as { code?: string }).code).toBe('VALIDATION_FAILED');
    return (err as Error).message;
  }
  throw new Error('expected the rules to be refused');
};

describe('notification rules file', () => {
  it('the example parses, with every secret read from the environment', () => {
    const rules = parseRulesFile(readFileSync(EXAMPLE, 'utf8'), EXAMPLE, ENV);
    expect(Object.keys(rules.channels).sort()).toEqual(['console', 'email', 'events-webhook', 'pagerduty', 'slack', 'slack-health']);
    expect(rules.channels['pagerduty']).toMatchObject({ settings: { kind: 'pagerduty', url: 'https://events.pagerduty.com' }, delivery: { maxAttempts: 12, initialDelayMs: 1000, maxDelayMs: 30_000, timeoutMs: 10_000, concurrency: 4 } });
    expect(rules.table.channels['slack-health']).toMatchObject({ kind: 'slack', defaultRecipient: '#agent-health' });
    expect(rules.table.rules.map((r) => r.id)).toEqual(['run-timeline', 'p0-page', 'agent-health', 'escalations', 'approvals', 'workflow-on-failure', 'stakeholders']);
    expect(rules.secrets).toEqual(expect.arrayContaining([ENV.SLACK_WEBHOOK_URL, SECRET, ENV.PAGERDUTY_ROUTING_KEY, ENV.SMTP_PASSWORD]));
    expect(inputSubjectsOf(rules.table)).toEqual(['baton.evt.escalation.>', 'baton.evt.health.>', 'baton.evt.run.>', 'baton.evt.workflow.>']);
  });

  it('a missing secret stops start-up naming the variable, never a value', () => {
    const message = problemsOf(readFileSync(EXAMPLE, 'utf8'), { ...ENV, PAGERDUTY_ROUTING_KEY: '' });
    expect(message).toContain('channels.pagerduty.routing_key_env (the PagerDuty routing key): set PAGERDUTY_ROUTING_KEY (or PAGERDUTY_ROUTING_KEY_FILE)');
    expect(message).not.toContain(ENV.SLACK_WEBHOOK_URL);
    expect(message).not.toContain(SECRET);
  });

  it('secrets come from NAME or NAME_FILE', () => {
    const files: Record<string, string> = { '/run/secrets/key': 'from-a-file\n' };
    expect(readSecret('KEY', { KEY_FILE: '/run/secrets/key' }, (p) => files[p] ?? '')).toBe('from-a-file');
    expect(readSecret('KEY', { KEY: 'direct', KEY_FILE: '/run/secrets/key' }, (p) => files[p] ?? '')).toBe('direct');
    expect(readSecret('KEY', {})).toBeUndefined();
    expect(() => readSecret('KEY', { KEY_FILE: '/nope' }, () => { throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' }); })).toThrow('KEY_FILE names a file that cannot be read: ENOENT');
  });

  it('mistakes are reported with their place, all at once', () => {
    const message = problemsOf(
      [
        'channels:',
        '  slack: { kind: slack, url_env: SLACK_URL }',
        '  hook: { kind: webhook, url: "http://127.0.0.1:1/x", secret_env: HOOK_SECRET }',
        '  sms: { kind: sms }',
        'rules:',
        '  - id: a',
        '    on: [run.started]',
        '    to: [{ channel: slak }]',
      ].join('\n'),
      { SLACK_URL: 'https://hooks.slack.com/x', HOOK_SECRET: 'not-a-whsec' },
    );
    expect(message).toContain('channels.sms.kind: must be one of slack, webhook, email, pagerduty, console');
    const second = problemsOf(
      ['channels:', '  slack: { kind: slack, url_env: SLACK_URL }', '  hook: { kind: webhook, url: "http://127.0.0.1:1/x", secret_env: HOOK_SECRET }', 'rules:', '  - id: a', '    on: [run.started, "notification.>"]', '    to: [{ channel: slak }]'].join('\n'),
      { SLACK_URL: 'https://hooks.slack.com/x', HOOK_SECRET: 'not-a-whsec' },
    );
    expect(second).toContain('rules[0] (a).to[0].channel: no channel named "slak" (did you mean "slack"?)');
    expect(second).toContain("rules[0] (a).on: the notifier's own events (notification.*) cannot trigger notifications");
    expect(second).toContain('channels.hook.secret_env: HOOK_SECRET must hold a Standard Webhooks secret');
    expect(second).not.toContain('not-a-whsec');
    expect(problemsOf('rules: [{ id: x, on: ["Run Started"], to: [{ channel: c }] }]\nchannels: {}')).toContain('rules.0.on.0: a topic pattern like run.started');
    expect(problemsOf('channels: { a: { kind: console } }\ndelivery: { timeout: 10 minutes, initial_delay: soon }')).toContain('delivery.initial_delay: "soon" is not a duration');
    expect(problemsOf('channels: [')).toContain('not valid YAML');
  });

  it('without a rules file, everything goes to the console', () => {
    const rules = consoleOnlyRules();
    expect(Object.keys(rules.channels)).toEqual(['console']);
    expect(rules.secrets).toEqual([]);
  });
});
