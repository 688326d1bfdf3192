// Applying a DDL plan on PostgreSQL: one phase at a time, each statement in its own transaction
// with a short lock_timeout (a DDL must never queue behind a long transaction and block every
// query behind it: it fails fast and the caller retries), idempotently (IF NOT EXISTS where
// PostgreSQL has it, a catalog check in the same transaction where it does not), so a re-run after
// a crash mid-phase finishes the phase without error and without duplicates. Plus the compensation
// (dropTargetObjects) and the sequence reset after catch-up (setSequencesPastMax).
import type { Pool, PoolClient } from 'pg';
import type { DdlPhase, DdlPlan, DdlStatement } from '../ddl-plan';
import { ConstraintNotMet } from '../errors';
import { qualify, quoteIdent } from './quote';

export interface ApplyDdlOptions {
  /** lock_timeout for every statement, in milliseconds (default 5000). */
  lockTimeoutMs?: number;
  /** Called after each statement: applied, or skipped because its object already exists. */
  onStatement?: (statement: DdlStatement, outcome: 'applied' | 'skipped') => void;
}

export interface ApplyDdlResult {
  applied: number;
  skipped: number;
}

export const DEFAULT_DDL_LOCK_TIMEOUT_MS = 5000;

export { isLockTimeout } from './locks';

async function inTransaction<T>(
  pool: Pool,
  plan: DdlPlan,
  lockTimeoutMs: number,
  work: (client: PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // Unqualified names in copied expressions (PostgreSQL -> PostgreSQL defaults, CHECKs, index
    // expressions) resolve in the target schema.
    await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(lockTimeoutMs))}`);
    await client.query(`SELECT set_config('search_path', $1, true)`, [
      `${quoteIdent(plan.targetSchema)}, public`,
    ]);
    const result = await work(client);
    await client.query('COMMIT');
    client.release();
    return result;
  } catch (err) {
    const broken = await client.query('ROLLBACK').then(
      () => false,
      () => true,
    );
    client.release(broken);
    throw err;
  }
}

/** Does the object a statement creates exist already? Only for statements without IF NOT EXISTS. */
async function exists(client: PoolClient, schema: string, s: DdlStatement): Promise<boolean> {
  const { kind, name, table } = s.object;
  if (kind === 'type') {
    const r = await client.query(
      `SELECT 1 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = $1 AND t.typname = $2`,
      [schema, name],
    );
    return r.rowCount !== 0;
  }
  if (kind === 'foreign-key' || kind === 'check') {
    const r = await client.query(
      `SELECT 1 FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid
         JOIN pg_namespace n ON n.oid = r.relnamespace
        WHERE n.nspname = $1 AND r.relname = $2 AND c.conname = $3`,
      [schema, table, name],
    );
    return r.rowCount !== 0;
  }
  if (kind === 'table' || kind === 'sequence' || kind === 'index') {
    // Their statements carry IF NOT EXISTS too; the check makes the outcome visible (skipped).
    const r = await client.query(
      `SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`,
      [schema, name],
    );
    return r.rowCount !== 0;
  }
  // Comments, OWNED BY, VALIDATE and setval are idempotent as they are.
  return false;
}

/** Apply every statement of one phase, in plan order. */
export async function applyDdlPhase(
  pool: Pool,
  plan: DdlPlan,
  phase: DdlPhase,
  options: ApplyDdlOptions = {},
): Promise<ApplyDdlResult> {
  return applyDdlStatements(
    pool,
    plan,
    plan.statements.filter((s) => s.phase === phase),
    options,
  );
}

/** Apply the given statements of a plan (a phase, or part of one), each in its own transaction. */
export async function applyDdlStatements(
  pool: Pool,
  plan: DdlPlan,
  statements: DdlStatement[],
  options: ApplyDdlOptions = {},
): Promise<ApplyDdlResult> {
  if (plan.to !== 'postgres') throw new Error(`a DDL plan for ${plan.to} cannot be applied on PostgreSQL`);
  const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_DDL_LOCK_TIMEOUT_MS;
  const result: ApplyDdlResult = { applied: 0, skipped: 0 };
  for (const s of statements) {
    const outcome = await inTransaction(pool, plan, lockTimeoutMs, async (client) => {
      if (await exists(client, plan.targetSchema, s)) return 'skipped' as const;
      await client.query(s.sql).catch((err: unknown) => {
        const code = (err as { code?: unknown } | null)?.code;
        // Class 23, integrity constraint violation: after the load, the rows are the problem (in
        // the tables phase a 23505 is a catalog race of two CREATEs, to be retried).
        if (s.phase === 'post-load' && typeof code === 'string' && code.startsWith('23'))
          throw new ConstraintNotMet(s.description, code);
        throw err;
      });
      return 'applied' as const;
    });
    result[outcome]++;
    options.onStatement?.(s, outcome);
  }
  return result;
}

/** The finalize phase: every identity/sequence set past max(column) of the copied rows. */
export async function setSequencesPastMax(
  pool: Pool,
  plan: DdlPlan,
  options: ApplyDdlOptions = {},
): Promise<ApplyDdlResult> {
  return applyDdlStatements(
    pool,
    plan,
    plan.statements.filter((s) => s.object.kind === 'sequence-value'),
    options,
  );
}

/**
 * The compensation of the tables phase: drop exactly the tables, sequences and enum types the plan
 * creates, in one transaction, and nothing else. No CASCADE: an object of someone else that came
 * to depend on them (a view, a foreign key) makes the drop fail instead of being dropped too.
 * Objects already gone are fine.
 */
export async function dropTargetObjects(
  pool: Pool,
  plan: DdlPlan,
  options: { lockTimeoutMs?: number } = {},
): Promise<void> {
  if (plan.to !== 'postgres') throw new Error(`a DDL plan for ${plan.to} cannot be dropped on PostgreSQL`);
  const schema = plan.targetSchema;
  await inTransaction(pool, plan, options.lockTimeoutMs ?? DEFAULT_DDL_LOCK_TIMEOUT_MS, async (client) => {
    // All tables in one statement, so foreign keys among them (cycles included) do not block.
    if (plan.created.tables.length)
      await client.query(
        `DROP TABLE IF EXISTS ${plan.created.tables.map((t) => qualify(schema, t)).join(', ')}`,
      );
    if (plan.created.sequences.length)
      await client.query(
        `DROP SEQUENCE IF EXISTS ${plan.created.sequences.map((t) => qualify(schema, t)).join(', ')}`,
      );
    if (plan.created.types.length)
      await client.query(
        `DROP TYPE IF EXISTS ${plan.created.types.map((t) => qualify(schema, t)).join(', ')}`,
      );
  });
}

/**
 * Tables, sequences and types of the plan that already exist on the target: before the first
 * apply, any of them means a name conflict with something cutover did not create (refuse, or the
 * compensation would drop it); after a crash, they are the ones an earlier attempt made.
 */
export async function existingTargetObjects(pool: Pool, plan: DdlPlan): Promise<string[]> {
  const { rows } = await pool.query<{ kind: string; name: string }>(
    `SELECT CASE c.relkind WHEN 'S' THEN 'sequence' ELSE 'table' END AS kind, c.relname::text AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = ANY($2::text[]) AND c.relkind IN ('r', 'p', 'S')
     UNION ALL
     SELECT 'type', t.typname::text FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = $1 AND t.typname = ANY($3::text[]) AND t.typtype = 'e'`,
    [plan.targetSchema, [...plan.created.tables, ...plan.created.sequences], plan.created.types],
  );
  return rows.map((r) => `${r.kind} ${r.name}`).sort();
}
