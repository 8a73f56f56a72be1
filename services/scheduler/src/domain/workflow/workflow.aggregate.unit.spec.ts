import { deciderSpec } from '@baton/aggregate';
import { toWorkflowEvent, workflowAggregate, type RegisterWorkflowVersion, type WorkflowEvent } from './workflow.aggregate';

const now = '2026-01-01T00:00:00.000Z';
const yaml = 'id: feature\nversion: 1.0.0\n';
const register = (version: string, hash: string): RegisterWorkflowVersion => ({
  type: 'RegisterWorkflowVersion',
  data: { workflowId: 'feature', version, hash, yaml },
  metadata: { commandId: `register:feature:${version}:${hash}`, now },
});
const registered = (version: string, hash: string, registeredAt = now): WorkflowEvent => ({
  type: 'WorkflowVersionRegistered',
  data: { workflowId: 'feature', version, hash, yaml, registeredAt },
});

describe('workflow definitions decider', () => {
  const spec = deciderSpec(workflowAggregate);

  it('registers a new version with its YAML, hash and time', () => {
    const after = spec.given([]).when(register('1.0.0', 'h1')).then([registered('1.0.0', 'h1')]);
    expect(after.versions).toEqual([{ version: '1.0.0', hash: 'h1', yaml, registeredAt: now }]);
  });

  it('the same content again decides nothing', () => {
    spec.given([registered('1.0.0', 'h1', '2025-12-01T00:00:00.000Z')]).when(register('1.0.0', 'h1')).then([]);
  });

  it('another version of the same workflow is registered next to the first', () => {
    const after = spec.given([registered('1.0.0', 'h1')]).when(register('1.1.0', 'h2')).then([registered('1.1.0', 'h2')]);
    expect(after.versions.map((v) => v.version)).toEqual(['1.0.0', '1.1.0']);
  });

  it('the same version with other content is a CONFLICT naming both hashes', () => {
    spec.given([registered('1.0.0', 'h1')]).when(register('1.0.0', 'h2')).thenThrows('CONFLICT', /bump "version"/);
  });

  it('reads stored events through the contract schema', () => {
    expect(toWorkflowEvent({ type: 'WorkflowVersionRegistered', schemaVersion: 1, data: registered('1.0.0', 'h1').data })).toEqual(registered('1.0.0', 'h1'));
    expect(() => toWorkflowEvent({ type: 'WorkflowRetired', schemaVersion: 1, data: {} })).toThrow(expect.objectContaining({ code: 'UNKNOWN_SCHEMA_VERSION' }));
  });
});
