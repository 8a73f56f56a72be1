import { toArtifactContent, type HandoffInput } from './artifact';

/**
 * Sample artifacts that satisfy the seed specs in examples/handoffs (HO-PM-ARCH, HO-ARCH-DEV,
 * HO-DEV-SEC) and the Feature Development workflow's gates, for simulated agents and tests
 * that need a compliant handoff. Keyed by artifact name; values are UTF-8 text.
 */

const PRD = `# PRD: Scheduled report exports

## Problem Statement

Account admins rebuild the same usage reports by hand every week and paste them into email.
It takes them about two hours a week, and the numbers drift between copies. Admins need
reports delivered on a schedule without logging in.

## Success Metrics

- 60% of weekly active admins schedule at least one export within 30 days of launch.
- Support tickets tagged "manual report" drop by 40% within one quarter.
- The p95 time to generate an export stays under 2 minutes for reports up to 100,000 rows.

## User Stories

### Story 1: As an admin, I can schedule a weekly CSV export

An admin picks a saved report, a weekday and a time, and the report arrives by email.

**Acceptance Criteria:**
- Given a saved report, when the admin picks Monday 09:00 UTC and saves, then the schedule is listed with its next run time.
- Given a schedule, when its time arrives, then a CSV with the report's columns is emailed to the admin within 5 minutes.

### Story 2: As an admin, I can pause and resume a schedule

During a migration an admin stops exports for a while without losing the schedule.

**Acceptance Criteria:**
- Given an active schedule, when the admin pauses it, then no export is sent until it is resumed.
- Given a paused schedule, when the admin resumes it, then the next run time is recomputed from now.

### Story 3: As an auditor, I can see the export history

An auditor checks which reports left the system, when, and to whom.

**Acceptance Criteria:**
- Given past exports, when the auditor opens the history, then each export shows its report, time, recipients and row count.
- Given an export older than 13 months, then it no longer appears in the history.

## Out of Scope

- PDF exports.
- Exports to cloud storage buckets.
`;

const TDD = `# Technical Design: Scheduled report exports

## Architecture Diagram

\`\`\`mermaid
flowchart LR
  UI[Web app] --> API[Exports API]
  API --> DB[(Postgres)]
  Scheduler[Export scheduler] --> DB
  Scheduler --> Worker[Export worker]
  Worker --> Mail[Email service]
\`\`\`

## Component Specs

### Exports API

- \`GET /schedules\`, \`POST /schedules\`, \`GET /schedules/{scheduleId}\`, \`DELETE /schedules/{scheduleId}\`, \`POST /schedules/{scheduleId}/pause\`.
- Validates the report id and the weekday/time; stores schedules in the \`export_schedule\` table.

### Export scheduler

- Every minute, selects due schedules with \`FOR UPDATE SKIP LOCKED\` and enqueues one export job each.
- Computes the next run time after each enqueue; paused schedules are skipped.

### Export worker

- Streams the report query to CSV in chunks of 5,000 rows and uploads the file to object storage.
- Emails recipients a signed download link valid for 24 hours.

## Data Model

- \`export_schedule(id, account_id, report_id, weekday, time_utc, paused, next_run_at)\`
- \`export_run(id, schedule_id, started_at, finished_at, row_count, recipients)\`

## Security Considerations

- Only admins of the account can create, pause or delete schedules; the API checks the caller's role on every request.
- Emails carry a signed link that expires after 24 hours instead of an attachment.
- CSV cells starting with =, +, - or @ are prefixed with a single quote to prevent formula injection.
`;

const API_SPEC = `openapi: 3.0.3
info:
  title: Report exports API
  version: 1.0.0
paths:
  /schedules:
    get:
      summary: List the export schedules of the caller's account
      operationId: listSchedules
      responses:
        '200':
          description: The schedules
          content:
            application/json:
              schema:
                type: array
                items:
                  $ref: '#/components/schemas/Schedule'
        '401':
          $ref: '#/components/responses/Unauthorized'
    post:
      summary: Create an export schedule
      operationId: createSchedule
      requestBody:
        required: true
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/NewSchedule'
      responses:
        '201':
          description: The created schedule
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Schedule'
        '400':
          $ref: '#/components/responses/BadRequest'
        '401':
          $ref: '#/components/responses/Unauthorized'
  /schedules/{scheduleId}:
    parameters:
      - $ref: '#/components/parameters/ScheduleId'
    get:
      summary: Get one export schedule
      operationId: getSchedule
      responses:
        '200':
          $ref: '#/components/responses/Schedule'
        '404':
          $ref: '#/components/responses/NotFound'
    delete:
      summary: Delete an export schedule
      operationId: deleteSchedule
      responses:
        '204':
          description: Deleted
        '404':
          $ref: '#/components/responses/NotFound'
  /schedules/{scheduleId}/pause:
    parameters:
      - $ref: '#/components/parameters/ScheduleId'
    post:
      summary: Pause an export schedule
      operationId: pauseSchedule
      responses:
        '200':
          $ref: '#/components/responses/Schedule'
        '404':
          $ref: '#/components/responses/NotFound'
components:
  schemas:
    NewSchedule:
      type: object
      required: [reportId, weekday, timeUtc]
      properties:
        reportId:
          type: string
        weekday:
          type: string
          enum: [monday, tuesday, wednesday, thursday, friday, saturday, sunday]
        timeUtc:
          type: string
          pattern: '^[0-2][0-9]:[0-5][0-9]$'
    Schedule:
      allOf:
        - $ref: '#/components/schemas/NewSchedule'
        - type: object
          required: [id, paused, nextRunAt]
          properties:
            id:
              type: string
            paused:
              type: boolean
            nextRunAt:
              type: string
              format: date-time
    Problem:
      type: object
      required: [code, message]
      properties:
        code:
          type: string
        message:
          type: string
  parameters:
    ScheduleId:
      name: scheduleId
      in: path
      required: true
      schema:
        type: string
  responses:
    Schedule:
      description: The schedule
      content:
        application/json:
          schema:
            $ref: '#/components/schemas/Schedule'
    BadRequest:
      description: The request is invalid
      content:
        application/json:
          schema:
            $ref: '#/components/schemas/Problem'
    Unauthorized:
      description: No valid credentials
      content:
        application/json:
          schema:
            $ref: '#/components/schemas/Problem'
    NotFound:
      description: No such schedule
      content:
        application/json:
          schema:
            $ref: '#/components/schemas/Problem'
`;

const TICKETS = `${JSON.stringify(
  [
    {
      id: 'EXP-1',
      title: 'Exports API: create, list, get and delete schedules',
      component: 'backend',
      acceptance_criteria: ['POST /schedules validates the report id and time and returns 201', 'Non-admins get 403 on every schedule endpoint'],
      estimate: 5,
      dependencies: ['EXP-3'],
    },
    {
      id: 'EXP-2',
      title: 'Schedule list and editor in the web app',
      component: 'frontend',
      acceptance_criteria: ['Admins can create, pause and delete schedules from the Reports page', 'The next run time is shown in the admin time zone'],
      estimate: 3,
      dependencies: ['EXP-1'],
    },
    {
      id: 'EXP-3',
      title: 'export_schedule and export_run tables',
      component: 'database',
      acceptance_criteria: ['Migration creates both tables with indexes on next_run_at and schedule_id', 'The down migration drops them'],
      estimate: 2,
      dependencies: [],
    },
  ],
  null,
  2,
)}\n`;

const DESIGNS = `${JSON.stringify(
  {
    screens: ['schedule-list', 'schedule-editor', 'export-history'],
    responsive_variants: ['mobile', 'tablet', 'desktop'],
    states: ['empty', 'loading', 'error', 'populated'],
    all_states_designed: true,
    responsive_complete: true,
  },
  null,
  2,
)}\n`;

const PULL_REQUEST = `${JSON.stringify(
  {
    title: 'Scheduled report exports: API, scheduler and worker',
    url: 'https://git.example.com/acme/reports/pull/482',
    branch: 'feature/scheduled-exports',
    tests_passing: true,
    lint_passing: true,
    no_merge_conflicts: true,
  },
  null,
  2,
)}\n`;

const CODE_CHANGES = `diff --git a/src/exports/schedule.service.ts b/src/exports/schedule.service.ts
--- a/src/exports/schedule.service.ts
+++ b/src/exports/schedule.service.ts
@@ -1,6 +1,18 @@
 import { Injectable } from '@nestjs/common';
+import { Logger } from '../logging/logger';
 import { ScheduleRepository } from './schedule.repository';
 
 @Injectable()
 export class ScheduleService {
-  constructor(private readonly repo: ScheduleRepository) {}
+  constructor(
+    private readonly repo: ScheduleRepository,
+    private readonly logger: Logger,
+  ) {}
+
+  async pause(accountId: string, scheduleId: string): Promise<void> {
+    const schedule = await this.repo.get(accountId, scheduleId);
+    await this.repo.save({ ...schedule, paused: true });
+    this.logger.info('schedule paused', { scheduleId });
+  }
 }
`;

const TEST_RESULTS = `# Test results: Scheduled report exports

- P0 tests: 24 of 24 passed
- P1 tests: 40 of 41 passed (EXP-BUG-7 filed)
- Coverage: 87%
`;

/** Compliant sample artifacts, by artifact name (see the module comment). */
export const sampleArtifacts: Readonly<Record<'prd.md' | 'designs/' | 'tdd.md' | 'api_spec.yaml' | 'linear_tickets[]' | 'pull_request' | 'code_changes' | 'test_results.md', string>> = {
  'prd.md': PRD,
  'designs/': DESIGNS,
  'tdd.md': TDD,
  'api_spec.yaml': API_SPEC,
  'linear_tickets[]': TICKETS,
  pull_request: PULL_REQUEST,
  code_changes: CODE_CHANGES,
  'test_results.md': TEST_RESULTS,
};

/** Context that satisfies the `required_context` of all three seed specs. */
export const sampleContext: Readonly<Record<string, unknown>> = {
  priority_level: 'P1',
  deadline: '2026-03-31',
  dependencies: ['billing-service'],
  component_assignments: { backend: 'MCT-BE-001', frontend: 'MCT-FE-001', database: 'MCT-DBA-001' },
  integration_points: ['email-service', 'object-storage'],
  testing_requirements: 'unit tests for the scheduler; an end-to-end test from schedule to email',
  changed_files: ['src/exports/schedule.service.ts'],
  auth_changes: false,
  data_access_changes: true,
  dependency_updates: [],
};

/** Reported outputs that satisfy the seed specs' reported flags and the Feature Development gates and criteria. */
export const sampleOutputs: Readonly<Record<string, unknown>> = {
  prd_completeness: 100,
  dependencies_linked: true,
  diagrams_render: true,
  code_coverage: 87,
  findings: [{ severity: 'low', title: 'Verbose error message on 404' }],
  auth_review_passed: true,
  all_p0_tests_pass: true,
  smoke_tests_pass: true,
  no_regressions: true,
};

/**
 * A compliant {@link HandoffInput} holding the named sample artifacts (all of them by default),
 * {@link sampleContext} and {@link sampleOutputs}.
 *
 * @example evaluateSpec(spec, sampleHandoffInput(['prd.md', 'designs/']), { declaredOutputs: null, registry })
 */
export function sampleHandoffInput(names: readonly (keyof typeof sampleArtifacts)[] = Object.keys(sampleArtifacts) as (keyof typeof sampleArtifacts)[]): HandoffInput {
  const encoder = new TextEncoder();
  return {
    artifacts: names.map((name) => toArtifactContent(name, encoder.encode(sampleArtifacts[name]))),
    context: sampleContext,
    outputs: sampleOutputs,
  };
}
