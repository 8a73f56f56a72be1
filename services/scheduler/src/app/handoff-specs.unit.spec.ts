import { HandoffCatalog, parseHandoffSpecs } from '@baton/handoff-rules';
import { applicableSpecs, receivedHandoffSla } from './handoff-specs';

// The shapes of seed 000's specs (the real files are loaded by the services; here inline, no I/O).
const catalog = new HandoffCatalog(
  parseHandoffSpecs(
    `
handoff:
  id: HO-PM-ARCH
  from: MCT-PM-001
  to: MCT-ARCH-001
  required_artifacts:
    - name: prd.md
      validation: ["user_stories: min 3"]
  required_context: [priority_level]
  sla: { acknowledgment: "30 minutes", first_output: "4 hours" }
---
handoff:
  id: HO-DEV-SEC
  from: [MCT-BE-001, MCT-FE-001]
  to: MCT-SEC-001
  required_artifacts:
    - name: pull_request
      validation: [tests_passing]
  sla: { acknowledgment: "10 minutes" }
`,
    'specs.yaml',
  ),
);

describe('handoff specs for a task', () => {
  it('applies a spec from the task agent when it goes to a next agent or concerns an artifact the stage declares', () => {
    expect(applicableSpecs(catalog, 'MCT-PM-001', ['MCT-UXD-001'], ['prd.md'])).toEqual(['HO-PM-ARCH']);
    expect(applicableSpecs(catalog, 'MCT-PM-001', ['MCT-ARCH-001'], null)).toEqual(['HO-PM-ARCH']);
    expect(applicableSpecs(catalog, 'MCT-PM-001', ['MCT-UXD-001'], ['notes.md'])).toEqual([]);
    expect(applicableSpecs(catalog, 'MCT-BE-001', ['MCT-SEC-001'], null)).toEqual(['HO-DEV-SEC']);
    expect(applicableSpecs(catalog, 'MCT-QA-001', ['MCT-SEC-001'], null)).toEqual([]);
  });

  it('gives a receiving agent the tightest SLAs of the handoffs from agents that delivered earlier', () => {
    expect(receivedHandoffSla(catalog, 'MCT-ARCH-001', ['MCT-CPO-001', 'MCT-PM-001'])).toEqual({ specIds: ['HO-PM-ARCH'], acknowledgmentMs: 1_800_000, firstOutputMs: 14_400_000 });
    expect(receivedHandoffSla(catalog, 'MCT-SEC-001', ['MCT-BE-001'])).toEqual({ specIds: ['HO-DEV-SEC'], acknowledgmentMs: 600_000, firstOutputMs: null });
    expect(receivedHandoffSla(catalog, 'MCT-ARCH-001', ['MCT-CPO-001'])).toBeNull();
  });
});
