import { createKysely, migrateSchema } from '@baton/read-models';
import { createTestDatabase, type TestDatabase } from '@baton/testing';
import type { Kysely } from 'kysely';
import { DEFAULT_QUEUE_POLICY, queueKeyMs, type QueueEntry } from '../domain';
import { schedulerMigrations } from './migrations';
import { SCHEDULER_SCHEMA, type SchedulerDatabase, type TaskRow } from './scheduler.tables';
import { queueHead } from './task.queries';

/** The queue head read by lane: only tasks some available agent can take, in the queue rule's order. */
describe('queueHead (real Postgres)', () => {
  let tdb: TestDatabase;
  let db: Kysely<SchedulerDatabase>;
  const base = Date.parse('2026-12-06T09:00:00.000Z');
  const now = new Date(base + 3_600_000);

  beforeAll(async () => {
    tdb = await createTestDatabase('scheduler_queue_head');
    db = createKysely<SchedulerDatabase>({ connectionString: tdb.url });
    await migrateSchema(db as Kysely<unknown>, { schema: SCHEDULER_SCHEMA, migrations: schedulerMigrations });
  });

  afterAll(async () => {
    await db?.destroy();
    await tdb?.drop();
  });

  beforeEach(async () => {
    await db.deleteFrom('scheduler.tasks').execute();
    await db.deleteFrom('scheduler.agents').execute();
  });

  async function agent(agentId: string, role: string, capabilities: string[], state: { online?: boolean; removed?: boolean } = {}): Promise<void> {
    await db
      .insertInto('scheduler.agents')
      .values({ agent_id: agentId, role, capabilities, max_concurrency: 1, online: state.online ?? true, removed: state.removed ?? false, revision: 0, updated_at: now })
      .execute();
  }

  /** Queued tasks, their queue key computed by the domain rule as the tasks projection stores it. */
  async function queued(tasks: { taskId: string; requirement: TaskRow['requirement']; priority?: QueueEntry['priority']; createdAtMs?: number; notBefore?: Date }[]): Promise<void> {
    const rows = tasks.map((t) => {
      const entry = { priority: t.priority ?? 'P1', createdAt: new Date(t.createdAtMs ?? base).toISOString(), requeued: false };
      return {
        task_id: t.taskId,
        run_id: null,
        stage_id: null,
        action: 'act',
        requirement: t.requirement,
        priority: entry.priority,
        inputs: {},
        status: 'queued' as const,
        agent_id: null,
        lease_epoch: 0,
        attempt: 1,
        max_attempts: 1,
        timeout_ms: null,
        not_before: t.notBefore ?? null,
        queue_key: new Date(queueKeyMs(entry, DEFAULT_QUEUE_POLICY)),
        requeued: false,
        created_at: new Date(entry.createdAt),
        updated_at: new Date(entry.createdAt),
        revision: 0,
      };
    });
    for (let i = 0; i < rows.length; i += 1000) await db.insertInto('scheduler.tasks').values(rows.slice(i, i + 1000)).execute();
  }

  const ids = async (limit = 200) => (await queueHead(db, now, limit)).map((t) => t.taskId);

  it('leaves out any number of tasks waiting for an agent that is not on line, so the ones behind them are served', async () => {
    await agent('online-1', 'backend', ['ts']);
    await agent('gone', 'backend', ['ts'], { online: false });
    // 500 older P0 tasks for the offline agent: ahead of everything in the queue order.
    await queued(Array.from({ length: 500 }, (_, i) => ({ taskId: `held-${String(i).padStart(3, '0')}`, requirement: { agentId: 'gone', capabilities: [] }, priority: 'P0' as const, createdAtMs: base - 600_000 + i })));
    await queued([
      { taskId: 'mine', requirement: { agentId: 'online-1', capabilities: [] }, priority: 'P2' },
      { taskId: 'any-backend', requirement: { role: 'backend', capabilities: ['ts'] }, priority: 'P2', createdAtMs: base + 1 },
    ]);
    expect(await ids(200)).toEqual(['mine', 'any-backend']);
  });

  it('serves every lane of an available agent (its id, its role, neither) and matches capabilities, in queue order', async () => {
    await agent('a1', 'backend', ['ts', 'sql']);
    await agent('r1', 'frontend', ['css'], { removed: true });
    await queued([
      { taskId: 't-role-cap', requirement: { role: 'backend', capabilities: ['sql'] }, createdAtMs: base + 1 },
      { taskId: 't-id-role', requirement: { agentId: 'a1', role: 'backend', capabilities: [] }, createdAtMs: base + 2 },
      { taskId: 't-p0', requirement: { capabilities: ['ts'] }, priority: 'P0', createdAtMs: base + 3 },
      { taskId: 't-id-other-role', requirement: { agentId: 'a1', role: 'frontend', capabilities: [] } },
      { taskId: 't-cap-missing', requirement: { capabilities: ['rust'] } },
      { taskId: 't-removed-role', requirement: { role: 'frontend', capabilities: [] } },
      { taskId: 't-backoff', requirement: { capabilities: [] }, notBefore: new Date(now.getTime() + 1000) },
      { taskId: 't-due', requirement: { capabilities: [] }, notBefore: new Date(now.getTime() - 1000), createdAtMs: base + 4 },
    ]);
    // P0 first (one aging interval ahead), then FIFO among the P1s; the limit cuts the merged lanes.
    expect(await ids()).toEqual(['t-p0', 't-role-cap', 't-id-role', 't-due']);
    expect(await ids(2)).toEqual(['t-p0', 't-role-cap']);
  });

  it('is empty when no agent is available', async () => {
    await agent('off', 'backend', [], { online: false });
    await queued([{ taskId: 'x', requirement: { capabilities: [] } }]);
    expect(await ids()).toEqual([]);
  });
});
