import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { translateFsError } from './errors';
import { MCP_DIR, writeFileAtomic } from './task-store';

const BEGIN = '<!-- baton-files:begin (written by `baton-files init`; edit outside these markers) -->';
const END = '<!-- baton-files:end -->';

/**
 * The guide the file mode writes for the agents of a repository (ChatGPT, Cursor, Codex and any
 * other that reads AGENTS.md): how to find the next task, record progress and hand over, so no
 * person copies context between them.
 */
export const AGENTS_GUIDE = `# Working on tasks in this repository

Tasks are Markdown files under \`.mcp/tasks/<state>/<id>.md\`. The directory is the state:
\`pending\` → \`ready\` → \`in-progress\` → \`review\` → \`done\` (or \`failed\`). Everything you need is
in the task file; everything you learn goes back into it. Never copy context into a chat: put it
in the file. Say who you are with \`--agent\`/\`--by\`/\`--from\` (\`chatgpt\`, \`cursor\`, \`codex\`, …).

Run the commands as \`npx baton-files <command>\` (or \`baton files <command>\` with the Baton CLI).

## Everyone: what do I do next?

    npx baton-files next --agent <you>                 # a ready task to implement (P0 first)
    npx baton-files next --agent <you> --for prep      # a stub to flesh out
    npx baton-files next --agent <you> --for review    # a task waiting for review
    npx baton-files status                             # every task by state

## Planner (e.g. ChatGPT): prepare a stub

    npx baton-files create "Add login rate limit" --priority P1
    npx baton-files prep TASK-001 --by chatgpt --goal "…" --criteria "…" --criteria "…" \\
      --files src/auth/login.ts --dor "API agreed" --dod "All tests pass"

Or edit the file by hand (Goal, Acceptance Criteria, Definition of Ready/Done, Files Affected)
and run \`prep\` without options. A task missing any of them stays in \`pending/\`.

## Implementer (e.g. Cursor): claim, work, hand over

    npx baton-files claim --agent cursor               # takes your next task (or: claim TASK-001)
    npx baton-files test --agent cursor                # runs the tests; a failure sends the task back
    npx baton-files review TASK-001 --by cursor --notes "what changed, what to look at"

Read Review Feedback and Error Context before you start: a task that came back keeps everything
the reviewer and the test run wrote. Commits that touch the task's Files Affected are recorded
in its Git Context by the git hooks (\`npx baton-files hooks install\`).

## Reviewer (e.g. Codex): accept or send back

    npx baton-files feedback TASK-001 --from codex --message "…"   # back to ready/, for the implementer
    npx baton-files complete TASK-001 --by codex --notes "approved"

## When stuck

    npx baton-files fail TASK-001 --reason "…"         # to failed/: a person takes it from there
    npx baton-files reopen TASK-001 --by <you> --reason "…"

Errors name a code (VALIDATION_FAILED, NOT_FOUND, CONFLICT, ILLEGAL_TRANSITION, FORBIDDEN) and
change nothing. CONFLICT on claim means another agent was faster or a dependency is not done:
run \`next\` again.
`;

/**
 * Writes the guide to \`.mcp/AGENTS.md\` and into the repository's \`AGENTS.md\` between markers,
 * replacing an earlier copy of the block and keeping everything else in that file.
 */
export async function writeAgentsGuide(root: string): Promise<string[]> {
  const own = path.join(root, MCP_DIR, 'AGENTS.md');
  const shared = path.join(root, 'AGENTS.md');
  try {
    await mkdir(path.dirname(own), { recursive: true });
  } catch (err) {
    translateFsError(err, path.dirname(own), 'write the agents guide');
  }
  await writeFileAtomic(own, AGENTS_GUIDE);
  const block = `${BEGIN}\n${AGENTS_GUIDE}${END}\n`;
  const existing = await readFile(shared, 'utf8').catch(() => undefined);
  let text: string;
  if (existing === undefined) text = block;
  else {
    const start = existing.indexOf(BEGIN);
    const end = existing.indexOf(END);
    text =
      start >= 0 && end > start
        ? existing.slice(0, start) + block + existing.slice(end + END.length).replace(/^\r?\n/, '')
        : `${existing.replace(/\s*$/, '')}${existing.trim() === '' ? '' : '\n\n'}${block}`;
  }
  await writeFileAtomic(shared, text);
  return [own, shared];
}
