// The migration spec: the one contract between the CLI, the Temporal Web UI's Start Workflow form
// and the workflows. Workflow-safe (zod only). Unknown fields are errors, never silently dropped.
import { z } from 'zod';

/** Connection names are resolved by the worker from CUTOVER_DB_<NAME>; they are never secrets. */
const connectionName = z
  .string()
  .refine((s) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(s) && !s.includes('@'), {
    message:
      'must be a connection name such as SHOP_SRC, not a URL: the worker reads the URL from CUTOVER_DB_<NAME>, so no secret enters Temporal',
  })
  .regex(/^[A-Z][A-Z0-9_]{0,62}$/, 'must be an upper-case name of letters, digits and _ (e.g. SHOP_SRC)');

const engine = z.enum(['postgres', 'mysql']);

/** A name inside a database (schema, table): anything printable; quoting happens in the engine. */
const objectName = z
  .string()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .refine((s) => !s.includes('\u0000'), { message: 'must not contain a NUL character' });

const endpoint = z.strictObject({
  engine,
  connection: connectionName,
  /** MySQL database or PostgreSQL schema; defaults to the connection's database / current schema. */
  schema: objectName.optional(),
});

/** Table filters: exact names or globs with * and ?. */
const tablePattern = z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters');

/** One SQL expression in the target's dialect (an override's generated column or CHECK). */
const sqlExpression = z
  .string()
  .min(1, 'must not be empty')
  .max(4000, 'must be at most 4000 characters')
  .refine((s) => !s.includes(';') && !s.includes('\u0000'), {
    message: 'must be one expression, without ";" or NUL',
  });

/**
 * Per-column overrides, keyed "<table>.<column>" (the first "." separates the table; a column name
 * may contain dots). Used by the schema translator:
 * - type: the target DDL type to create the column with instead of the mapped one (the mapping's
 *   CHECK constraints are dropped with it: the override takes responsibility for the domain);
 * - generatedExpression: the generated column's expression written in the target's SQL (required
 *   for a generated column moving between engines: its values are never copied);
 * - exclude: leave the column out of the target (and of the copy);
 * - zeroDates: what a MySQL zero or partial date ('0000-00-00', '2024-00-10') becomes on a
 *   PostgreSQL target: 'error' (default: the copy stops and names the row), 'null', or
 *   { sentinel: 'YYYY-MM-DD...' }, a valid value of the target type.
 */
const columnOverride = z
  .strictObject({
    type: z
      .string()
      .min(1, 'must not be empty')
      .max(200, 'must be at most 200 characters')
      .refine((s) => !s.includes(';') && !s.includes('\u0000'), {
        message: 'must be one DDL type, without ";" or NUL',
      })
      .optional(),
    generatedExpression: sqlExpression.optional(),
    exclude: z.boolean().optional(),
    zeroDates: z
      .union([
        z.enum(['error', 'null']),
        z.strictObject({
          sentinel: z
            .string()
            .regex(/^\d{4}-\d{2}-\d{2}([ T][0-9:.]+)?$/, 'must be a date or date-time such as 1970-01-01'),
        }),
      ])
      .optional(),
  })
  .superRefine((o, ctx) => {
    if (
      o.type === undefined &&
      o.generatedExpression === undefined &&
      o.exclude === undefined &&
      o.zeroDates === undefined
    )
      ctx.addIssue({
        code: 'custom',
        message: 'must set at least one of type, generatedExpression, exclude, zeroDates',
      });
    if (o.exclude === true && (o.type !== undefined || o.generatedExpression !== undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['exclude'],
        message: 'an excluded column cannot also have a type or generatedExpression',
      });
  });

export type ColumnOverride = z.output<typeof columnOverride>;

/** An override's key "<table>.<name>": the first "." separates the table. */
const dottedKey = (shape: string, example: string) =>
  z
    .string()
    .regex(/^[^.]+\.[\s\S]+$/, `must be "${shape}" (e.g. "${example}")`)
    .max(257, 'must be at most 257 characters')
    .refine((s) => !s.includes('\u0000'), { message: 'must not contain a NUL character' });

const columnOverrideKey = dottedKey('<table>.<column>', 'products.price_with_tax');

/**
 * Per-CHECK overrides, keyed "<table>.<constraint>" (the first "." separates the table). The
 * translator copies a CHECK within an engine and translates a MySQL one to PostgreSQL when its
 * expression is portable; any other is not created (plan finding CHECK_NOT_TRANSLATED). Exactly one of:
 * - expression: the CHECK's condition in the target's SQL, created after the load and validated
 *   against every copied row (replaces the copied or translated one too);
 * - drop: true: the CHECK is not created, knowingly.
 */
const checkOverride = z
  .strictObject({
    expression: sqlExpression.optional(),
    drop: z.literal(true, 'must be true (leave the override out to keep the CHECK)').optional(),
  })
  .superRefine((o, ctx) => {
    if (o.expression === undefined && o.drop === undefined)
      ctx.addIssue({ code: 'custom', message: 'must set one of expression, drop' });
    if (o.expression !== undefined && o.drop !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['drop'],
        message: 'a dropped CHECK cannot also have an expression',
      });
  });

export type CheckOverride = z.output<typeof checkOverride>;

const checkOverrideKey = dottedKey('<table>.<constraint>', 'order_items.chk_qty');

/** Operator hooks are named; the worker reads the command or URL from CUTOVER_HOOK_<NAME> (may hold secrets). */
const hookName = z
  .string()
  .regex(
    /^[A-Z][A-Z0-9_]{0,62}$/,
    'must be an upper-case hook name (e.g. PAUSE_APP), resolved from CUTOVER_HOOK_<NAME>',
  );

const utcTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a UTC time "HH:MM"');

const approval = z
  .strictObject({
    /** Who may approve; empty: anyone who gives a name (the name is recorded). */
    approvers: z
      .array(z.string().min(1, 'must not be empty').max(100, 'must be at most 100 characters'))
      .default([]),
    /** Distinct approvers needed (2 = two-person rule). */
    required: z.number().int().min(1).max(10).default(1),
    /** The cutover starts only inside this daily UTC window (it may wrap midnight). */
    window: z.strictObject({ start: utcTime, end: utcTime }).optional(),
    /** An approval older than this many minutes after the last validation re-validates first. */
    revalidateAfterMinutes: z.number().min(0).max(10_080).default(60),
    /** Approve without a person (demos, rehearsals); recorded as approver "auto". */
    auto: z.boolean().default(false),
  })
  .superRefine((a, ctx) => {
    if (new Set(a.approvers).size !== a.approvers.length)
      ctx.addIssue({ code: 'custom', path: ['approvers'], message: 'lists an approver twice' });
    if (a.window && a.window.start === a.window.end)
      ctx.addIssue({
        code: 'custom',
        path: ['window', 'end'],
        message: 'equals start: an empty window never opens (leave window out for "any time")',
      });
    if (a.approvers.length && a.required > a.approvers.length)
      ctx.addIssue({
        code: 'custom',
        path: ['required'],
        message: `needs ${a.required} distinct approvers but only ${a.approvers.length} are listed`,
      });
    if (a.auto && a.required > 1)
      ctx.addIssue({
        code: 'custom',
        path: ['auto'],
        message: 'automatic approval cannot satisfy a two-person rule',
      });
  });

const copy = z
  .strictObject({
    /** Key-range slices of one table copied at once. */
    slicesPerTable: z.number().int().min(1).max(32).default(2),
    /** Tables copied at once. */
    tablesAtOnce: z.number().int().min(1).max(32).default(2),
    /** Row rate limit per table (the throttle signal can change it); unlimited when absent. */
    maxRowsPerSecond: z.number().positive().optional(),
    /**
     * pt-osc's --max-load: while more queries than this run on the source server (MySQL
     * Threads_running, PostgreSQL active client sessions, or sessions in a transaction for a role
     * without pg_read_all_stats; cutover's own copy sessions count too,
     * up to slicesPerTable x tablesAtOnce) the copy waits, backing off, until the load falls.
     */
    maxLoad: z.number().int().min(1).max(100_000).optional(),
    /** pt-osc's --critical-load: at or above this many, the copy stops and the migration rolls back. */
    criticalLoad: z.number().int().min(1).max(100_000).optional(),
  })
  .refine((c) => c.maxLoad === undefined || c.criticalLoad === undefined || c.criticalLoad > c.maxLoad, {
    message: 'criticalLoad must be above maxLoad',
    path: ['criticalLoad'],
  });

const cutover = z.strictObject({
  /** Go/no-go: the capture lag must stay at most this many seconds ... */
  maxLagSeconds: z.number().min(0).max(3_600).default(2),
  /** ... for this many seconds in a row. */
  stableSeconds: z.number().min(0).max(3_600).default(5),
  /** Give up a released cutover when the lag does not settle in this time (the approvals are voided). */
  goNoGoMinutes: z.number().min(0.1).max(1_440).default(30),
  /** How writes to the source are stopped: rejecting triggers on the moved tables, or read-only. */
  fence: z.enum(['trigger', 'read-only']).default('trigger'),
  /** Reverse replication keeps the source current this long after the cutover; then finalize. */
  rollbackWindowMinutes: z.number().min(0).max(43_200).default(60),
  /**
   * "<table>.<column>" whose type mapping is not reverse-lossless (the plan says which): replicated
   * back during the rollback window anyway, knowing a target value the source type cannot hold
   * stops the reverse replication. Without it such a column refuses the migration before the copy.
   */
  acceptLossyReverse: z.array(z.string().regex(/^[^.]+\.[\s\S]+$/, 'must be "<table>.<column>"')).default([]),
  hooks: z
    .strictObject({
      /** Runs after the built-in fence is up and after it is lifted (e.g. pause the app's writers). */
      fence: hookName.optional(),
      /** Runs after each routing switch (e.g. repoint a proxy). */
      routing: hookName.optional(),
      /** Receives alerts (throughput below half the planned rate, failures). */
      alert: hookName.optional(),
    })
    .default({}),
});

/** How quickly a dead worker is noticed: the heartbeat timeout of every data activity. */
const runtime = z.strictObject({
  heartbeatTimeoutSeconds: z.number().int().min(3).max(600).default(60),
  /**
   * Change application while waiting runs in activities of this many seconds (each reports the lag
   * to the workflow; the live lag is in its heartbeat). Each one is a few history events carrying
   * the tables' models: longer slices keep the history small.
   */
  followSeconds: z.number().int().min(1).max(600).default(120),
  /** The workflow continues as new (carrying its whole state) past this many history events. */
  maxHistoryEvents: z.number().int().min(200).max(40_000).default(5_000),
});

export const migrationSpecSchema = z
  .strictObject({
    /** Human name: the workflow id is derived from it; letters, digits, '-', '_' and '.'. */
    name: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/,
        'must start with a letter or digit and use only letters, digits, ".", "_" and "-" (at most 100)',
      ),
    source: endpoint,
    target: endpoint,
    strategy: z.enum(['blue-green', 'dual-write']).default('blue-green'),
    tables: z
      .strictObject({
        include: z.array(tablePattern).min(1, 'must name at least one table or pattern').default(['*']),
        exclude: z.array(tablePattern).default([]),
      })
      .default({ include: ['*'], exclude: [] }),
    plan: z
      .strictObject({
        /** Rows the measured sample copy reads in total (spread over the largest tables). */
        sampleRows: z.number().int().min(0).max(1_000_000).default(20_000),
        /** SELECT COUNT(*) every table instead of trusting statistics. */
        exactCounts: z.boolean().default(false),
        /** How long the planner watches the write rate on both sides. */
        observeSeconds: z.number().min(0).max(300).default(3),
        /** A transaction open longer than this is reported as long-running. */
        longTransactionSeconds: z.number().int().min(1).max(86_400).default(60),
        /** Skip the per-column data probes (one full scan per table that needs them). */
        skipDataProbes: z.boolean().default(false),
      })
      .default({
        sampleRows: 20_000,
        exactCounts: false,
        observeSeconds: 3,
        longTransactionSeconds: 60,
        skipDataProbes: false,
      }),
    /** Per-column overrides for the target schema, keyed "<table>.<column>" (see columnOverride). */
    columns: z.record(columnOverrideKey, columnOverride).default({}),
    /** Per-CHECK overrides for the target schema, keyed "<table>.<constraint>" (see checkOverride). */
    checks: z.record(checkOverrideKey, checkOverride).default({}),
    approval: approval.default({ approvers: [], required: 1, revalidateAfterMinutes: 60, auto: false }),
    copy: copy.default({ slicesPerTable: 2, tablesAtOnce: 2 }),
    cutover: cutover.default({
      maxLagSeconds: 2,
      stableSeconds: 5,
      goNoGoMinutes: 30,
      fence: 'trigger',
      rollbackWindowMinutes: 60,
      acceptLossyReverse: [],
      hooks: {},
    }),
    runtime: runtime.default({ heartbeatTimeoutSeconds: 60, followSeconds: 120, maxHistoryEvents: 5_000 }),
    /** Finding codes accepted knowingly: they stay in the report but no longer block. */
    acceptRisks: z
      .array(z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'must be a finding code such as NO_PRIMARY_KEY'))
      .default([]),
  })
  .superRefine((spec, ctx) => {
    if (
      spec.source.connection === spec.target.connection &&
      (spec.source.schema ?? '') === (spec.target.schema ?? '')
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['target'],
        message:
          'must differ from source: the same connection and schema would migrate a database onto itself',
      });
    }
  });

export type MigrationSpec = z.output<typeof migrationSpecSchema>;
export type MigrationSpecInput = z.input<typeof migrationSpecSchema>;

export interface SpecProblem {
  /** Dotted path of the bad field, e.g. "source.connection" or "tables.include.0"; "(spec)" for the root. */
  path: string;
  message: string;
}

/** Error type of a rejected spec: stable, non-retryable, matched by the CLI and tests. */
export const INVALID_SPEC = 'InvalidSpec';

export type SpecResult = { ok: true; spec: MigrationSpec } | { ok: false; problems: SpecProblem[] };

export function parseMigrationSpec(input: unknown): SpecResult {
  const result = migrationSpecSchema.safeParse(input);
  if (result.success) return { ok: true, spec: result.data };
  const problems = result.error.issues.flatMap((issue): SpecProblem[] =>
    // One problem per unknown field, each at its own path, so every bad field is named.
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: joinPath([...issue.path, key]), message: 'unknown field' }))
      : [{ path: joinPath(issue.path), message: describeIssue(issue) }],
  );
  return { ok: false, problems };
}

function joinPath(path: PropertyKey[]): string {
  return path.length ? path.map(String).join('.') : '(spec)';
}

function describeIssue(issue: z.core.$ZodIssue): string {
  // A bad record key (columns): say what the key must look like, not just that it is invalid.
  if (issue.code === 'invalid_key' && issue.issues.length)
    return `bad key: ${issue.issues.map((i) => i.message).join('; ')}`;
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message))
    return `is required (${issue.expected})`;
  return issue.message;
}

export function formatSpecProblems(problems: SpecProblem[]): string {
  return `invalid migration spec (${problems.length} problem${problems.length === 1 ? '' : 's'}): ${problems
    .map((p) => `${p.path}: ${p.message}`)
    .join('; ')}`;
}
