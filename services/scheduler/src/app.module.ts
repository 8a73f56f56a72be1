import { Module, type DynamicModule } from '@nestjs/common';
import type { JetStreamManager } from '@nats-io/jetstream';
import { serviceRootModule, type ReadinessCheck } from '@baton/telemetry';
import type { ConflictService } from './app/conflict.service';
import type { RunService } from './app/run.service';
import type { TaskService } from './app/task.service';
import { CONFLICT_SERVICE, ConflictNatsController } from './adapters/conflict.nats-controller';
import { AgentInboxNatsController, ASSIGNMENT_WAITERS, INBOX_JSM } from './adapters/agent-inbox.nats-controller';
import { AssignmentWaiters } from './adapters/assignment-waiters';
import { SchedulerNatsController } from './adapters/scheduler.nats-controller';
import { WorkflowNatsController } from './adapters/workflow.nats-controller';
import { RUN_SERVICE, TASK_SERVICE } from './adapters/tokens';

/** What the composition root hands the scheduler's Nest module. */
export interface SchedulerModuleConfig {
  readonly version: string;
  /** Dependencies that must answer before /health/ready says 200. */
  readonly readinessChecks: readonly ReadinessCheck[];
  /** The task engine's use cases; when given, the NATS controller serves them. */
  readonly tasks?: TaskService;
  /** Workflow definitions and runs; when given, the workflow NATS controller serves them. */
  readonly runs?: RunService;
  /** Conflicts (resolve-conflict, list-conflicts); when given, the conflict NATS controller serves them. */
  readonly conflicts?: ConflictService;
  /** JetStream manager for agents' inbox consumers (`open-inbox`); when given, that command is served, and `await-assignment` with it. */
  readonly inboxes?: JetStreamManager;
  /** Agents waiting for their next assignment (`await-assignment`); default a registry no publisher answers (every request ends with no assignment). */
  readonly waiters?: AssignmentWaiters;
}

/** Root module of the scheduler: ops endpoints (/health/live, /health/ready, /metrics) and the task engine's NATS controller. */
@Module({})
export class AppModule {
  static forRoot(config: SchedulerModuleConfig): DynamicModule {
    return serviceRootModule(AppModule, { service: 'scheduler', version: config.version, readinessChecks: config.readinessChecks }, {
      controllers: [
        ...(config.tasks ? [SchedulerNatsController] : []),
        ...(config.runs ? [WorkflowNatsController] : []),
        ...(config.conflicts ? [ConflictNatsController] : []),
        ...(config.inboxes ? [AgentInboxNatsController] : []),
      ],
      providers: [
        ...(config.tasks ? [{ provide: TASK_SERVICE, useValue: config.tasks }] : []),
        ...(config.runs ? [{ provide: RUN_SERVICE, useValue: config.runs }] : []),
        ...(config.conflicts ? [{ provide: CONFLICT_SERVICE, useValue: config.conflicts }] : []),
        ...(config.inboxes ? [{ provide: INBOX_JSM, useValue: config.inboxes }, { provide: ASSIGNMENT_WAITERS, useValue: config.waiters ?? new AssignmentWaiters() }] : []),
      ],
    });
  }
}
