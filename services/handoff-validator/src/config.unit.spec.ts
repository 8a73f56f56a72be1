import path from 'node:path';
import { MAX_ARTIFACT_BYTES } from '@baton/contracts';
import { DEFAULT_ARTIFACT_MAX_BYTES, DEFAULT_HANDOFFS_DIR, readHandoffValidatorConfig, REPO_ROOT } from './config';

describe('handoff-validator config', () => {
  it('has working defaults', () => {
    const config = readHandoffValidatorConfig({});
    expect(config).toMatchObject({
      databaseUrl: 'postgres://baton:baton@127.0.0.1:5432/baton',
      natsUrl: 'nats://127.0.0.1:4222',
      httpPort: 3103,
      httpHost: '127.0.0.1',
      handoffsDir: { path: DEFAULT_HANDOFFS_DIR, source: 'default' },
      artifactMaxBytes: 512 * 1024,
      eventStore: { kind: 'postgres' },
    });
    expect(DEFAULT_ARTIFACT_MAX_BYTES).toBe(524_288);
  });

  it('resolves the default HANDOFFS_DIR and relative values from the repository root', () => {
    expect(DEFAULT_HANDOFFS_DIR).toBe(path.join(REPO_ROOT, 'examples', 'handoffs'));
    expect(path.join(REPO_ROOT, 'services', 'handoff-validator', 'src')).toBe(__dirname);
    expect(readHandoffValidatorConfig({ HANDOFFS_DIR: 'my/specs' }).handoffsDir).toEqual({ path: path.join(REPO_ROOT, 'my', 'specs'), source: 'env' });
    expect(readHandoffValidatorConfig({ HANDOFFS_DIR: '/etc/baton/handoffs' }).handoffsDir).toEqual({ path: '/etc/baton/handoffs', source: 'env' });
  });

  it('reads HANDOFF_RULE_MODULES as a comma-separated list of plug-in modules, resolved from the repository root', () => {
    expect(readHandoffValidatorConfig({}).ruleModules).toEqual([]);
    expect(readHandoffValidatorConfig({ HANDOFF_RULE_MODULES: 'examples/handoffs/rules/house-style.rules.ts, /opt/rules/ours.js ,' }).ruleModules).toEqual([
      path.join(REPO_ROOT, 'examples', 'handoffs', 'rules', 'house-style.rules.ts'),
      '/opt/rules/ours.js',
    ]);
  });

  it('treats blank values as unset', () => {
    expect(readHandoffValidatorConfig({ HANDOFFS_DIR: '  ', ARTIFACT_MAX_BYTES: '', HTTP_PORT: ' ' })).toMatchObject({
      handoffsDir: { source: 'default' },
      artifactMaxBytes: DEFAULT_ARTIFACT_MAX_BYTES,
      httpPort: 3103,
    });
  });

  it('reads ARTIFACT_MAX_BYTES up to the contract limit', () => {
    expect(readHandoffValidatorConfig({ ARTIFACT_MAX_BYTES: '65536' }).artifactMaxBytes).toBe(65_536);
    expect(readHandoffValidatorConfig({ ARTIFACT_MAX_BYTES: String(MAX_ARTIFACT_BYTES) }).artifactMaxBytes).toBe(MAX_ARTIFACT_BYTES);
  });

  it.each([
    ['ARTIFACT_MAX_BYTES', String(MAX_ARTIFACT_BYTES + 1)],
    ['ARTIFACT_MAX_BYTES', '0'],
    ['ARTIFACT_MAX_BYTES', '512KiB'],
    ['HTTP_PORT', '70000'],
    ['DATABASE_URL', 'mysql://x@y/z'],
    ['BATON_EVENT_STORE', 'cassandra'],
  ])('stops on a bad %s (%s) with a message naming it', (variable, value) => {
    expect(() => readHandoffValidatorConfig({ [variable]: value })).toThrow(variable);
  });
});
