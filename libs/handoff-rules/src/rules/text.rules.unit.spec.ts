import { art, checkOne, gates, inputOf } from '../testing.helpers';
import { findSecrets, maskSecret } from './secrets.rule';

describe.each([
  {
    rule: 'no_tbd_markers',
    // Lower-case words and words that merely contain the letters are not markers.
    clean: '# PRD\n\nThe todo list feature ships in Q3. XXXL sizes are out of scope.\n',
    text: '# PRD\n\nGoal: TBD\nOwner: ???\nSee [placeholder] and TODO(alice), FIXME, XXX.\n',
    count: 'prd.md has 6 TBD markers',
    missing: ['line 3: "TBD"', 'line 4: "???"', 'line 5: "[placeholder]"', 'line 5: "TODO"', 'line 5: "FIXME"', 'line 5: "XXX"'],
  },
  {
    rule: 'no_ambiguous_terms',
    clean: 'Exports CSV and JSON. Retries 3 times.\n',
    text: 'Supports CSV, JSON, etc.\nAdmins and/or owners may export.\nRetry as needed, if possible.\nLimits TBC.\nOwner TBD.\n',
    count: 'prd.md has 6 ambiguous terms',
    missing: ['line 1: "etc."', 'line 2: "and/or"', 'line 3: "as needed"', 'line 3: "if possible"', 'line 4: "TBC"', 'line 5: "TBD"'],
  },
])('$rule', ({ rule, clean, text, count, missing }) => {
  it('passes clean text', () => {
    expect(checkOne(rule, 'prd.md', clean)).toEqual([]);
  });

  it('lists every finding with its line', () => {
    const [f] = checkOne(rule, 'prd.md', text);
    expect(f).toMatchObject({ rule, artifact: 'prd.md' });
    expect(f?.message).toContain(count);
    expect(f?.missing).toEqual(missing);
  });
});

describe('no_tbd_markers', () => {
  it('as a gate, checks every text artifact and names the one at fault', () => {
    const failures = gates(['no_tbd_markers'], inputOf([art('a.md', 'fine'), art('b.md', 'TBD'), art('c.bin', ''), art('logo.png', '\u0000PNG')]));
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ source: 'quality_gate', specId: null, artifact: 'b.md', missing: ['line 1: "TBD"'] });
  });
});

describe('matches / not_matches', () => {
  it('matches: passes when the pattern matches, with flags', () => {
    expect(checkOne('matches: /^# .+/m', 'notes.md', 'intro\n# Title\n')).toEqual([]);
    expect(checkOne('matches: /^# .+/', 'notes.md', 'intro\n# Title\n')).toHaveLength(1);
  });

  it('matches: fails saying which pattern did not match', () => {
    const [f] = checkOne('matches: /^# .+/m', 'notes.md', 'no heading here\n');
    expect(f).toMatchObject({ rule: 'matches: /^# .+/m', missing: ['text matching /^# .+/m'] });
    expect(f?.message).toBe('notes.md does not match /^# .+/m: change it so it does');
  });

  it('not_matches: passes when absent, fails listing each matching line', () => {
    expect(checkOne('not_matches: /console\\.log/', 'app.ts', 'logger.info("x");\n')).toEqual([]);
    const [f] = checkOne('not_matches: /console\\.log/i', 'app.ts', 'a();\nCONSOLE.LOG("x");\nconsole.log(1); console.log(2);\n');
    expect(f?.missing).toEqual(['line 2: "CONSOLE.LOG("x");"', 'line 3: "console.log(1); console.log(2);"']);
    expect(f?.message).toContain('app.ts has 2 lines with a match of /console\\.log/i');
  });
});

describe('no_console_logs', () => {
  it('passes code without console.log/debug calls', () => {
    expect(checkOne('no_console_logs', 'code_changes', '+ logger.info("paused");\n+ console.error("boom");\n')).toEqual([]);
  });

  it('fails on console.log and console.debug calls, with lines', () => {
    const [f] = checkOne('no_console_logs', 'code_changes', '+ const x = 1;\n+ console.log("x", x);\n+ console.debug (x);\n');
    expect(f).toMatchObject({ rule: 'no_console_logs', artifact: 'code_changes', missing: ['line 2: "+ console.log("x", x);"', 'line 3: "+ console.debug (x);"'] });
  });

  it('as a gate, skips markdown (docs may show console.log) and checks code', () => {
    const failures = gates(['no_console_logs'], inputOf([art('README.md', 'Run `console.log(x)`'), art('app.js', 'console.log(1)')]));
    expect(failures.map((f) => f.artifact)).toEqual(['app.js']);
  });
});

describe('no_secrets', () => {
  // Built by concatenation so that secret scanners do not flag this file.
  const AWS_ID = 'AKIA' + 'IOSFODNN7EXAMPLE';
  const GH = 'ghp' + '_' + 'a'.repeat(36);
  const SLACK = 'xox' + 'b-1234567890-abcdefghij';
  const GOOGLE = 'AIza' + 'SyA1234567890abcdefghijklmnopqrstuv';
  const STRIPE = 'sk_' + 'live_' + '4eC39HqLyjWDarjtT1zdp7dc';
  const JWT = 'eyJ' + 'hbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
  const PEM = '-----BEGIN ' + 'RSA PRIVATE KEY-----';
  const AWS_SECRET = 'aws_secret_access_key = ' + 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ1r2s3t4u';

  it('passes text without secrets, and ignores placeholders', () => {
    expect(checkOne('no_secrets', 'config.yaml', 'password: "${DB_PASSWORD}"\napi_key: "<your-key>"\ntoken: short\n')).toEqual([]);
  });

  it('finds each kind, by line, and never shows more than the first 4 characters', () => {
    const text = [AWS_ID, GH, SLACK, GOOGLE, STRIPE, JWT, PEM, AWS_SECRET, 'password = "hunter2hunter2"', 'const apiKey = "Zm9vYmFyYmF6cXV4"'].join('\n');
    const hits = findSecrets(text);
    expect(hits.map((h) => [h.line, h.kind])).toEqual([
      [1, 'AWS access key id'],
      [2, 'GitHub token'],
      [3, 'Slack token'],
      [4, 'Google API key'],
      [5, 'Stripe live secret key'],
      [6, 'JSON Web Token'],
      [7, 'PEM private key'],
      [8, 'AWS secret access key'],
      [9, 'hard-coded credential'],
      [10, 'hard-coded credential'],
    ]);
    const [f] = checkOne('no_secrets_exposed', 'config.txt', text);
    expect(f?.rule).toBe('no_secrets_exposed');
    expect(f?.message).toContain('config.txt exposes 10 secrets');
    expect(f?.missing[0]).toBe(`line 1: AWS access key id (AKIA${'*'.repeat(16)})`);
    const all = `${f?.message ?? ''}\n${(f?.missing ?? []).join('\n')}`;
    for (const secret of [AWS_ID, GH, SLACK, GOOGLE, STRIPE, JWT, 'hunter2hunter2', 'wJalrXUtnFEMI', 'Zm9vYmFyYmF6cXV4']) expect(all).not.toContain(secret.slice(4, 12));
  });

  it('masks all but the first 4 characters', () => {
    expect(maskSecret('abcdefgh')).toBe('abcd****');
  });

  it('as a criterion, checks every text artifact', () => {
    const failures = gates(['no_secrets_exposed'], inputOf([art('ok.md', 'nothing'), art('.env', `TOKEN=${GH}`)]));
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ artifact: '.env', missing: [`line 1: GitHub token (ghp_${'*'.repeat(16)})`] });
  });
});
