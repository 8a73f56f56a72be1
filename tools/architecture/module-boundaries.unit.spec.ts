import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { ESLint } from 'eslint';

// The architecture is enforced by lint rules (eslint.config.mjs). These fixtures break
// each rule on purpose; the main lint run ignores them, this test lints them explicitly.
const root = path.resolve(__dirname, '..', '..');

async function lint(file: string): Promise<ESLint.LintResult> {
  const eslint = new ESLint({ cwd: root, ignore: false });
  const [result] = await eslint.lintFiles([path.join(root, file)]);
  if (!result) throw new Error(`no lint result for ${file}`);
  return result;
}

describe('module-boundary lint', () => {
  beforeAll(() => {
    // @nx/enforce-module-boundaries reads the cached project graph; make sure it exists.
    execFileSync(path.join(root, 'node_modules', '.bin', 'nx'), ['show', 'projects'], {
      cwd: root,
      env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
      stdio: 'ignore',
    });
  }, 60_000);

  it('fails when a service imports another service', async () => {
    const r = await lint('services/scheduler/src/fixtures/lint/imports-another-service.ts');
    const boundary = r.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries');
    expect(boundary.length).toBeGreaterThan(0);
    expect(boundary.map((m) => m.message).join('\n')).toMatch(/Imports of apps are forbidden|scope:scheduler|tagged with/);
  }, 30_000);

  it('fails when a library imports a service', async () => {
    const r = await lint('libs/contracts/src/fixtures/lint/imports-service.ts');
    expect(r.messages.some((m) => m.ruleId === '@nx/enforce-module-boundaries')).toBe(true);
  }, 30_000);

  it('fails when domain code imports NestJS or Kysely', async () => {
    const r = await lint('services/scheduler/src/domain/fixtures/lint/imports-io.ts');
    const restricted = r.messages.filter((m) => m.ruleId === 'no-restricted-imports');
    expect(restricted.map((m) => m.message)).toEqual([
      expect.stringContaining('src/domain is pure'),
      expect.stringContaining('src/domain is pure'),
    ]);
  }, 30_000);

  it('fails when app code imports the service\'s adapters, and lets it import the read model', async () => {
    const r = await lint('services/handoff-validator/src/app/fixtures/lint/imports-adapters.ts');
    const restricted = r.messages.filter((m) => m.ruleId === 'no-restricted-imports');
    const message = 'src/app must not import src/adapters: put shared tables/queries in src/read-model and pass adapters in through ports';
    // Two adapter imports flagged on their lines; the read-model import on line 5 is not.
    expect(restricted.map((m) => [m.line, m.message])).toEqual([
      [3, expect.stringContaining(message)],
      [4, expect.stringContaining(message)],
    ]);
  }, 30_000);

  it('passes app code that imports only the domain, the read model and its own ports', async () => {
    const r = await lint('services/handoff-validator/src/app/handoff.queries.ts');
    expect(r.messages).toEqual([]);
  }, 30_000);

  it('passes clean library code', async () => {
    const r = await lint('libs/contracts/src/subjects.ts');
    expect(r.messages).toEqual([]);
  }, 30_000);
});
