// `cutover rollback|pause|resume|throttle|finalize <id>`: signals to a running migration. A signal
// cannot be refused, so a rollback the workflow would ignore (too late, or already asked) is refused
// here first when the workflow's status can be read.
import type { SignalDefinition } from '@temporalio/client';
import {
  finalizeSignal,
  pauseSignal,
  resumeSignal,
  rollbackSignal,
  statusQuery,
  throttleSignal,
} from '../../workflows/messages';
import { findMigrationOrExplain, within, workerPolls } from '../migration-view';
import { describeFailure, dim, EXIT, log, red } from '../output';
import { clientSession } from './status';

/** Phases in which the workflow ignores a rollback request (mirrors its signal handler). */
const NO_ROLLBACK_PHASES = ['finalizing', 'completed', 'rolled-back', 'failed'];

interface SignalPlan<Args extends unknown[]> {
  signal: SignalDefinition<Args>;
  args: Args;
  /** What was sent, for the operator ("pause requested"). */
  sent: string;
  json?: boolean;
  /** Checked against the workflow's status before sending; returns why not to send. */
  refuse?: (status: import('../../workflows/messages').MigrationStatus) => string | null;
}

async function sendSignal<Args extends unknown[]>(id: string, plan: SignalPlan<Args>): Promise<number> {
  const session = await clientSession();
  try {
    const found = await findMigrationOrExplain(session.client, id);
    if (!found) return EXIT.failed;
    const { handle, description } = found;
    const workflowId = description.workflowId;
    if (description.status.name !== 'RUNNING') {
      log(
        red(
          `cutover: ${workflowId} is ${description.status.name.toLowerCase()}: no ${plan.signal.name} sent`,
        ),
      );
      return EXIT.failed;
    }
    const polled = await workerPolls(session.client, description.taskQueue);
    if (plan.refuse && polled) {
      const status = await within(session.client, 15_000, 'status query', () =>
        handle.query(statusQuery),
      ).catch(() => null);
      const why = status && plan.refuse(status);
      if (why) {
        log(red(`cutover: ${workflowId}: ${why}: no ${plan.signal.name} sent`));
        return EXIT.failed;
      }
    }
    try {
      await handle.signal(plan.signal, ...plan.args);
    } catch (err) {
      log(red(`cutover: could not signal ${workflowId}: ${describeFailure(err).message}`));
      return EXIT.failed;
    }
    if (plan.json) {
      process.stdout.write(`${JSON.stringify({ workflowId, signal: plan.signal.name, args: plan.args })}\n`);
    } else {
      process.stdout.write(`${workflowId}: ${plan.sent}\n`);
    }
    if (!polled)
      log(
        dim(
          `cutover: no worker polls task queue ${description.taskQueue} now: the workflow acts on it once one does`,
        ),
      );
    return EXIT.ok;
  } finally {
    await session.close();
  }
}

export function rollbackCommand(id: string, options: { reason: string; json?: boolean }): Promise<number> {
  const reason = options.reason.trim();
  if (!reason) {
    log(red('cutover: --reason must say why the migration is rolled back'));
    return Promise.resolve(EXIT.usage);
  }
  return sendSignal(id, {
    signal: rollbackSignal,
    args: [{ reason }],
    sent: `rollback requested (reason: ${reason}); follow it with \`cutover watch ${id}\``,
    json: options.json,
    refuse: (s) =>
      s.rollback.requested
        ? `a rollback was already requested at ${s.rollback.at ?? '?'} (${s.rollback.reason ?? ''})`
        : NO_ROLLBACK_PHASES.includes(s.phase)
          ? `the migration is ${s.phase}: too late to roll back`
          : null,
  });
}

export function pauseCommand(id: string, options: { json?: boolean }): Promise<number> {
  return sendSignal(id, {
    signal: pauseSignal,
    args: [],
    sent: 'pause requested (the copy stops between chunks; capture keeps recording changes)',
    json: options.json,
  });
}

export function resumeCommand(id: string, options: { json?: boolean }): Promise<number> {
  return sendSignal(id, { signal: resumeSignal, args: [], sent: 'resume requested', json: options.json });
}

export function finalizeCommand(id: string, options: { json?: boolean }): Promise<number> {
  return sendSignal(id, {
    signal: finalizeSignal,
    args: [],
    sent: 'finalize requested (ends the rollback window)',
    json: options.json,
    refuse: (s) =>
      s.phase === 'rollback-window' || s.phase === 'cutting-over'
        ? null
        : `the migration is ${s.phase}: only a cut-over migration in its rollback window can be finalized`,
  });
}

export function throttleCommand(
  id: string,
  options: { rowsPerSecond?: string; unlimited?: boolean; json?: boolean },
): Promise<number> {
  if ((options.rowsPerSecond === undefined) === !options.unlimited) {
    log(red('cutover: throttle needs exactly one of --rows-per-second N and --unlimited'));
    return Promise.resolve(EXIT.usage);
  }
  let maxRowsPerSecond: number | null = null;
  if (options.rowsPerSecond !== undefined) {
    maxRowsPerSecond = Number(options.rowsPerSecond);
    if (!Number.isFinite(maxRowsPerSecond) || maxRowsPerSecond <= 0) {
      log(
        red(
          `cutover: --rows-per-second must be a positive number, not ${JSON.stringify(options.rowsPerSecond)}`,
        ),
      );
      return Promise.resolve(EXIT.usage);
    }
  }
  return sendSignal(id, {
    signal: throttleSignal,
    args: [{ maxRowsPerSecond }],
    sent: `throttle set to ${maxRowsPerSecond === null ? 'unlimited' : `${maxRowsPerSecond} rows/s per table`} (takes effect at the next table)`,
    json: options.json,
  });
}
