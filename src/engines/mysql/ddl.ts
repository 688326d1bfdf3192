// Applying a DDL plan on MySQL/MariaDB. There is no transactional DDL: every statement commits on
// its own, so each one is a checkpoint: it runs only when the catalog says its object is missing
// (CREATE TABLE IF NOT EXISTS; information_schema for indexes and constraints), and a re-run after
// a crash mid-phase finishes the phase without error and without duplicates. The session's
// lock_wait_timeout is short: a DDL waiting for a metadata lock blocks every query behind it, so
// it fails fast and the caller retries. Plus the compensation (dropTargetObjects) and the
// AUTO_INCREMENT reset after catch-up (setSequencesPastMax).
import type { DdlPhase, DdlPlan, DdlStatement, SequenceReset } from '../ddl-plan';
import { ConstraintNotMet } from '../errors';
import { qualify, quoteIdent } from './quote';
import { type Conn, queryRows } from './session';

export interface ApplyDdlOptions {
  /** lock_wait_timeout in seconds (default 5; MySQL's minimum is 1). */
  lockWaitTimeoutSeconds?: number;
  /** Called after each statement: applied, or skipped because its object already exists. */
  onStatement?: (statement: DdlStatement, outcome: 'applied' | 'skipped') => void;
}

export interface ApplyDdlResult {
  applied: number;
  skipped: number;
}

export const DEFAULT_DDL_LOCK_WAIT_TIMEOUT_SECONDS = 5;

/** True for a statement that gave up waiting for a lock (retry it later: nothing was changed). */
export function isLockTimeout(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ER_LOCK_WAIT_TIMEOUT' || code === 'ER_LOCK_DEADLOCK';
}

/**
 * The DDL session: UTC, a short lock_wait_timeout, and no NO_BACKSLASH_ESCAPES (the plan's string
 * literals escape backslashes). Runs `work`, then puts the session's lock_wait_timeout back: the
 * connection may go back to a pool shared with other work.
 */
async function inDdlSession<T>(conn: Conn, seconds: number, work: () => Promise<T>): Promise<T> {
  const [saved] = await queryRows<{ t: unknown }>(conn, 'SELECT @@SESSION.lock_wait_timeout AS t');
  await prepareSession(conn, seconds);
  try {
    return await work();
  } finally {
    await conn.query('SET SESSION lock_wait_timeout = ?', [Number(saved?.t ?? 31536000)]);
  }
}

async function prepareSession(conn: Conn, seconds: number): Promise<void> {
  await conn.query(
    `SET SESSION time_zone = '+00:00', lock_wait_timeout = ?,
       sql_mode = TRIM(BOTH ',' FROM REPLACE(CONCAT(',', @@SESSION.sql_mode, ','), ',NO_BACKSLASH_ESCAPES,', ','))`,
    [Math.max(1, Math.round(seconds))],
  );
}

async function exists(conn: Conn, schema: string, s: DdlStatement): Promise<boolean> {
  const { kind, name, table } = s.object;
  if (kind === 'index') {
    const rows = await queryRows<{ n: string }>(
      conn,
      `SELECT INDEX_NAME AS n FROM information_schema.STATISTICS
        WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = ?`,
      [schema, table, name],
    );
    return rows.length > 0;
  }
  if (kind === 'foreign-key' || kind === 'check') {
    const rows = await queryRows<{ n: string }>(
      conn,
      `SELECT CONSTRAINT_NAME AS n FROM information_schema.TABLE_CONSTRAINTS
        WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ? AND CONSTRAINT_NAME = ? AND CONSTRAINT_TYPE = ?`,
      [schema, table, name, kind === 'check' ? 'CHECK' : 'FOREIGN KEY'],
    );
    return rows.length > 0;
  }
  // Tables carry IF NOT EXISTS; the AUTO_INCREMENT reset is idempotent.
  return false;
}

/** Apply every statement of one phase, in plan order, one checkpoint per statement. */
export async function applyDdlPhase(
  conn: Conn,
  plan: DdlPlan,
  phase: DdlPhase,
  options: ApplyDdlOptions = {},
): Promise<ApplyDdlResult> {
  return applyDdlStatements(
    conn,
    plan,
    plan.statements.filter((s) => s.phase === phase),
    options,
  );
}

/**
 * Does the error say the table's rows violate the statement? By errno: duplicate (1062, 1586),
 * orphan (1216, 1452), failing CHECK (MySQL 8: 3819; MariaDB: 4025 with SQLSTATE 23000, a number
 * MySQL 8 and mysql2's code names use for an unrelated InnoDB error).
 */
function rowsViolate(err: unknown): string | null {
  const e = err as { errno?: unknown; sqlState?: unknown } | null;
  const errno = typeof e?.errno === 'number' ? e.errno : null;
  if (errno === null) return null;
  if ([1062, 1586, 1216, 1452, 3819].includes(errno) || (errno === 4025 && e?.sqlState === '23000'))
    return `errno ${errno}`;
  return null;
}

/** Apply the given statements of a plan (a phase, or part of one). */
export async function applyDdlStatements(
  conn: Conn,
  plan: DdlPlan,
  statements: DdlStatement[],
  options: ApplyDdlOptions = {},
): Promise<ApplyDdlResult> {
  if (plan.to !== 'mysql') throw new Error(`a DDL plan for ${plan.to} cannot be applied on MySQL`);
  const seconds = options.lockWaitTimeoutSeconds ?? DEFAULT_DDL_LOCK_WAIT_TIMEOUT_SECONDS;
  return inDdlSession(conn, seconds, async () => {
    const result: ApplyDdlResult = { applied: 0, skipped: 0 };
    for (const s of statements) {
      let outcome: 'applied' | 'skipped';
      if (s.reset) {
        await resetAutoIncrement(conn, plan.targetSchema, s.reset);
        outcome = 'applied';
      } else if (await exists(conn, plan.targetSchema, s)) {
        outcome = 'skipped';
      } else {
        await conn.query(s.sql).catch((err: unknown) => {
          const violated = s.phase === 'post-load' ? rowsViolate(err) : null;
          if (violated) throw new ConstraintNotMet(s.description, violated);
          throw err;
        });
        outcome = 'applied';
      }
      result[outcome]++;
      options.onStatement?.(s, outcome);
    }
    return result;
  });
}

async function resetAutoIncrement(conn: Conn, schema: string, reset: SequenceReset): Promise<void> {
  const table = qualify(schema, reset.table);
  const [row] = await queryRows<{ n: string | number | null }>(
    conn,
    `SELECT CAST(COALESCE(MAX(${quoteIdent(reset.column)}), 0) AS DECIMAL(65,0)) + 1 AS n FROM ${table}`,
  );
  const next = BigInt(String(row?.n ?? '1').replace(/\.0*$/, ''));
  const floor = /^\d+$/.test(reset.floor) ? BigInt(reset.floor) : 1n;
  const value = next > floor ? next : floor;
  // An integer computed here, not a value from outside: safe in the statement text.
  await conn.query(`ALTER TABLE ${table} AUTO_INCREMENT = ${value.toString()}`);
}

/** The finalize phase: every AUTO_INCREMENT counter set past max(column) of the copied rows. */
export async function setSequencesPastMax(
  conn: Conn,
  plan: DdlPlan,
  options: ApplyDdlOptions = {},
): Promise<ApplyDdlResult> {
  return applyDdlStatements(
    conn,
    plan,
    plan.statements.filter((s) => s.object.kind === 'sequence-value'),
    options,
  );
}

/**
 * The compensation of the tables phase: drop exactly the tables the plan creates (MySQL has no
 * separate types or sequences), and nothing else; tables already gone are fine. Foreign keys
 * among them are ignored for the drop; a table of someone else referencing them keeps its
 * (now dangling) constraint, as MySQL does with FOREIGN_KEY_CHECKS = 0.
 */
export async function dropTargetObjects(
  conn: Conn,
  plan: DdlPlan,
  options: { lockWaitTimeoutSeconds?: number } = {},
): Promise<void> {
  if (plan.to !== 'mysql') throw new Error(`a DDL plan for ${plan.to} cannot be dropped on MySQL`);
  if (!plan.created.tables.length) return;
  const seconds = options.lockWaitTimeoutSeconds ?? DEFAULT_DDL_LOCK_WAIT_TIMEOUT_SECONDS;
  await inDdlSession(conn, seconds, async () => {
    await conn.query('SET SESSION foreign_key_checks = 0');
    try {
      await conn.query(
        `DROP TABLE IF EXISTS ${plan.created.tables.map((t) => qualify(plan.targetSchema, t)).join(', ')}`,
      );
    } finally {
      await conn.query('SET SESSION foreign_key_checks = 1');
    }
  });
}

/** Tables of the plan that already exist on the target (see the PostgreSQL twin). */
export async function existingTargetObjects(conn: Conn, plan: DdlPlan): Promise<string[]> {
  if (!plan.created.tables.length) return [];
  const rows = await queryRows<{ name: string }>(
    conn,
    `SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN (?)`,
    [plan.targetSchema, plan.created.tables],
  );
  return rows
    .filter((r) => plan.created.tables.includes(r.name))
    .map((r) => `table ${r.name}`)
    .sort();
}
