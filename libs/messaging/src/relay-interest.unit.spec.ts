import { relayPublishModeFromEnv, subjectMatches } from './relay-interest';

describe('subjectMatches', () => {
  it.each([
    ['baton.evt.>', 'baton.evt.task.created', true],
    ['baton.evt.task.>', 'baton.evt.task.created', true],
    ['baton.evt.task.>', 'baton.evt.task', false],
    ['baton.evt.*.created', 'baton.evt.task.created', true],
    ['baton.evt.*.created', 'baton.evt.run.completed', false],
    ['baton.evt.task.created', 'baton.evt.task.created', true],
    ['baton.evt.task.created', 'baton.evt.task.created.x', false],
    ['baton.evt.task.*', 'baton.evt.task.created.x', false],
    ['>', 'baton.evt.task.created', true],
    ['baton.evt.run.>', 'baton.evt.task.created', false],
  ])('%s matches %s: %s', (filter, subject, expected) => {
    expect(subjectMatches(filter, subject)).toBe(expected);
  });
});

describe('relayPublishModeFromEnv', () => {
  it('defaults to interest, takes all, and names the variable for anything else', () => {
    expect(relayPublishModeFromEnv({})).toBe('interest');
    expect(relayPublishModeFromEnv({ BATON_RELAY_PUBLISH: 'ALL' })).toBe('all');
    expect(() => relayPublishModeFromEnv({ BATON_RELAY_PUBLISH: 'some' })).toThrow(/BATON_RELAY_PUBLISH must be one of interest, all, got "some"/);
  });
});
