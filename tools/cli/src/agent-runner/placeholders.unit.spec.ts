import { fillPlaceholders, placeholderEnv, unknownPlaceholders, type PlaceholderValues } from './placeholders';

const values: PlaceholderValues = {
  workdir: '/w',
  task_dir: '/w/.baton-task/t 1',
  task_md: '/w/.baton-task/t 1/task.md',
  task_json: '/w/.baton-task/t 1/task.json',
  task_id: 't 1',
  action: 'implement',
  agent_id: 'coder-1',
  attempt: '2',
  run_id: '',
  stage_id: '',
};

describe('command-line placeholders', () => {
  it('fills each argument on its own: a value with spaces stays one argument', () => {
    expect(fillPlaceholders(['claude', '-p', 'Read {task_md} and do task {task_id} (attempt {attempt})', '--cwd', '{workdir}'], values)).toEqual([
      'claude',
      '-p',
      'Read /w/.baton-task/t 1/task.md and do task t 1 (attempt 2)',
      '--cwd',
      '/w',
    ]);
  });

  it('leaves shell variables (${name}), unknown names and JSON braces alone', () => {
    expect(fillPlaceholders(['sh', '-c', 'cat "${task_md}" {task_md} {"a":1} {nope}'], values)).toEqual(['sh', '-c', 'cat "${task_md}" /w/.baton-task/t 1/task.md {"a":1} {nope}']);
  });

  it('names the unknown placeholders so a typo stops the runner at start', () => {
    expect(unknownPlaceholders(['x', '{task_mdd} {workdir} ${shell_var} {taskid}'])).toEqual(['task_mdd', 'taskid']);
    expect(unknownPlaceholders(['codex', 'exec', '{task_md}'])).toEqual([]);
  });

  it('gives the same values as BATON_* environment variables', () => {
    expect(placeholderEnv(values)).toMatchObject({ BATON_TASK_MD: '/w/.baton-task/t 1/task.md', BATON_WORKDIR: '/w', BATON_RUN_ID: '', BATON_AGENT_ID: 'coder-1' });
  });
});
