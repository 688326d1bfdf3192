// `cutover status <id>` and `cutover watch <id>`: the migration's status query merged with the live
// rows of its pending copies (heartbeats), as a report, as JSON, or redrawn until it needs someone.
import type { Client } from '@temporalio/client';
import type { MigrationStatus } from '../../workflows/messages';
import {
  EXIT_INTERRUPTED,
  findMigration,
  findMigrationOrExplain,
  loadMigrationView,
  MigrationNotFound,
  TERMINAL_PHASES,
  type MigrationView,
} from '../migration-view';
import { dim, EXIT, log, red } from '../output';
import { openSession } from '../session';
import {
  eta,
  renderStatus,
  renderWatchFrame,
  singleSampleRates,
  styleFor,
  watchLine,
  type TableRate,
} from '../status-render';

/** Open a client-only session: these commands steer a migration that runs elsewhere. */
export function clientSession() {
  return openSession({ log, inProcessWorker: 'never', warnWithoutWorker: false });
}

/** Exit code of a view: 1 when the migration failed (or its workflow did), or nothing could be told. */
export function viewExitCode(view: MigrationView): number {
  if (view.failure) return EXIT.failed;
  if (view.status) return view.status.phase === 'failed' ? EXIT.failed : EXIT.ok;
  return view.result !== null && view.result !== undefined ? EXIT.ok : EXIT.failed;
}

export async function statusCommand(id: string, options: { json?: boolean }): Promise<number> {
  const session = await clientSession();
  try {
    const view = await load(session.client, id);
    if (!view) return EXIT.failed;
    if (options.json) process.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
    else process.stdout.write(renderStatus(view, styleFor(process.stdout)));
    if (view.note && options.json) log(`cutover: ${view.note}`);
    return viewExitCode(view);
  } finally {
    await session.close();
  }
}

async function load(client: Client, id: string): Promise<MigrationView | null> {
  try {
    return await loadMigrationView(client, id);
  } catch (err) {
    if (err instanceof MigrationNotFound) {
      log(red(`cutover: ${err.message}`));
      return null;
    }
    throw err;
  }
}

/**
 * Copy rates from successive heartbeats of each table (the heartbeat's own time, not the poll's:
 * heartbeats arrive every few seconds to a minute), smoothed; the first sample's estimate until then.
 */
export class RateTracker {
  private last = new Map<string, { rows: number; at: number }>();
  private rate = new Map<string, number>();

  update(view: MigrationView): Map<string, TableRate> {
    const rates = singleSampleRates(view);
    for (const copy of view.live.copies) {
      if (!copy.lastHeartbeatAt) continue;
      const at = Date.parse(copy.lastHeartbeatAt);
      const prev = this.last.get(copy.table);
      if (prev && at > prev.at && copy.rows >= prev.rows) {
        const sample = (1000 * (copy.rows - prev.rows)) / (at - prev.at);
        const old = this.rate.get(copy.table);
        this.rate.set(copy.table, old === undefined ? sample : 0.5 * old + 0.5 * sample);
      }
      if (!prev || at > prev.at) this.last.set(copy.table, { rows: copy.rows, at });
    }
    for (const t of view.status?.tables ?? []) {
      const tracked = this.rate.get(t.table) ?? this.rate.get(t.targetTable);
      if (tracked === undefined) continue;
      rates.set(t.table, { rowsPerSecond: tracked, etaMs: eta(t, tracked) });
    }
    return rates;
  }
}

// eslint-disable-next-line no-control-regex
const visibleLength = (line: string) => [...line.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')].length;

export interface WatchOptions {
  json?: boolean;
  /** Poll interval in ms (default 1000 on a terminal, 2000 otherwise). */
  intervalMs?: number;
}

function approveHint(view: MigrationView, status: MigrationStatus): string {
  const who = status.approval.approvers.filter(
    (a) => !status.approval.approvals.some((x) => x.approver === a),
  );
  return `cutover: ${view.workflowId} awaits approval (${status.approval.approvals.length}/${status.approval.required}): run\n  cutover approve ${view.workflowId} --approver ${who.length ? who.join('|') : 'NAME'} [--comment TEXT]`;
}

export async function watchCommand(id: string, options: WatchOptions): Promise<number> {
  const session = await clientSession();
  const tty = Boolean(process.stdout.isTTY) && !options.json;
  const style = styleFor(process.stdout);
  const interval = options.intervalMs ?? (tty ? 1000 : 2000);
  let drawn = 0;
  let lastLine = '';
  let stopped = false;
  const clearFrame = () => {
    if (tty && drawn) process.stdout.write(`\x1b[${drawn}F\x1b[J`);
    drawn = 0;
  };
  // Ctrl-C stops watching only: the migration runs on in its workers.
  const interrupted = () => {
    stopped = true;
    if (tty) process.stdout.write('\x1b[?25h');
    log(dim(`\ncutover: stopped watching; migration ${id} goes on (\`cutover status ${id}\`)`));
    process.exit(EXIT_INTERRUPTED);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    const found = await findMigrationOrExplain(session.client, id);
    if (!found) return EXIT.failed;
    const workflowId = found.description.workflowId;
    const rates = new RateTracker();
    if (tty) process.stdout.write('\x1b[?25l');
    for (let first = true; !stopped; first = false) {
      let view: MigrationView;
      try {
        view = await loadMigrationView(
          session.client,
          workflowId,
          first ? found : await findMigration(session.client, workflowId),
        );
      } catch (err) {
        // A blip (server restart): say so once and keep watching.
        view = {
          workflowId,
          runId: '',
          execution: { status: 'UNKNOWN', startTime: '', closeTime: null, taskQueue: '' },
          status: null,
          live: { copies: [], catchUp: null },
          result: null,
          failure: null,
          note: `cannot reach Temporal: ${(err as Error).message}`,
        };
      }
      const r = rates.update(view);
      if (options.json) {
        const line = JSON.stringify(view);
        if (line !== lastLine) process.stdout.write(`${line}\n`);
        lastLine = line;
      } else if (tty) {
        const columns = process.stdout.columns || 100;
        const frame = renderWatchFrame(view, r, style, columns);
        clearFrame();
        process.stdout.write(`${frame.join('\n')}\n`);
        // A line wider than the terminal wraps: count screen rows, or the next redraw climbs too little.
        drawn = frame.reduce((n, line) => n + Math.max(1, Math.ceil(visibleLength(line) / columns)), 0);
      } else {
        const line = watchLine(view, r);
        if (line !== lastLine) process.stdout.write(`${new Date().toISOString()} ${line}\n`);
        lastLine = line;
      }
      const s = view.status;
      if (s && TERMINAL_PHASES.includes(s.phase)) {
        log(
          s.phase === 'completed'
            ? `cutover: ${workflowId} completed`
            : red(`cutover: ${workflowId} ${s.phase}${s.error ? `: ${s.error}` : ''}`),
        );
        return s.phase === 'completed' ? EXIT.ok : EXIT.failed;
      }
      // Approved and waiting for the cutover window is not awaiting anyone: keep watching.
      if (s?.approval.awaiting) {
        log(approveHint(view, s));
        return EXIT.ok;
      }
      if (view.execution.status !== 'RUNNING' && view.execution.status !== 'UNKNOWN') {
        log(
          red(
            `cutover: workflow ${workflowId} is ${view.execution.status.toLowerCase()}${view.failure ? `: ${view.failure.message}` : ''}`,
          ),
        );
        return viewExitCode(view);
      }
      await new Promise((resolve) => setTimeout(resolve, interval));
    }
    return EXIT_INTERRUPTED;
  } finally {
    if (tty) process.stdout.write('\x1b[?25h');
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    await session.close();
  }
}
