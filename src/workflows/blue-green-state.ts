// The blue-green workflow's durable state: everything it needs to go on after a continue-as-new
// (or to answer the status query), plain JSON. Pure functions only: workflow-safe and unit-tested.
import type { FencePrevious } from '../activities/cutover';
import type { DdlPlan, TranslatedTable } from '../engines/ddl-plan';
import type { TableModel } from '../engines/model';
import type { MigrationSpec } from '../spec/migration-spec';
import type { Approval, ApproveInput, MigrationPhase, MigrationStatus } from './messages';

/** One table's move as the activities take it (src/activities/tables.ts TableMove). */
export interface Move {
  table: TableModel;
  mapping: TranslatedTable;
  /** Zero-date policies per source column (the spec's columns overrides). */
  zeroDates?: Record<string, 'error' | 'null' | { sentinel: string }>;
}

/** The zero-date policies the spec sets for one table's columns. */
export function zeroDatesOf(spec: MigrationSpec, table: string): Move['zeroDates'] {
  const out: NonNullable<Move['zeroDates']> = {};
  for (const [key, o] of Object.entries(spec.columns)) {
    const dot = key.indexOf('.');
    if (key.slice(0, dot) === table && o.zeroDates !== undefined) out[key.slice(dot + 1)] = o.zeroDates;
  }
  return Object.keys(out).length ? out : undefined;
}

/** A step that changed something, kept until its compensation has run (or the migration is final). */
export type Step =
  | 'target-schema'
  | 'forward-capture'
  | 'source-fence'
  | 'reverse-capture'
  | 'routing-target'
  | 'target-fence';

export interface MigrationState {
  status: MigrationStatus;
  ddl: DdlPlan | null;
  moves: Move[];
  /** Reverse moves (target -> source), once the cutover prepared them. */
  reverseMoves: Move[];
  /** Forward applier position; null: from the start of the changelog. */
  position: string | null;
  /** Applier position when the last validation started: changes after it are re-validated at cutover. */
  validatedFrom: string | null;
  /** Workflow time (ms) of the last full validation's end. */
  validatedAt: number | null;
  /**
   * The source tables' identities when the last full validation started: a table whose identity
   * differs at the cutover changed in a way the capture did not see (Engine.tableIdentities).
   */
  validatedIdentities: Record<string, string | null> | null;
  reversePosition: string | null;
  /** Compensations owed, in the order their steps began. */
  steps: Step[];
  /** Previous setting the read-only fence replaced, per side (restored when lifted). */
  fencePrevious: Partial<Record<'source' | 'target', FencePrevious | null>>;
  /** Set once: when the cutover released (ms) and when the fence went up (ms). */
  fencedAtMs: number | null;
  /** The finalize signal came (after the cutover began): the rollback window ends. */
  finalizeRequested: boolean;
  /** The routing epoch of the last switch attempted (it may have reached one side only). */
  routingEpochTried: number;
  /** Reverse replication failed in the rollback window: the migration finalizes instead. */
  reverseFailed: boolean;
  /** Why the last go/no-go failed, shown while awaiting approval again. */
  noGo: string | null;
  /** Workflow time (ms) when the rollback window ends. */
  rollbackWindowEndsAtMs: number | null;
  /** Planned copy rate (rows/s, from the plan's sample) for the throughput alert; null: unknown. */
  plannedRowsPerSecond: number | null;
}

/** What a continue-as-new passes on: the spec as parsed and the state. */
export interface ResumeInput {
  $resume: { spec: MigrationSpec; state: MigrationState };
}

export function isResumeInput(input: unknown): input is ResumeInput {
  return typeof input === 'object' && input !== null && '$resume' in input;
}

export function initialState(spec: MigrationSpec, now: string): MigrationState {
  return {
    status: {
      migration: spec.name,
      phase: 'validating-spec',
      detail: 'checking the spec',
      startedAt: now,
      phaseStartedAt: now,
      paused: false,
      maxRowsPerSecond: spec.copy.maxRowsPerSecond ?? null,
      tables: [],
      lag: null,
      validation: null,
      validations: [],
      approval: {
        required: spec.approval.required,
        approvers: spec.approval.approvers,
        approvals: [],
        window: spec.approval.window ?? null,
        awaiting: false,
      },
      fence: { state: 'none', side: null, since: null },
      routing: { active: 'source', epoch: 0, switchedAt: null },
      cutover: { at: null, writeUnavailableMs: null },
      rollback: { requested: false, reason: null, at: null, state: 'none' },
      error: null,
    },
    ddl: null,
    moves: [],
    reverseMoves: [],
    position: null,
    validatedFrom: null,
    validatedAt: null,
    validatedIdentities: null,
    reversePosition: null,
    steps: [],
    fencePrevious: {},
    fencedAtMs: null,
    plannedRowsPerSecond: null,
    rollbackWindowEndsAtMs: null,
    finalizeRequested: false,
    routingEpochTried: 0,
    noGo: null,
    reverseFailed: false,
  };
}

/** Only what the copier, applier and validator read of a table: history holds it many times. */
export function slimTable(t: TableModel): TableModel {
  return { ...t, indexes: [], foreignKeys: [], checks: [], triggers: [], comment: null };
}

/** Why an approval is refused; null: it may be recorded. */
export function approvalProblem(
  status: MigrationStatus,
  spec: MigrationSpec,
  input: ApproveInput | undefined,
): string | null {
  const approver = typeof input?.approver === 'string' ? input.approver.trim() : '';
  if (!approver) return 'an approval needs the approver’s name';
  if (approver.length > 100) return 'the approver’s name must be at most 100 characters';
  if (input?.comment !== undefined && (typeof input.comment !== 'string' || input.comment.length > 2000))
    return 'the comment must be a text of at most 2000 characters';
  if (!status.approval.awaiting) return `the migration is not awaiting approval (phase: ${status.phase})`;
  if (spec.approval.approvers.length && !spec.approval.approvers.includes(approver))
    return `${approver} is not an approver of this migration (approvers: ${spec.approval.approvers.join(', ')})`;
  if (status.approval.approvals.some((a) => a.approver === approver))
    return `${approver} has approved already: ${status.approval.required} distinct approvers are needed`;
  return null;
}

export function recordApproval(status: MigrationStatus, input: ApproveInput, at: string): Approval {
  const approval: Approval = { approver: input.approver.trim(), comment: input.comment ?? null, at };
  status.approval.approvals.push(approval);
  return approval;
}

/** Milliseconds left in the daily UTC window at `nowMs` (Infinity without a window; 0 outside it). */
export function msLeftInWindow(window: { start: string; end: string } | null, nowMs: number): number {
  if (!window) return Infinity;
  if (msUntilWindow(window, nowMs) > 0) return 0;
  const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
  const day = 24 * 60 * 60_000;
  const msOfDay = ((nowMs % day) + day) % day;
  const left = minutes(window.end) * 60_000 - msOfDay;
  return left > 0 ? left : left + day;
}

/** Milliseconds from `nowMs` until the daily UTC window opens; 0 when inside it. */
export function msUntilWindow(window: { start: string; end: string } | null, nowMs: number): number {
  if (!window) return 0;
  const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
  const start = minutes(window.start);
  const end = minutes(window.end);
  const day = 24 * 60 * 60_000;
  const msOfDay = ((nowMs % day) + day) % day;
  const now = msOfDay / 60_000;
  const inside = start <= end ? now >= start && now < end : now >= start || now < end;
  if (inside) return 0;
  const wait = start * 60_000 - msOfDay;
  return wait > 0 ? wait : wait + day;
}

export const TERMINAL: MigrationPhase[] = ['completed', 'rolled-back', 'failed'];

/** The Web UI's "current details": a short Markdown summary of the status. */
/** The source's fence while the target is live (the rollback window): a standby's guard, not an outage. */
export function sourceIsStandby(s: MigrationStatus): boolean {
  return s.fence.state === 'fenced' && s.fence.side === 'source' && s.routing.active === 'target';
}

export function detailsMarkdown(s: MigrationStatus): string {
  const lines = [`**${s.migration}** — ${s.phase}${s.paused ? ' (paused)' : ''}: ${s.detail}`, ''];
  if (s.tables.length) {
    const copied = s.tables.filter((t) => t.state === 'copied').length;
    lines.push(`Tables copied: ${copied}/${s.tables.length}`, '');
    lines.push('| table | state | rows | rows/s | time left |', '|---|---|---|---|---|');
    for (const t of s.tables.slice(0, 50)) {
      const estimate = t.rowsEstimate >= 0 ? `~${t.rowsEstimate}` : '?';
      const rate = t.rowsPerSecond === null ? '' : String(t.rowsPerSecond);
      const left = t.etaSeconds === null ? '' : `${Math.ceil(t.etaSeconds / 60)} min`;
      lines.push(`| ${t.table} | ${t.state} | ${t.rowsCopied} / ${estimate} | ${rate} | ${left} |`);
    }
    if (s.tables.length > 50) lines.push(`| … ${s.tables.length - 50} more | | | | |`);
    lines.push('');
  }
  if (s.lag)
    lines.push(`Lag: ${s.lag.rowsBehind} changes, ${s.lag.secondsBehind.toFixed(1)} s (at ${s.lag.at})`);
  if (s.validation)
    lines.push(
      `Validation (${s.validation.scope}, ${s.validation.at}): ${s.validation.status}` +
        (s.validation.status === 'mismatch'
          ? ` — ${s.validation.mismatched} differing, ${s.validation.missing} missing, ${s.validation.extra} extra`
          : ''),
    );
  const a = s.approval;
  lines.push(
    `Approvals: ${a.approvals.length}/${a.required}${a.approvals.length ? ` (${a.approvals.map((x) => x.approver).join(', ')})` : ''}${a.awaiting ? ' — **awaiting approval**: `cutover approve <id> --approver NAME` or signal `approve`' : ''}`,
  );
  lines.push(
    `Fence: ${s.fence.state}${s.fence.side ? ` (${s.fence.side}${sourceIsStandby(s) ? ': the standby, until finalize or rollback' : ''})` : ''}; routing: ${s.routing.active} (epoch ${s.routing.epoch})`,
  );
  if (s.cutover.writeUnavailableMs !== null)
    lines.push(
      `Cutover at ${s.cutover.at}: writes unavailable for ${(s.cutover.writeUnavailableMs / 1000).toFixed(2)} s`,
    );
  if (s.rollback.requested) lines.push(`Rollback: ${s.rollback.state} — ${s.rollback.reason}`);
  if (s.error) lines.push(`Error: ${s.error}`);
  return lines.join('\n');
}
