/**
 * The placeholders `baton agent run` fills in each argument of the agent's command line, per task.
 * `{name}` is a placeholder; `${name}` is left alone, so shell variables in `sh -c '…'` scripts
 * keep working.
 */
export const PLACEHOLDERS = {
  workdir: 'the directory the command runs in',
  task_dir: 'the directory holding this task\'s context: task.md, task.json, upstream/',
  task_md: 'the task brief (goal, inputs, rework feedback, what will be checked, outputs to write)',
  task_json: 'the assignment exactly as the scheduler sent it, as JSON',
  task_id: 'the task id',
  action: 'the task\'s action, e.g. implement_feature',
  agent_id: 'this agent\'s id',
  attempt: 'the attempt number (1 on the first)',
  run_id: 'the workflow run, or an empty string',
  stage_id: 'the workflow stage, or an empty string',
} as const;

export type PlaceholderName = keyof typeof PLACEHOLDERS;
export type PlaceholderValues = Readonly<Record<PlaceholderName, string>>;

const PATTERN = /(\$?)\{([a-z_]+)\}/g;

function isPlaceholder(name: string): name is PlaceholderName {
  return Object.hasOwn(PLACEHOLDERS, name);
}

/**
 * The placeholders a command line uses that do not exist, so a typo stops the runner at start,
 * not at the first task.
 *
 * @example
 * unknownPlaceholders(['claude', '-p', 'Do {task_mdd}']) // ['task_mdd']
 */
export function unknownPlaceholders(args: readonly string[]): string[] {
  const unknown = new Set<string>();
  for (const arg of args) {
    for (const m of arg.matchAll(PATTERN)) if (m[1] === '' && !isPlaceholder(m[2]!)) unknown.add(m[2]!);
  }
  return [...unknown];
}

/**
 * The command line with each `{placeholder}` replaced, argument by argument (no shell: a value
 * with spaces stays one argument).
 *
 * @example
 * fillPlaceholders(['cat', '{task_md}'], values) // ['cat', '/tmp/w/.baton-task/t-1/task.md']
 */
export function fillPlaceholders(args: readonly string[], values: PlaceholderValues): string[] {
  return args.map((arg) => arg.replace(PATTERN, (whole, dollar: string, name: string) => (dollar === '' && isPlaceholder(name) ? values[name] : whole)));
}

/** The same values as environment variables (`BATON_TASK_MD`, `BATON_WORKDIR` …), for scripts that prefer them. */
export function placeholderEnv(values: PlaceholderValues): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([name, value]) => [`BATON_${name.toUpperCase()}`, value]));
}
