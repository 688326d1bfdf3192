// A bad spec, as an operator might type it into the Web UI's Start Workflow form, fails the
// workflow at once with every bad field named, and no activity (no database) is ever touched.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { withWorker } from '../helpers/temporal';

const SCHEDULED = temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED;

test('planMigration rejects a bad spec as a non-retryable InvalidSpec failure before any activity', async () => {
  await withWorker(async ({ client, taskQueue }) => {
    const workflowId = `test-bad-spec-${Date.now()}`;
    const handle = await client.workflow.start('planMigration', {
      taskQueue,
      workflowId,
      args: [
        {
          name: 'x',
          source: { engine: 'sqlite', connection: 'SRC' },
          target: { engine: 'postgres', connection: 'lower' },
          extra: true,
        },
      ],
    });
    const err = await handle.result().then(
      () => assert.fail('the workflow should have failed'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError);
    assert.ok(err.cause instanceof ApplicationFailure);
    assert.equal(err.cause.type, 'InvalidSpec');
    assert.equal(err.cause.nonRetryable, true);
    assert.match(err.cause.message, /source\.engine: /);
    assert.match(err.cause.message, /target\.connection: must be an upper-case name/);
    assert.match(err.cause.message, /extra: unknown field/);
    const history = await handle.fetchHistory();
    const scheduled = (history.events ?? []).filter((e) => e.eventType === SCHEDULED);
    assert.equal(scheduled.length, 0, 'no activity was scheduled');
  });
});

test('a spec naming a connection the worker does not have fails fast and says what to set', async () => {
  delete process.env.CUTOVER_DB_NOT_CONFIGURED_SRC;
  await withWorker(async ({ client, taskQueue }) => {
    const err = await client.workflow
      .execute('planMigration', {
        taskQueue,
        workflowId: `test-missing-conn-${Date.now()}`,
        args: [
          {
            name: 'y',
            source: { engine: 'mysql', connection: 'NOT_CONFIGURED_SRC' },
            target: { engine: 'postgres', connection: 'NOT_CONFIGURED_DST' },
          },
        ],
      })
      .then(
        () => assert.fail('the workflow should have failed'),
        (e: unknown) => e,
      );
    assert.ok(err instanceof WorkflowFailedError);
    let cause: unknown = err.cause;
    while (cause instanceof Error && !(cause instanceof ApplicationFailure)) cause = cause.cause;
    assert.ok(cause instanceof ApplicationFailure);
    assert.equal(cause.type, 'ConnectionNotConfigured');
    assert.match(cause.message, /set CUTOVER_DB_NOT_CONFIGURED_(SRC|DST)=/);
  });
});
