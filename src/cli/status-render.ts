// How a migration's status reads on a terminal: the full `cutover status` report, the frame that
// `cutover watch` redraws (progress bars), and the one plain line per change it prints elsewhere.
import { sourceIsStandby } from '../workflows/blue-green-state';
import type { MigrationStatus, TableProgress } from '../workflows/messages';
import type { MigrationView } from './migration-view';

export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
}

const plain: Style = { bold: (s) => s, dim: (s) => s, red: (s) => s, green: (s) => s, yellow: (s) => s };
const ansi: Style = {
  bold: (s) => `\x1b[1m${s}\x1b[22m`,
  dim: (s) => `\x1b[2m${s}\x1b[22m`,
  red: (s) => `\x1b[31m${s}\x1b[39m`,
  green: (s) => `\x1b[32m${s}\x1b[39m`,
  yellow: (s) => `\x1b[33m${s}\x1b[39m`,
};

/** Colours only on a terminal, and never with NO_COLOR set. */
export function styleFor(stream: NodeJS.WriteStream): Style {
  return stream.isTTY && !process.env.NO_COLOR ? ansi : plain;
}

export const int = (n: number) => Math.round(n).toLocaleString('en-US');

export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i ? n.toFixed(1) : n} ${units[i]}`;
}

/** The planner's estimate, or '?' when it had none (-1). */
export const estimate = (t: TableProgress) => (t.rowsEstimate >= 0 ? `~${int(t.rowsEstimate)}` : '?');

export function percent(t: TableProgress): number {
  if (t.state === 'copied') return 100;
  if (t.rowsEstimate <= 0) return 0;
  // Estimates are statistics: never claim 100 % before the table is done.
  return Math.min(99, (100 * t.rowsCopied) / t.rowsEstimate);
}

export function bar(fraction: number, width: number): string {
  const f = Math.max(0, Math.min(1, fraction));
  const full = Math.round(f * width);
  return `${'█'.repeat(full)}${'░'.repeat(width - full)}`;
}

/** A table's copy rate and time left, from heartbeats (see RateTracker) or one sample. */
export interface TableRate {
  rowsPerSecond: number | null;
  etaMs: number | null;
}

export function eta(t: TableProgress, rowsPerSecond: number | null): number | null {
  if (t.state === 'copied') return 0;
  // Past the estimate (statistics were low), the time left is unknown, not zero.
  if (!rowsPerSecond || rowsPerSecond <= 0 || t.rowsCopied >= t.rowsEstimate) return null;
  return (1000 * Math.max(0, t.rowsEstimate - t.rowsCopied)) / rowsPerSecond;
}

/** The heartbeat's rate when this attempt has one; else the rate the copy last signalled. */
function tableRate(rates: Map<string, TableRate>, t: TableProgress): TableRate {
  const r = rates.get(t.table);
  if (r?.rowsPerSecond) return r;
  return { rowsPerSecond: t.rowsPerSecond, etaMs: t.etaSeconds === null ? null : t.etaSeconds * 1000 };
}

/** Rates from what the view says (first attempts only); RateTracker improves them over samples. */
export function singleSampleRates(view: MigrationView): Map<string, TableRate> {
  const rates = new Map<string, TableRate>();
  for (const t of view.status?.tables ?? []) {
    const copy = view.live.copies.find((c) => c.table === t.table || c.table === t.targetTable);
    const rps = copy?.rowsPerSecond ?? null;
    rates.set(t.table, { rowsPerSecond: rps, etaMs: eta(t, rps) });
  }
  return rates;
}

function ago(iso: string | null, now: number): string {
  if (!iso) return '';
  return `${duration(now - Date.parse(iso))} ago`;
}

function lagText(status: MigrationStatus, view: MigrationView, now: number): string | null {
  const text = forwardOrReverseLag(status, view, now);
  // After the cutover the replication runs back to the source: say which way the lag is.
  return text && ['rollback-window', 'rolling-back'].includes(status.phase)
    ? `${text}, target -> source`
    : text;
}

function forwardOrReverseLag(status: MigrationStatus, view: MigrationView, now: number): string | null {
  const live = view.live.catchUp;
  if (live)
    return `${int(live.lag.rowsBehind)} rows, ${live.lag.secondsBehind.toFixed(1)} s behind (live${live.lastHeartbeatAt ? `, ${ago(live.lastHeartbeatAt, now)}` : ''})`;
  if (status.lag)
    return `${int(status.lag.rowsBehind)} rows, ${status.lag.secondsBehind.toFixed(1)} s behind (measured ${ago(status.lag.at, now)})`;
  return null;
}

function approvalText(status: MigrationStatus): string {
  const a = status.approval;
  const parts = [`${a.approvals.length}/${a.required}`];
  if (a.awaiting) parts.push('awaiting approval');
  parts.push(a.approvers.length ? `approvers: ${a.approvers.join(', ')}` : 'any named approver');
  if (a.window) parts.push(`window ${a.window.start}-${a.window.end} UTC`);
  return parts.join(', ');
}

/** The full report of `cutover status`. */
export function renderStatus(view: MigrationView, style: Style, at = Date.now()): string {
  const s = view.status;
  // A closed migration's clock stopped when it closed.
  const now = view.execution.closeTime ? Date.parse(view.execution.closeTime) : at;
  const lines: string[] = [];
  const head = `${style.bold(view.workflowId)}  workflow ${view.execution.status.toLowerCase()}, started ${view.execution.startTime}${view.execution.closeTime ? `, closed ${view.execution.closeTime}` : ''}`;
  lines.push(head);
  if (view.note) lines.push(style.yellow(`note: ${view.note}`));
  if (!s) {
    if (view.failure)
      lines.push(
        style.red(`failed${view.failure.type ? ` (${view.failure.type})` : ''}: ${view.failure.message}`),
      );
    else if (view.result !== null && view.result !== undefined)
      lines.push(`result: ${JSON.stringify(view.result, null, 2)}`);
    for (const c of view.live.copies)
      lines.push(`copying ${c.table}: ${int(c.rows)} rows (${bytes(c.bytes)}) so far, attempt ${c.attempt}`);
    if (view.live.catchUp)
      lines.push(
        `catch-up: ${int(view.live.catchUp.lag.rowsBehind)} rows, ${view.live.catchUp.lag.secondsBehind.toFixed(1)} s behind`,
      );
    return `${lines.join('\n')}\n`;
  }
  const phaseStyle =
    s.phase === 'failed'
      ? style.red
      : s.phase === 'completed'
        ? style.green
        : s.phase === 'awaiting-approval'
          ? style.yellow
          : style.bold;
  const row = (label: string, value: string) => lines.push(`${label.padEnd(11)}${value}`);
  row('migration', s.migration);
  row('phase', `${phaseStyle(s.phase)} for ${duration(now - Date.parse(s.phaseStartedAt))}: ${s.detail}`);
  const copied = s.tables.filter((t) => t.state === 'copied').length;
  row(
    'copy',
    s.tables.length && copied === s.tables.length
      ? 'done'
      : `${s.paused ? style.yellow('paused') : 'running'}, ${s.maxRowsPerSecond === null ? 'no row rate limit' : `at most ${int(s.maxRowsPerSecond)} rows/s per table`}`,
  );
  const rowsDone = s.tables.reduce((n, t) => n + t.rowsCopied, 0);
  const unknown = s.tables.filter((t) => t.rowsEstimate < 0).length;
  const rowsPlanned = s.tables.reduce((n, t) => n + Math.max(0, t.rowsEstimate), 0);
  row(
    'tables',
    `${copied}/${s.tables.length} copied, ${int(rowsDone)} ${unknown ? `rows (no estimate for ${unknown} table(s))` : `of ~${int(rowsPlanned)} rows`}`,
  );
  const rates = singleSampleRates(view);
  const width = Math.min(40, Math.max(...s.tables.map((t) => t.table.length), 5));
  for (const t of s.tables) {
    const r = tableRate(rates, t);
    const extra =
      t.state === 'copying'
        ? `${r?.rowsPerSecond ? `  ${int(r.rowsPerSecond)} rows/s` : ''}${r?.etaMs !== null && r?.etaMs !== undefined ? `  ETA ${duration(r.etaMs)}` : ''}`
        : '';
    lines.push(
      `  ${t.table.padEnd(width)}  ${int(t.rowsCopied).padStart(11)} / ${estimate(t).padEnd(12)} ${percent(t).toFixed(0).padStart(3)}%  ${t.state}${extra}`,
    );
  }
  row('lag', lagText(s, view, now) ?? 'not measured yet');
  const v = s.validation;
  row(
    'validation',
    v
      ? `${v.scope} ${v.status === 'match' ? style.green('match') : style.red('mismatch')} at ${v.at} (${v.tables} tables, ${v.mismatched} mismatched, ${v.missing} missing, ${v.extra} extra rows)`
      : 'not run yet',
  );
  row('approval', approvalText(s));
  for (const a of s.approval.approvals)
    lines.push(`  ${a.approver} at ${a.at}${a.comment ? `: ${JSON.stringify(a.comment)}` : ''}`);
  row(
    'fence',
    s.fence.state === 'none'
      ? 'none'
      : `${s.fence.state} on ${s.fence.side ?? '?'} since ${s.fence.since ?? '?'}${sourceIsStandby(s) ? ' (writes go to the target; the source stays fenced as the standby until finalize or rollback)' : ''}`,
  );
  row(
    'routing',
    `${s.routing.active} (epoch ${s.routing.epoch}${s.routing.switchedAt ? `, switched ${s.routing.switchedAt}` : ''})`,
  );
  row(
    'cutover',
    s.cutover.at
      ? `at ${s.cutover.at}, writes unavailable ${s.cutover.writeUnavailableMs === null ? '?' : `${(s.cutover.writeUnavailableMs / 1000).toFixed(2)} s`}`
      : 'not yet',
  );
  row(
    'rollback',
    s.rollback.requested
      ? `${s.rollback.state === 'none' ? 'requested' : s.rollback.state} at ${s.rollback.at ?? '?'}: ${s.rollback.reason ?? ''}`
      : 'not requested',
  );
  if (s.error) row('error', style.red(s.error));
  if (view.failure)
    row('failure', style.red(`${view.failure.type ? `${view.failure.type}: ` : ''}${view.failure.message}`));
  return `${lines.join('\n')}\n`;
}

/** Live rows are as fresh as the copy's last heartbeat (Temporal forwards one every few seconds). */
function heartbeatAge(view: MigrationView, t: TableProgress, now: number): string {
  const copy = view.live.copies.find((c) => c.table === t.table || c.table === t.targetTable);
  if (!copy?.lastHeartbeatAt) return '';
  const age = now - Date.parse(copy.lastHeartbeatAt);
  return age >= 2_000 ? `  (${duration(age)} ago)` : '';
}

/** The lines `cutover watch` redraws on a terminal: one progress bar per table being copied. */
export function renderWatchFrame(
  view: MigrationView,
  rates: Map<string, TableRate>,
  style: Style,
  columns: number,
  now = Date.now(),
): string[] {
  const s = view.status;
  if (!s) return [`${view.workflowId}: ${view.note ?? view.execution.status.toLowerCase()}`];
  const lines = [
    `${style.bold(view.workflowId)}: ${style.bold(s.phase)} for ${duration(now - Date.parse(s.phaseStartedAt))}: ${s.detail}${s.paused ? style.yellow(' (paused)') : ''}`,
  ];
  const copying = s.tables.filter((t) => t.state === 'copying');
  const copied = s.tables.filter((t) => t.state === 'copied').length;
  if (s.tables.length) lines.push(style.dim(`  tables copied: ${copied}/${s.tables.length}`));
  const nameWidth = Math.min(24, Math.max(5, ...copying.map((t) => t.table.length)));
  const barWidth = Math.max(10, Math.min(30, columns - nameWidth - 60));
  for (const t of copying) {
    const r = tableRate(rates, t);
    const name =
      t.table.length > nameWidth ? `${t.table.slice(0, nameWidth - 1)}…` : t.table.padEnd(nameWidth);
    lines.push(
      `  ${name} ${bar(percent(t) / 100, barWidth)} ${percent(t).toFixed(0).padStart(3)}%  ${int(t.rowsCopied)}/${estimate(t)}  ${r?.rowsPerSecond ? `${int(r.rowsPerSecond)} rows/s` : '- rows/s'}  ETA ${r?.etaMs !== null && r?.etaMs !== undefined ? duration(r.etaMs) : '?'}${style.dim(heartbeatAge(view, t, now))}`,
    );
  }
  const tail = [`lag: ${lagText(s, view, now) ?? '-'}`, `approvals: ${approvalText(s)}`];
  if (s.rollback.requested)
    tail.push(style.yellow(`rollback ${s.rollback.state}: ${s.rollback.reason ?? ''}`));
  if (s.error) tail.push(style.red(`error: ${s.error}`));
  lines.push(`  ${tail.join('  |  ')}`);
  if (view.note) lines.push(style.yellow(`  note: ${view.note}`));
  return lines;
}

/** One plain line (no ANSI) describing the state, for logs and pipes: printed when it changes. */
export function watchLine(view: MigrationView, rates: Map<string, TableRate>): string {
  const s = view.status;
  if (!s)
    return `${view.workflowId} ${view.execution.status.toLowerCase()}${view.note ? `: ${view.note}` : ''}`;
  const parts = [`${s.phase}${s.paused ? ' (paused)' : ''}: ${s.detail}`];
  const copying = s.tables.filter((t) => t.state === 'copying');
  if (s.tables.length)
    parts.push(`tables ${s.tables.filter((t) => t.state === 'copied').length}/${s.tables.length} copied`);
  for (const t of copying) {
    const r = tableRate(rates, t);
    parts.push(
      `${t.table} ${int(t.rowsCopied)}/${estimate(t)} rows ${percent(t).toFixed(0)}%${r?.rowsPerSecond ? ` ${int(r.rowsPerSecond)} rows/s` : ''}${r?.etaMs !== null && r?.etaMs !== undefined ? ` ETA ${duration(r.etaMs)}` : ''}`,
    );
  }
  const lag = view.live.catchUp?.lag ?? s.lag;
  if (lag) parts.push(`lag ${int(lag.rowsBehind)} rows/${lag.secondsBehind.toFixed(1)} s`);
  if (s.approval.approvals.length || s.approval.awaiting)
    parts.push(`approvals ${s.approval.approvals.length}/${s.approval.required}`);
  if (s.rollback.requested) parts.push(`rollback ${s.rollback.state}: ${s.rollback.reason ?? ''}`);
  if (s.error) parts.push(`error: ${s.error}`);
  return `${view.workflowId} ${parts.join('; ')}`;
}
