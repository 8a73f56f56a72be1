import { parseArgs } from 'node:util';
import { BatonError } from '@baton/contracts';

/** Everything sim-agents reads from its flags and environment. */
export interface SimOptions {
  /** agents.yaml to take the team from (`--agents`, `SIM_AGENTS_FILE`). Default `examples/agents.yaml`. */
  readonly agentsFile: string;
  /** Only these agent ids (`--only a,b`, `SIM_ONLY`); all of the file when unset. */
  readonly only: readonly string[] | undefined;
  /** Simulated working time of one task, picked uniformly in [min, max] (`--duration-ms 500-2000`, `SIM_DURATION_MS`). */
  readonly durationMs: { readonly min: number; readonly max: number };
  /** Share of tasks that fail, 0..1 (`--failure-rate`, `SIM_FAILURE_RATE`). Default 0. */
  readonly failureRate: number;
  /** YAML file of outputs per action (`--outputs`, `SIM_OUTPUTS_FILE`). */
  readonly outputsFile: string | undefined;
  /** Seed of the random choices (`--seed`, `SIM_SEED`); random when unset. */
  readonly seed: number;
  /** Progress reports per task (`--steps`, `SIM_STEPS`). Default 4. */
  readonly steps: number;
  /** Heartbeat period (`--heartbeat-ms`, `SIM_HEARTBEAT_MS`). Default 5000. */
  readonly heartbeatMs: number;
  /** Ack wait of the inbox consumers (`--ack-wait-ms`, `SIM_ACK_WAIT_MS`). Default 10000. */
  readonly ackWaitMs: number;
  /** Assignments by the JetStream inbox alone, no `await-assignment` (`--inbox-only`, `SIM_INBOX_ONLY=1`). Default false. */
  readonly inboxOnly: boolean;
  /** One JSON object per line on stdout instead of lines for people (`--json`, `SIM_JSON=1`). */
  readonly json: boolean;
  /** `NATS_URL`. Default `nats://127.0.0.1:4222`. */
  readonly natsUrl: string;
  /**
   * Credentials of each agent: `NATS_CREDS_DIR` (each agent's own `<dir>/agent-<id>.creds`, as
   * `baton agents credentials` writes them), else `NATS_CREDS` (one file for all, e.g. an admin
   * credential); neither: none (a server with auth off).
   */
  readonly natsCreds?: { readonly dir: string } | { readonly file: string };
  readonly help: boolean;
}

export const USAGE = `usage: sim-agents [options]

Registers a team of simulated agents with Baton and works the tasks assigned to them.

  --agents <file>          agents.yaml (default examples/agents.yaml)          SIM_AGENTS_FILE
  --only <id,...>          only these agents                                    SIM_ONLY
  --duration-ms <min-max>  working time per task, e.g. 500-2000 or 800         SIM_DURATION_MS
  --failure-rate <0..1>    share of tasks that fail (retryable)                 SIM_FAILURE_RATE
  --outputs <file.yaml>    outputs per action, e.g. "triage: {outcome: P1}"     SIM_OUTPUTS_FILE
  --seed <n>               seed for a deterministic random                      SIM_SEED
  --steps <n>              progress reports per task (default 4)                SIM_STEPS
  --heartbeat-ms <n>       heartbeat period (default 5000)                      SIM_HEARTBEAT_MS
  --ack-wait-ms <n>        inbox ack wait (default 10000)                       SIM_ACK_WAIT_MS
  --inbox-only             take assignments from the inbox alone (no waiting    SIM_INBOX_ONLY=1
                           await-assignment requests)
  --json                   one JSON object per line on stdout                   SIM_JSON=1
  -h, --help               this text
NATS_URL selects the server (default nats://127.0.0.1:4222); NATS_CREDS_DIR (agent-<id>.creds per
agent) or NATS_CREDS (one .creds file for all) the credentials. SIGTERM stops cleanly.`;

type Env = Readonly<Record<string, string | undefined>>;

function credsOf(env: Env): Pick<SimOptions, 'natsCreds'> {
  const dir = fromEnv(env, 'NATS_CREDS_DIR')?.value;
  if (dir !== undefined) return { natsCreds: { dir } };
  const file = fromEnv(env, 'NATS_CREDS')?.value;
  return file === undefined ? {} : { natsCreds: { file } };
}

function invalid(option: string, message: string): BatonError {
  return new BatonError('VALIDATION_FAILED', `${option}: ${message}`, { option });
}

/** Flag value, else env value; blank means unset. */
function pick(flag: string | undefined, name: string): { value: string; source: string } | undefined {
  if (flag !== undefined && flag.trim() !== '') return { value: flag.trim(), source: `--${name}` };
  return undefined;
}

function fromEnv(env: Env, variable: string): { value: string; source: string } | undefined {
  const v = env[variable];
  return v === undefined || v.trim() === '' ? undefined : { value: v.trim(), source: variable };
}

function integer(v: { value: string; source: string } | undefined, fallback: number, min: number, max: number): number {
  if (!v) return fallback;
  if (!/^\d+$/.test(v.value)) throw invalid(v.source, `expected a whole number, got "${v.value}"`);
  const n = Number(v.value);
  if (n < min || n > max) throw invalid(v.source, `expected ${min}..${max}, got ${n}`);
  return n;
}

/** `500-2000` or `800` (both ends the same). */
export function parseDurationRange(text: string, source = '--duration-ms'): { min: number; max: number } {
  const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(text.trim());
  if (!m) throw invalid(source, `expected <min>-<max> or <ms> in milliseconds, got "${text}"`);
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : Number(m[2]);
  if (max < min) throw invalid(source, `the maximum ${max} is below the minimum ${min}`);
  if (max > 86_400_000) throw invalid(source, `at most 86400000 ms (a day), got ${max}`);
  return { min, max };
}

function rate(v: { value: string; source: string } | undefined): number {
  if (!v) return 0;
  const n = Number(v.value);
  if (!/^\d*\.?\d+$/.test(v.value) || !Number.isFinite(n) || n < 0 || n > 1) throw invalid(v.source, `expected a number from 0 to 1, got "${v.value}"`);
  return n;
}

/**
 * Reads the options: a flag wins over its environment variable; blank means unset; a bad value
 * throws a VALIDATION_FAILED BatonError naming the flag or variable.
 *
 * @example
 * const options = parseSimOptions(process.argv.slice(2), process.env);
 */
export function parseSimOptions(argv: readonly string[], env: Env, randomSeed: () => number = () => Math.floor(Math.random() * 2 ** 31)): SimOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        agents: { type: 'string' },
        only: { type: 'string' },
        'duration-ms': { type: 'string' },
        'failure-rate': { type: 'string' },
        outputs: { type: 'string' },
        seed: { type: 'string' },
        steps: { type: 'string' },
        'heartbeat-ms': { type: 'string' },
        'ack-wait-ms': { type: 'string' },
        'inbox-only': { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new BatonError('VALIDATION_FAILED', `${(err as Error).message}\n\n${USAGE}`);
  }
  const str = (name: string): string | undefined => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  const opt = (name: string, variable: string) => pick(str(name), name) ?? fromEnv(env, variable);

  const only = opt('only', 'SIM_ONLY');
  const onlyIds = only?.value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (only && (!onlyIds || onlyIds.length === 0)) throw invalid(only.source, 'expected a comma-separated list of agent ids');
  const duration = opt('duration-ms', 'SIM_DURATION_MS');
  const outputs = opt('outputs', 'SIM_OUTPUTS_FILE');
  const seed = opt('seed', 'SIM_SEED');
  const jsonEnv = fromEnv(env, 'SIM_JSON');
  if (jsonEnv && !['0', '1', 'true', 'false'].includes(jsonEnv.value)) throw invalid('SIM_JSON', `expected 1 or 0, got "${jsonEnv.value}"`);
  const inboxOnlyEnv = fromEnv(env, 'SIM_INBOX_ONLY');
  if (inboxOnlyEnv && !['0', '1', 'true', 'false'].includes(inboxOnlyEnv.value)) throw invalid('SIM_INBOX_ONLY', `expected 1 or 0, got "${inboxOnlyEnv.value}"`);

  return {
    agentsFile: opt('agents', 'SIM_AGENTS_FILE')?.value ?? 'examples/agents.yaml',
    only: onlyIds,
    durationMs: duration ? parseDurationRange(duration.value, duration.source) : { min: 500, max: 2000 },
    failureRate: rate(opt('failure-rate', 'SIM_FAILURE_RATE')),
    outputsFile: outputs?.value,
    seed: seed ? integer(seed, 0, 0, 2 ** 31 - 1) : randomSeed(),
    steps: integer(opt('steps', 'SIM_STEPS'), 4, 1, 100),
    heartbeatMs: integer(opt('heartbeat-ms', 'SIM_HEARTBEAT_MS'), 5000, 50, 3_600_000),
    ackWaitMs: integer(opt('ack-wait-ms', 'SIM_ACK_WAIT_MS'), 10_000, 1000, 3_600_000),
    inboxOnly: values['inbox-only'] === true || inboxOnlyEnv?.value === '1' || inboxOnlyEnv?.value === 'true',
    json: values['json'] === true || jsonEnv?.value === '1' || jsonEnv?.value === 'true',
    natsUrl: fromEnv(env, 'NATS_URL')?.value ?? 'nats://127.0.0.1:4222',
    ...credsOf(env),
    help: values['help'] === true,
  };
}
