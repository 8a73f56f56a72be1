import { assertSchemaName, MigrationFailedError } from './migrations';

describe('assertSchemaName', () => {
  it('accepts plain lower-case identifiers', () => {
    expect(assertSchemaName('agent_registry')).toBe('agent_registry');
  });

  it.each(['Agent', 'agent-registry', '1abc', 'a;drop', ''])('rejects %p with VALIDATION_FAILED', (name) => {
    expect(() => assertSchemaName(name)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});

describe('MigrationFailedError', () => {
  it('names the schema and the failing migration, and keeps the cause', () => {
    const cause = new Error('relation "x" already exists');
    const err = new MigrationFailedError('agent_registry', '0002_add_x', cause);
    expect(err.code).toBe('INTERNAL');
    expect(err.message).toBe('migration "0002_add_x" of schema "agent_registry" failed: relation "x" already exists');
    expect(err.details).toEqual({ schema: 'agent_registry', migration: '0002_add_x', reason: 'relation "x" already exists' });
    expect(err.cause).toBe(cause);
  });
});
