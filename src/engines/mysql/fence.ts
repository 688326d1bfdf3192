// The cutover's write fence on MySQL/MariaDB (docs/CUTOVER.md).
//
// 'trigger': on each fenced table three BEFORE INSERT / UPDATE / DELETE row triggers,
// `_cutover_fence_<migration>_<hash>_ins|upd|del` (trigger names are per schema, so the hash covers
// the migration and the table; the migration part is left out when the name would pass 64
// characters), each `SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
//   'cutover: writes to "shop"."orders" are fenced while migration "m1" cuts over'`
// (MySQL error 1644; MESSAGE_TEXT is cut at 128 characters). REPLACE, LOAD DATA and
// INSERT ... ON DUPLICATE KEY UPDATE fire these triggers too; TRUNCATE fires none (not fenced).
//
// MySQL has no transactional DDL, so "all tables or none" is made with LOCK TABLES: one
// `LOCK TABLES a WRITE, b WRITE, ...` takes the metadata locks of every table at once (or, after
// lock_wait_timeout, none), the triggers are created under it (a failure drops the ones created
// before unlocking), then UNLOCK TABLES. Nobody can write to the tables between the first trigger and
// the last.
//
// Why the fence is tight when installFence returns: LOCK TABLES ... WRITE needs an exclusive-ish
// metadata lock, which InnoDB sessions hold on every table their open transaction has touched
// (read or written) until it ends. So the lock is granted only once every transaction that wrote to
// a fenced table has committed or rolled back; a transaction that started earlier and writes only
// afterwards opens the table anew and runs our trigger. The wait is short (lock_wait_timeout, whole
// seconds, default 2) because every new reader and writer queues behind a waiting LOCK TABLES; after
// the last attempt a FenceBlockedError names the sessions with open transactions (id, user, age).
//
// 'read-only': SET GLOBAL read_only = ON. A transaction with uncommitted writes cannot COMMIT
// afterwards (ER_OPTION_PREVENTS_STATEMENT), so no pre-fence write lands. Limits: server-wide (every
// schema); users with SUPER / READ_ONLY ADMIN (MariaDB) / CONNECTION_ADMIN... still write, and so do
// replication threads; setting it needs SUPER, READ_ONLY ADMIN (MariaDB 10.11) or
// SYSTEM_VARIABLES_ADMIN (MySQL 8). The value before the fence is kept in the state table and
// restored by liftFence (two migrations fencing one server read-only at once: the first lift
// restores the value before both).
//
// State: `<schema>._cutover_fence`, one row per migration (mode, tables, previous value, fenced_at).
import { createHash } from 'node:crypto';
import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';
import {
  checkFenceTables,
  checkMigrationName,
  type CutoverControl,
  describeBlockers,
  FenceBlockedError,
  type FenceBlocker,
  type FenceInstallResult,
  type FenceMode,
  type FencePrevious,
  type FenceStatus,
  type InstallFenceOptions,
  jitter,
} from '../cutover-control';
import { EngineInputError } from '../errors';
import { isLockTimeout } from './ddl';
import { createPool } from './engine';
import { MAX_IDENTIFIER_LENGTH, qualify, quoteIdent } from './quote';
import { readRouting, writeRouting } from './routing';
import { withOwnSession } from './session';

export const FENCE_STATE_TABLE = '_cutover_fence';
export const FENCE_SQLSTATE = '45000';
const EVENTS = [
  { event: 'INSERT', suffix: 'ins' },
  { event: 'UPDATE', suffix: 'upd' },
  { event: 'DELETE', suffix: 'del' },
] as const;
const DEFAULT_LOCK_TIMEOUT_MS = 2000;
const DEFAULT_ATTEMPTS = 5;
/** SIGNAL's MESSAGE_TEXT holds at most 128 characters. */
const MESSAGE_MAX = 128;

/** `_cutover_fence_<migration>_<hash of migration and table>_<ins|upd|del>`, at most 64 characters. */
export function fenceTriggerName(migration: string, table: string, suffix: 'ins' | 'upd' | 'del'): string {
  const hash = createHash('sha256')
    .update(JSON.stringify([migration, table]))
    .digest('hex')
    .slice(0, 12);
  const full = `_cutover_fence_${migration}_${hash}_${suffix}`;
  return full.length <= MAX_IDENTIFIER_LENGTH ? full : `_cutover_fence_${hash}_${suffix}`;
}

/** The message a fenced write gets (cut to SIGNAL's 128 characters). */
export function fenceMessage(schema: string, table: string, migration: string): string {
  const q = (s: string) => `"${s.replaceAll('"', '""')}"`;
  const tail = ` are fenced while migration ${q(migration)} cuts over`;
  let text = `cutover: writes to ${q(schema)}.${q(table)}${tail}`;
  if ([...text].length > MESSAGE_MAX) text = `cutover: writes to ${q(table)}${tail}`;
  const chars = [...text];
  return chars.length > MESSAGE_MAX ? chars.slice(0, MESSAGE_MAX - 1).join('') + '…' : text;
}

/** A string literal for SIGNAL (which takes literals only): quotes and backslashes doubled. */
function literal(text: string): string {
  return `_utf8mb4'${text.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
}

function triggerDdl(schema: string, table: string, migration: string, event: string, name: string): string {
  // cutover's own change applier passes (@cutover_applier = 1, see rows.ts): a rollback drains the
  // target's changes into a source that is still fenced.
  return `CREATE TRIGGER ${qualify(schema, name)} BEFORE ${event} ON ${qualify(schema, table)} FOR EACH ROW
  IF @cutover_applier IS NULL OR @cutover_applier <> 1 THEN
    SIGNAL SQLSTATE '${FENCE_SQLSTATE}' SET MESSAGE_TEXT = ${literal(fenceMessage(schema, table, migration))};
  END IF`;
}

async function rowsOf<T>(conn: PoolConnection, sql: string, params: unknown[] = []): Promise<T[]> {
  const [rows] = await conn.query<RowDataPacket[]>(sql, params);
  return rows as unknown as T[];
}

/**
 * A named lock per schema (held until RELEASE_LOCK or the session ends) under which the state table
 * is created and filled, or found empty and dropped: a lift cannot drop it under an install's insert.
 */
async function lockState(conn: PoolConnection, schema: string): Promise<void> {
  const name = `cutover-fence-${createHash('sha256').update(schema).digest('hex').slice(0, 40)}`;
  const [row] = await rowsOf<{ ok: unknown }>(conn, 'SELECT GET_LOCK(?, 30) AS ok', [name]);
  if (Number(row?.ok) !== 1)
    throw Object.assign(
      new Error(`timed out waiting for the fence state lock of schema ${quoteIdent(schema)}`),
      {
        code: 'ER_LOCK_WAIT_TIMEOUT',
      },
    );
}

async function ensureState(conn: PoolConnection, schema: string): Promise<void> {
  await conn.query(`CREATE TABLE IF NOT EXISTS ${qualify(schema, FENCE_STATE_TABLE)} (
    migration VARCHAR(100) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    mode VARCHAR(16) NOT NULL,
    tables LONGTEXT NOT NULL,
    previous LONGTEXT NULL,
    fenced_at DATETIME(6) NOT NULL
  ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4`);
}

interface StateRow {
  mode: FenceMode;
  tables: string[];
  previous: FencePrevious | null;
  fencedAt: string;
}

async function readState(conn: PoolConnection, schema: string, migration: string): Promise<StateRow | null> {
  const [exists] = await rowsOf<{ n: number }>(
    conn,
    `SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`,
    [schema, FENCE_STATE_TABLE],
  );
  if (!Number(exists?.n)) return null;
  const [row] = await rowsOf<{ mode: FenceMode; tables: string; previous: string | null; fenced_at: string }>(
    conn,
    `SELECT mode, tables, previous, CAST(fenced_at AS CHAR) AS fenced_at FROM ${qualify(schema, FENCE_STATE_TABLE)} WHERE migration = ?`,
    [migration],
  );
  if (!row) return null;
  return {
    mode: row.mode,
    tables: JSON.parse(row.tables) as string[],
    previous: row.previous === null ? null : (JSON.parse(row.previous) as FencePrevious),
    fencedAt: isoUtc(row.fenced_at),
  };
}

/** "2024-01-31 12:00:00.123456" (UTC session) -> "2024-01-31T12:00:00.123Z". */
function isoUtc(text: string): string {
  return new Date(text.replace(' ', 'T').slice(0, 23) + 'Z').toISOString();
}

async function checkTables(conn: PoolConnection, schema: string, tables: string[]): Promise<void> {
  const rows = await rowsOf<{ name: string }>(
    conn,
    `SELECT TABLE_NAME AS name FROM information_schema.TABLES
      WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' AND TABLE_NAME IN (?)`,
    [schema, tables],
  );
  // information_schema compares names with the file system's case rules: match exactly here.
  const missing = tables.filter((t) => !rows.some((r) => r.name === t));
  if (missing.length)
    throw new EngineInputError(
      `cannot fence tables that do not exist: ${missing.map((t) => qualify(schema, t)).join(', ')}`,
    );
}

/** This migration's fence triggers on `schema`: table -> trigger names present. */
async function existingTriggers(
  conn: PoolConnection,
  schema: string,
  migration: string,
): Promise<Map<string, string[]>> {
  const rows = await rowsOf<{ name: string; tbl: string }>(
    conn,
    `SELECT TRIGGER_NAME AS name, EVENT_OBJECT_TABLE AS tbl FROM information_schema.TRIGGERS
      WHERE TRIGGER_SCHEMA = ? AND TRIGGER_NAME LIKE '\\_cutover\\_fence\\_%'`,
    [schema],
  );
  const out = new Map<string, string[]>();
  for (const r of rows) {
    const mine = EVENTS.some((e) => fenceTriggerName(migration, r.tbl, e.suffix) === r.name);
    if (mine) out.set(r.tbl, [...(out.get(r.tbl) ?? []), r.name]);
  }
  return out;
}

/**
 * Sessions holding metadata locks on the tables, where the server shows them (MariaDB's
 * METADATA_LOCK_INFO plugin, MySQL 8's performance_schema.metadata_locks); null where it does not.
 */
async function metadataLockHolders(
  conn: PoolConnection,
  schema: string,
  tables: string[],
): Promise<string[] | null> {
  try {
    const rows = await rowsOf<{ id: unknown }>(
      conn,
      `SELECT DISTINCT THREAD_ID AS id FROM information_schema.METADATA_LOCK_INFO
        WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN (?) AND THREAD_ID <> CONNECTION_ID()`,
      [schema, tables],
    );
    return rows.map((r) => String(r.id));
  } catch {
    // the plugin is not installed
  }
  try {
    const [on] = await rowsOf<{ v: unknown }>(conn, 'SELECT @@performance_schema AS v');
    if (!Number(on?.v)) return null;
    const rows = await rowsOf<{ id: unknown }>(
      conn,
      `SELECT DISTINCT t.PROCESSLIST_ID AS id FROM performance_schema.metadata_locks ml
         JOIN performance_schema.threads t ON t.THREAD_ID = ml.OWNER_THREAD_ID
        WHERE ml.OBJECT_TYPE = 'TABLE' AND ml.OBJECT_SCHEMA = ? AND ml.OBJECT_NAME IN (?)
          AND ml.LOCK_STATUS = 'GRANTED' AND t.PROCESSLIST_ID IS NOT NULL AND t.PROCESSLIST_ID <> CONNECTION_ID()`,
      [schema, tables],
    );
    return rows.map((r) => String(r.id));
  } catch {
    return null;
  }
}

/**
 * The sessions LOCK TABLES waited for: those holding metadata locks on the tables where the server
 * shows them, else every session with an open InnoDB transaction (a superset). Id, user, age, state.
 */
async function blockers(pool: Pool, schema: string, tables: string[]): Promise<FenceBlocker[]> {
  return withOwnSession(pool, async (conn) => {
    const holders = tables.length ? await metadataLockHolders(conn, schema, tables) : null;
    if (holders && !holders.length) return [];
    const rows = await rowsOf<{ id: unknown; usr: string | null; age: unknown; state: string | null }>(
      conn,
      holders
        ? `SELECT p.ID AS id, p.USER AS usr, TIMESTAMPDIFF(SECOND, t.trx_started, NOW()) AS age, p.COMMAND AS state
             FROM information_schema.PROCESSLIST p
             LEFT JOIN information_schema.INNODB_TRX t ON t.trx_mysql_thread_id = p.ID
            WHERE p.ID IN (?) ORDER BY t.trx_started IS NULL, t.trx_started`
        : `SELECT t.trx_mysql_thread_id AS id, p.USER AS usr,
                  TIMESTAMPDIFF(SECOND, t.trx_started, NOW()) AS age, p.COMMAND AS state
             FROM information_schema.INNODB_TRX t
             LEFT JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id
            WHERE t.trx_mysql_thread_id <> CONNECTION_ID()
            ORDER BY t.trx_started`,
      holders ? [holders] : [],
    );
    return rows.map((r) => ({
      session: String(r.id),
      user: r.usr ?? '',
      transactionSeconds: r.age === null || r.age === undefined ? null : Number(r.age),
      state: r.state ?? '',
    }));
  });
}

const lockSeconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

export async function installFence(
  pool: Pool,
  schema: string,
  migration: string,
  mode: FenceMode,
  tablesIn: string[],
  options: InstallFenceOptions = {},
): Promise<FenceInstallResult> {
  checkMigrationName(migration);
  const tables = checkFenceTables(tablesIn);
  if (mode !== 'trigger' && mode !== 'read-only')
    throw new EngineInputError(`fence mode must be "trigger" or "read-only", not ${JSON.stringify(mode)}`);
  const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const attempts = options.attempts ?? DEFAULT_ATTEMPTS;
  const state = qualify(schema, FENCE_STATE_TABLE);

  const prepared = await withOwnSession(pool, async (conn) => {
    await checkTables(conn, schema, tables);
    await lockState(conn, schema);
    await ensureState(conn, schema);
    const existing = await readState(conn, schema, migration);
    if (existing && existing.mode !== mode)
      throw new EngineInputError(
        `migration ${JSON.stringify(migration)} already has a ${existing.mode} fence on schema ${quoteIdent(schema)}: lift it first`,
      );
    // The intent first: a crash after it leaves a row that liftFence (or a re-run) completes. For
    // read-only, the first install's previous value is kept: a retry must not record our own ON.
    const [ro] = await rowsOf<{ v: unknown }>(conn, 'SELECT @@GLOBAL.read_only AS v');
    const previous: FencePrevious | null =
      mode === 'read-only' ? { setting: 'read_only', value: Number(ro?.v) ? 'ON' : 'OFF' } : null;
    const all = [...new Set([...(existing?.tables ?? []), ...tables])].sort();
    await conn.query(
      `INSERT INTO ${state} (migration, mode, tables, previous, fenced_at) VALUES (?, ?, ?, ?, UTC_TIMESTAMP(6))
       ON DUPLICATE KEY UPDATE tables = VALUES(tables)`,
      [migration, mode, JSON.stringify(all), previous === null ? null : JSON.stringify(previous)],
    );
    return { fresh: !existing };
  });

  const undoIntent = () =>
    withOwnSession(pool, (conn) => conn.query(`DELETE FROM ${state} WHERE migration = ?`, [migration])).catch(
      () => undefined,
    );

  for (let attempt = 1; ; attempt++) {
    try {
      await withOwnSession(pool, async (conn) => {
        await conn.query('SET SESSION lock_wait_timeout = ?', [lockSeconds(lockTimeoutMs)]);
        if (mode === 'read-only') {
          await conn.query('SET GLOBAL read_only = ON');
          return;
        }
        const have = await existingTriggers(conn, schema, migration);
        const todo = tables.flatMap((t) =>
          EVENTS.map((e) => ({
            table: t,
            event: e.event,
            name: fenceTriggerName(migration, t, e.suffix),
          })).filter((x) => !(have.get(t) ?? []).includes(x.name)),
        );
        if (!todo.length) return;
        const locked = [...new Set(todo.map((x) => x.table))];
        await conn.query(`LOCK TABLES ${locked.map((t) => `${qualify(schema, t)} WRITE`).join(', ')}`);
        const created: string[] = [];
        try {
          for (const x of todo) {
            await conn.query(triggerDdl(schema, x.table, migration, x.event, x.name));
            created.push(x.name);
          }
        } catch (err) {
          // Still holding the locks: nobody saw a partial fence.
          for (const name of created)
            await conn.query(`DROP TRIGGER IF EXISTS ${qualify(schema, name)}`).catch(() => undefined);
          throw err;
        } finally {
          await conn.query('UNLOCK TABLES').catch(() => undefined);
        }
      });
      break;
    } catch (err) {
      if (!isLockTimeout(err)) {
        if (prepared.fresh) await undoIntent();
        throw err;
      }
      if (attempt >= attempts) {
        const who = await blockers(pool, schema, mode === 'trigger' ? tables : []).catch(() => []);
        if (prepared.fresh) await undoIntent();
        throw new FenceBlockedError(
          `cannot fence ${
            mode === 'read-only' ? 'the server (read_only)' : tables.map((t) => qualify(schema, t)).join(', ')
          } for migration ${JSON.stringify(migration)}: ` +
            `${attempts} attempts of ${lockSeconds(lockTimeoutMs)} s each timed out waiting for locks (nothing was installed); ` +
            `holding them (or with open transactions, where the server shows no metadata locks): ${describeBlockers(who)}`,
          who,
        );
      }
      options.onRetry?.(attempt);
      await jitter(Math.min(200 * 2 ** attempt, 5000));
      if (options.signal?.aborted) {
        if (prepared.fresh) await undoIntent();
        throw options.signal.reason;
      }
    }
  }
  return withOwnSession(pool, async (conn) => {
    const row = (await readState(conn, schema, migration))!;
    return { tables, fencedAt: row.fencedAt, previous: row.previous };
  });
}

export async function liftFence(
  pool: Pool,
  schema: string,
  migration: string,
  options: { lockTimeoutMs?: number; attempts?: number } = {},
): Promise<{ lifted: string[]; mode: FenceMode | null }> {
  checkMigrationName(migration);
  const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const attempts = options.attempts ?? DEFAULT_ATTEMPTS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await withOwnSession(pool, async (conn) => {
        await conn.query('SET SESSION lock_wait_timeout = ?', [lockSeconds(lockTimeoutMs)]);
        const state = await readState(conn, schema, migration);
        const have = await existingTriggers(conn, schema, migration);
        for (const names of have.values())
          for (const name of names) await conn.query(`DROP TRIGGER IF EXISTS ${qualify(schema, name)}`);
        if (state?.mode === 'read-only')
          await conn.query(`SET GLOBAL read_only = ${state.previous?.value === 'ON' ? 'ON' : 'OFF'}`);
        // Last: a crash before this re-runs the (idempotent) steps above.
        if (state) {
          await lockState(conn, schema);
          await conn.query(`DELETE FROM ${qualify(schema, FENCE_STATE_TABLE)} WHERE migration = ?`, [
            migration,
          ]);
          // The state table goes with the last fence of the schema.
          const [left] = await rowsOf<{ n: unknown }>(
            conn,
            `SELECT COUNT(*) AS n FROM ${qualify(schema, FENCE_STATE_TABLE)}`,
          );
          if (!Number(left?.n))
            await conn.query(`DROP TABLE IF EXISTS ${qualify(schema, FENCE_STATE_TABLE)}`);
        }
        const lifted = state?.mode === 'read-only' ? state.tables : [...have.keys()].sort();
        return { lifted, mode: state?.mode ?? (have.size ? 'trigger' : null) };
      });
    } catch (err) {
      if (!isLockTimeout(err) || attempt >= attempts) throw err;
      await jitter(Math.min(200 * 2 ** attempt, 5000));
    }
  }
}

export async function fenceState(pool: Pool, schema: string, migration: string): Promise<FenceStatus> {
  checkMigrationName(migration);
  return withOwnSession(pool, async (conn) => {
    const state = await readState(conn, schema, migration);
    if (state?.mode === 'read-only') {
      const [ro] = await rowsOf<{ v: unknown }>(conn, 'SELECT @@GLOBAL.read_only AS v');
      return {
        mode: 'read-only',
        tables: Number(ro?.v) ? state.tables : [],
        fencedAt: state.fencedAt,
        previous: state.previous,
      };
    }
    const have = await existingTriggers(conn, schema, migration);
    const tables = [...have.entries()].filter(([, names]) => names.length === EVENTS.length).map(([t]) => t);
    return {
      mode: state || tables.length ? 'trigger' : null,
      tables: tables.sort(),
      fencedAt: state?.fencedAt ?? null,
      previous: null,
    };
  });
}

/** Fence and routing on a pool of their own (the engine's createPool). */
export function createMysqlCutoverControl(url: string): CutoverControl {
  const pool = createPool(url);
  return {
    kind: 'mysql',
    defaultSchema: () =>
      withOwnSession(pool, async (conn) => {
        const [row] = await rowsOf<{ db: string | null }>(conn, 'SELECT DATABASE() AS db');
        if (!row?.db)
          throw new EngineInputError(
            'the MySQL connection names no database: add one to the connection URL path (mysql://host/<database>)',
          );
        return row.db;
      }),
    installFence: (schema, migration, mode, tables, options) =>
      installFence(pool, schema, migration, mode, tables, options),
    liftFence: (schema, migration, options) => liftFence(pool, schema, migration, options),
    fenceState: (schema, migration) => fenceState(pool, schema, migration),
    readRouting: (schema, migration) => readRouting(pool, schema, migration),
    writeRouting: (schema, row) => writeRouting(pool, schema, row),
    close: () => pool.end(),
  };
}
