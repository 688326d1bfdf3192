// The planner's output: a stable, documented JSON schema (docs/PLAN.md). Bump PLAN_REPORT_VERSION
// on any incompatible change. Plain types only: the workflow, the activities and the CLI share them.

export const PLAN_REPORT_VERSION = 1;

export type Severity = 'blocking' | 'high' | 'medium' | 'low' | 'info';

/** One entry of the risk register. `code` is stable and can be named in spec overrides. */
export interface Finding {
  severity: Severity;
  code: string;
  /** Table (and column) the finding is about, when it is about one. */
  table?: string;
  column?: string;
  finding: string;
  mitigation: string;
}

export interface ColumnMapping {
  column: string;
  sourceType: string;
  targetType: string;
  /** True when some source value may not arrive unchanged. */
  lossy: boolean;
  /** True when every value the target column accepts can be written back to the source column (rollback). */
  reverseLossless: boolean;
  /** Short reasons behind lossy / reverse flags, and conversions applied. */
  notes: string[];
  /** Generated columns are recreated from their expression, never copied as values. */
  generated: boolean;
}

export interface TableVolume {
  table: string;
  rowEstimate: number;
  exactRows: number | null;
  dataBytes: number;
  indexBytes: number;
  /** Rows written per second on this table while the planner watched (PostgreSQL only); null if unknown. */
  writesPerSecond: number | null;
}

export interface TablePlan {
  table: string;
  targetTable: string;
  primaryKey: string[] | null;
  columns: ColumnMapping[];
  /** Copy order position (0 first): parents before children. */
  copyOrder: number;
}

export interface SideState {
  engine: 'postgres' | 'mysql';
  serverVersion: string;
  schema: string;
  activeConnections: number;
  maxConnections: number | null;
  longTransactions: { id: string; user: string; seconds: number; state: string }[];
  replica: { lagSeconds: number | null; source: string | null } | null;
  readOnly: boolean;
  /** What a read-only fence covers (LiveState.readOnlyFenceScope). */
  readOnlyFenceScope: string;
  settings: Record<string, string | null>;
  privileges: { capability: string; granted: boolean; detail: string }[];
  /** Rows written per second on the whole server during the planner's observation window. */
  writesPerSecond: number;
  roundTripMs: number;
}

export interface SampleMeasurement {
  /** Tables the sample was drawn from: rows and bytes taken from each, and the time each part took. */
  tables: {
    table: string;
    rows: number;
    bytes: number;
    readMs: number;
    loadMs: number;
    upsertMs: number;
    typed: boolean;
  }[];
  rows: number;
  bytes: number;
  readMs: number;
  loadMs: number;
  upsertMs: number;
  /** End-to-end copy rate: read from the source + bulk load into the target. */
  copyRowsPerSecond: number;
  copyBytesPerSecond: number;
  /** Keyed upsert rate on the target: what the change applier's catch-up will do. */
  applyRowsPerSecond: number;
  /** Source read rate alone: what a checksum scan of one side costs. */
  scanRowsPerSecond: number;
  /** Why a table was loaded as text or left out of the sample, if any was. */
  notes: string[];
}

export interface Estimates {
  totalRows: number;
  totalBytes: number;
  /** Null when nothing could be measured (the reason is in `basis`). */
  copySeconds: number | null;
  validationSeconds: number | null;
  /** Changes that arrive during the copy and must be applied afterwards. */
  catchUpSeconds: number | null;
  cutoverDowntimeSeconds: number | null;
  /** How each number was computed, from which measurements. */
  basis: string[];
}

export type DowntimeCategory = 'online' | 'near-zero' | 'maintenance-window';

export interface PlanReport {
  planVersion: typeof PLAN_REPORT_VERSION;
  migration: string;
  generatedAt: string;
  source: { engine: 'postgres' | 'mysql'; connection: string; schema: string };
  target: { engine: 'postgres' | 'mysql'; connection: string; schema: string };
  volume: TableVolume[];
  dependencies: {
    /** Parents before children; the tables of a cycle together, in name order. */
    copyOrder: string[];
    /** Each cycle through two or more tables, in name order; such FKs are created after the load. */
    cycles: string[][];
    /** Tables whose rows reference rows of the same table. */
    selfReferences: string[];
    edges: { from: string; to: string; foreignKey: string }[];
  };
  /** Objects that do not move automatically when the engines differ. */
  manualItems: { kind: 'trigger' | 'view' | 'routine' | 'event'; name: string; note: string }[];
  tables: TablePlan[];
  live: { source: SideState; target: SideState };
  sample: SampleMeasurement | null;
  estimates: Estimates;
  verdict: {
    downtime: DowntimeCategory;
    reasons: string[];
    /** False when a blocking finding stands: an online move cannot start. */
    canStartOnline: boolean;
  };
  risks: Finding[];
  forwardPath: string[];
  backwardPath: string[];
}
