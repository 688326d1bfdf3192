// Signals, updates and queries of cutover's workflows, in one workflow-safe module shared with the
// CLI (the client side imports the same definitions).
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

export type PlanPhase = 'validating' | 'inspecting' | 'analyzing' | 'sampling' | 'assembling' | 'done';

export interface PlanStatus {
  phase: PlanPhase;
  /** What the current phase is doing, in a few words. */
  detail: string;
}

export const planStatusQuery = defineQuery<PlanStatus>('planStatus');

// ---- blueGreenMigration ----

/** The blue-green state machine, in order; 'rolling-back' and the terminal states can follow any. */
export type MigrationPhase =
  | 'validating-spec'
  | 'planning'
  | 'preparing-target'
  | 'installing-capture'
  | 'copying'
  | 'catching-up'
  | 'validating'
  | 'awaiting-approval'
  | 'cutting-over'
  | 'rollback-window'
  | 'finalizing'
  | 'completed'
  | 'rolling-back'
  | 'rolled-back'
  | 'failed';

export interface TableProgress {
  table: string;
  targetTable: string;
  /** The planner's row estimate (statistics unless exactCounts). */
  rowsEstimate: number;
  rowsCopied: number;
  state: 'pending' | 'copying' | 'copied';
  /** While copying: the rate and time left the copy last reported (copyProgressSignal); else null. */
  rowsPerSecond: number | null;
  etaSeconds: number | null;
}

export interface Approval {
  approver: string;
  comment: string | null;
  /** UTC ISO time. */
  at: string;
}

export interface ValidationSummary {
  /** 'full': every table; 'changed': the rows changed since the last validation. */
  scope: 'full' | 'changed';
  status: 'match' | 'mismatch';
  at: string;
  tables: number;
  mismatched: number;
  missing: number;
  extra: number;
}

export interface MigrationStatus {
  migration: string;
  phase: MigrationPhase;
  /** What the phase is doing now, in a few words. */
  detail: string;
  startedAt: string;
  phaseStartedAt: string;
  paused: boolean;
  maxRowsPerSecond: number | null;
  tables: TableProgress[];
  /** Capture lag as last measured by the workflow (live figures: the pending catch-up's heartbeat). */
  lag: { rowsBehind: number; secondsBehind: number; at: string } | null;
  /** The latest validation, and every one so far (the last 20): full ones and the cutover's. */
  validation: ValidationSummary | null;
  validations: ValidationSummary[];
  approval: {
    required: number;
    approvers: string[];
    approvals: Approval[];
    window: { start: string; end: string } | null;
    awaiting: boolean;
  };
  fence: { state: 'none' | 'fenced' | 'lifted'; side: 'source' | 'target' | null; since: string | null };
  routing: { active: 'source' | 'target'; epoch: number; switchedAt: string | null };
  cutover: { at: string | null; writeUnavailableMs: number | null };
  rollback: {
    requested: boolean;
    reason: string | null;
    at: string | null;
    /** incomplete: a compensation failed for good; the status error names what is left. */
    state: 'none' | 'running' | 'done' | 'incomplete';
  };
  /** The failure that ended or rolled back the migration, redacted. */
  error: string | null;
}

export interface ApproveInput {
  approver: string;
  comment?: string;
}

export const statusQuery = defineQuery<MigrationStatus>('status');
/** Validated: rejected unless awaiting approval, the approver is allowed, and has not approved yet. */
export const approveCutoverUpdate = defineUpdate<MigrationStatus['approval'], [ApproveInput]>(
  'approveCutover',
);
/** The same as the update, for the Web UI (signals cannot be rejected: a bad one is logged and ignored). */
export const approveSignal = defineSignal<[ApproveInput]>('approve');
export const rollbackSignal = defineSignal<[{ reason: string }]>('rollback');
/** End the rollback window now. */
export const finalizeSignal = defineSignal<[]>('finalize');
export const pauseSignal = defineSignal<[]>('pause');
export const resumeSignal = defineSignal<[]>('resume');
/** New row rate limit per table for the copy (null: unlimited). Takes effect at the next table. */
export const throttleSignal = defineSignal<[{ maxRowsPerSecond: number | null }]>('throttle');
/**
 * Sent by a running copy activity to its own workflow, so the status query and the UI's details show
 * live progress; ever less often as the copy goes on (history grows with the log of its duration).
 */
export interface CopyProgress {
  table: string;
  rowsCopied: number;
  rowsPerSecond: number | null;
}
export const copyProgressSignal = defineSignal<[CopyProgress]>('copyProgress');

/** The workflow id the CLI gives a migration (the Web UI form lets the operator choose any). */
export function migrationWorkflowId(name: string): string {
  return `cutover-${name}`;
}
