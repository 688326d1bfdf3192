// Trigger-based change capture on PostgreSQL. Each captured table gets one AFTER row trigger that
// calls a plpgsql function of its own in the `_cutover` schema; the function appends the changed key
// (jsonb, in wire form) to `_cutover._cutover_changelog`. Works on any server without
// reconfiguration (no wal_level=logical, no replication slot).
//
// Reading without losing late commits. Changelog ids come from an identity sequence when the row is
// written, but become visible when its transaction commits: T1 takes id 5, T2 takes id 6 and commits,
// a reader sees 6 and moves past it, then T1 commits and 5 appears behind the reader. An id cursor
// would skip it. So the cursor is not an id: every changelog row records the id of the transaction
// that wrote it (xid8, no wraparound), and a read position is a pair of MVCC snapshots, as in PgQ
// (Skytools/Londiste). A batch holds exactly the rows whose transaction is visible in the batch's
// snapshot B and was not visible in the previous snapshot A ("committed between A and B"). A
// transaction still running at B is invisible in B, so its rows fall into a later batch whatever ids
// they carry; nothing waits for long transactions and nothing is lost. Within one batch, rows are paged
// by id (the set is fixed once B is taken). Trim deletes rows visible in A plus the paged part of B.
// Captures of several schemas of one database share the changelog; each reads, trims and removes only
// its own schema's rows and objects.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import {
  type CaptureDdlOptions,
  CaptureLockError,
  type CaptureLag,
  type CaptureTable,
  type CapturedChange,
  type ChangeBatch,
  type ChangeCapture,
  type ChangedKeysOptions,
  type ChangedKeysPage,
  type ChangeOperation,
  DEFAULT_LOCK_ATTEMPTS,
  DEFAULT_LOCK_TIMEOUT_MS,
  type LockBlocker,
  type TrimOptions,
  checkCaptureTables,
  checkLimit,
  decodeWireKey,
  lockRetryDelay,
} from '../capture';
import { EngineInputError } from '../errors';
import { CONFLICTS_ACCESS_EXCLUSIVE, CONFLICTS_SHARE_ROW_EXCLUSIVE, isLockTimeout } from './locks';
import { qualify, quoteIdent } from './quote';

export const CAPTURE_SCHEMA = '_cutover';
export const CHANGELOG_TABLE = '_cutover_changelog';
/** The trigger's name on every captured table (trigger names are per table in PostgreSQL). */
export const TRIGGER_NAME = '_cutover_capture';
/** TRUNCATE fires no row trigger: a statement trigger records it (the applier empties the target table). */
export const TRUNCATE_TRIGGER_NAME = '_cutover_capture_truncate';
const CHANGELOG = qualify(CAPTURE_SCHEMA, CHANGELOG_TABLE);

/** The per-table trigger function: `_cutover_<hash of schema and table>`. */
export function functionName(schema: string, table: string): string {
  const hash = createHash('sha256')
    .update(JSON.stringify([schema, table]))
    .digest('hex')
    .slice(0, 16);
  return `_cutover_${hash}`;
}

/** The comment on a trigger function naming the schema whose capture it belongs to. */
function ownerTag(schema: string): string {
  return `cutover capture of schema ${JSON.stringify(schema)}`;
}

/** A SQL string literal; standard_conforming_strings is on by default since 9.1 and required here. */
function literal(text: string): string {
  if (text.includes('\0')) throw new EngineInputError('a name containing NUL cannot be captured');
  return `'${text.replaceAll("'", "''")}'`;
}

interface KeyColumn {
  name: string;
  /** Base type name (domains resolved). */
  type: string;
  /** pg_type.typcategory of the base type. */
  category: string;
}

/** The jsonb expression of one key column of `rec` (NEW or OLD) in wire form. */
function wireExpression(rec: 'NEW' | 'OLD', column: KeyColumn): string {
  const ref = `${rec}.${quoteIdent(column.name)}`;
  switch (column.type) {
    case 'int2':
    case 'int4':
    case 'float4':
    case 'float8':
    case 'bool':
      return `to_jsonb(${ref})`;
    case 'bytea':
      // encode() wraps base64 at 76 characters; the wire form has no line breaks.
      return `CASE WHEN ${ref} IS NULL THEN 'null'::jsonb ELSE jsonb_build_object('$binary', translate(encode(${ref}, 'base64'), E'\\n', '')) END`;
    default:
      // The type's output function (format %s), which keeps char(n) padding that ::text would strip;
      // int8 and numeric become decimal strings. Dates and times print in UTC/ISO: the function
      // pins TimeZone, DateStyle and IntervalStyle, whatever the writing session uses.
      return `CASE WHEN ${ref} IS NULL THEN 'null'::jsonb ELSE to_jsonb(format('%s', ${ref})) END`;
  }
}

function keyArray(rec: 'NEW' | 'OLD', columns: KeyColumn[]): string {
  return `jsonb_build_array(${columns.map((c) => wireExpression(rec, c)).join(', ')})`;
}

function functionDdl(schema: string, table: string, columns: KeyColumn[]): string {
  const name = `${literal(schema)}, ${literal(table)}`;
  // SECURITY DEFINER: the application's users need no right on the `_cutover` schema; search_path is
  // pinned so that nothing they create can stand in for a function or operator used here.
  const body = `
DECLARE
  k jsonb;
  o jsonb;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    INSERT INTO ${CHANGELOG} (schema_name, table_name, op, key) VALUES (${name}, 'truncate', '[]');
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO ${CHANGELOG} (schema_name, table_name, op, key) VALUES (${name}, 'delete', ${keyArray('OLD', columns)});
  ELSIF TG_OP = 'INSERT' THEN
    INSERT INTO ${CHANGELOG} (schema_name, table_name, op, key) VALUES (${name}, 'insert', ${keyArray('NEW', columns)});
  ELSE
    k := ${keyArray('NEW', columns)};
    o := ${keyArray('OLD', columns)};
    -- jsonb equality compares strings byte for byte: a key changed only in case, or under a
    -- nondeterministic collation, still counts as a key change.
    INSERT INTO ${CHANGELOG} (schema_name, table_name, op, key, old_key)
      VALUES (${name}, 'update', k, CASE WHEN k = o THEN NULL ELSE o END);
  END IF;
  RETURN NULL;
END
`;
  // The body holds table and column names: a dollar-quote tag that occurs in it would end the
  // body early (and let a crafted name run SQL), so the tag is chosen to occur nowhere in it.
  let tag = '$cutover$';
  for (let n = 1; body.includes(tag.slice(0, -1)); n++) tag = `$cutover${n}$`;
  // standard_conforming_strings: the body's '...' literals double quotes only, and plpgsql parses
  // them under the function's settings, not the writer's.
  return `CREATE OR REPLACE FUNCTION ${qualify(CAPTURE_SCHEMA, functionName(schema, table))}() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  SET "TimeZone" = 'UTC' SET "DateStyle" = 'ISO, YMD' SET "IntervalStyle" = 'postgres'
  SET extra_float_digits = 1 SET standard_conforming_strings = on
AS ${tag}${body}${tag}`;
}

async function inTransaction<T>(client: pg.ClientBase, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/**
 * The sessions holding a lock on the table that conflicts with `modes`, longest transaction first:
 * pid, user and transaction age only (never the query text, which may hold data).
 */
async function lockBlockers(
  client: pg.ClientBase,
  schema: string,
  table: string,
  modes: string[],
): Promise<LockBlocker[]> {
  const { rows } = await client.query<{ pid: number; user: string | null; s: number | null }>(
    `SELECT a.pid, a.usename::text AS user,
            max(extract(epoch FROM pg_catalog.clock_timestamp() - a.xact_start))::float8 AS s
       FROM pg_catalog.pg_locks l
       JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'relation' AND l.granted AND l.pid <> pg_catalog.pg_backend_pid()
        AND l.mode = ANY($3::text[])
        AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())
        AND l.relation = (SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                           WHERE n.nspname = $1 AND c.relname = $2)
      GROUP BY a.pid, a.usename
      ORDER BY s DESC NULLS LAST, a.pid`,
    [schema, table, modes],
  );
  return rows.map((r) => ({
    id: r.pid,
    user: r.user,
    transactionSeconds: Math.max(0, r.s ?? 0),
    holdsTable: true,
  }));
}

/**
 * Run one short transaction of DDL that locks `schema.table` with lock_timeout set, retrying with
 * jittered back-off while the lock is not granted (55P03; a deadlock, 40P01, too). After the last
 * attempt, a CaptureLockError names the sessions holding the table. Every attempt that fails rolls
 * back completely, so the table is left as it was.
 */
async function withLockRetries<T>(
  client: pg.ClientBase,
  target: { schema: string; table: string; modes: string[]; action: 'install' | 'remove' },
  options: CaptureDdlOptions,
  work: () => Promise<T>,
): Promise<T> {
  const timeout = Math.max(1, Math.round(options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS));
  const attempts = Math.max(1, options.lockAttempts ?? DEFAULT_LOCK_ATTEMPTS);
  for (let attempt = 1; ; attempt++) {
    try {
      return await inTransaction(client, async () => {
        await client.query(`SET LOCAL lock_timeout = ${timeout}`);
        return work();
      });
    } catch (err) {
      if (!isLockTimeout(err) && (err as { code?: unknown }).code !== '40P01') throw err;
      const blockers = await lockBlockers(client, target.schema, target.table, target.modes);
      if (attempt >= attempts)
        throw new CaptureLockError(qualify(target.schema, target.table), attempts, blockers, target.action);
      options.onLockRetry?.({ table: qualify(target.schema, target.table), attempt, blockers });
      await new Promise((r) => setTimeout(r, lockRetryDelay(attempt)));
    }
  }
}

async function keyColumns(client: pg.ClientBase, schema: string, t: CaptureTable): Promise<KeyColumn[]> {
  const { rows } = await client.query<{ name: string; type: string; category: string }>(
    `SELECT a.attname AS name, bt.typname AS type, bt.typcategory::text AS category
       FROM pg_catalog.pg_class c
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
       JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid
       JOIN pg_catalog.pg_type bt ON bt.oid = CASE WHEN ty.typtype = 'd' THEN ty.typbasetype ELSE ty.oid END
      WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p') AND a.attname = ANY($3::text[])`,
    [schema, t.table, t.key],
  );
  if (!rows.length) {
    const { rowCount } = await client.query(
      `SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')`,
      [schema, t.table],
    );
    if (!rowCount) throw new EngineInputError(`table ${qualify(schema, t.table)} does not exist`);
  }
  return t.key.map((name) => {
    const found = rows.find((r) => r.name === name);
    if (!found)
      throw new EngineInputError(`table ${qualify(schema, t.table)} has no column ${quoteIdent(name)}`);
    return found;
  });
}

async function installChangelog(client: pg.ClientBase): Promise<void> {
  const { rows } = await client.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`);
  if (Number(rows[0]?.v) < 140000) {
    throw new EngineInputError(
      'trigger change capture needs PostgreSQL 14 or later (xid8 snapshots and CREATE OR REPLACE TRIGGER)',
    );
  }
  await inTransaction(client, async () => {
    // Concurrent installs on one database serialise here instead of failing on a duplicate name.
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('cutover capture install'))`);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(CAPTURE_SCHEMA)}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${CHANGELOG} (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      xid xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id(),
      schema_name text NOT NULL,
      table_name text NOT NULL,
      op text NOT NULL CHECK (op IN ('insert', 'update', 'delete', 'truncate')),
      key jsonb NOT NULL,
      old_key jsonb,
      captured_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp()
    )`);
    await client.query(
      `CREATE INDEX IF NOT EXISTS ${quoteIdent(`${CHANGELOG_TABLE}_xid`)} ON ${CHANGELOG} (xid)`,
    );
  });
}

/**
 * Install the changelog and a capture trigger on each table. Every table is captured in its own short
 * transaction with a lock timeout (CREATE TRIGGER briefly blocks writes to the table), so a re-run
 * after a crash finds each table either fully captured or untouched, and simply completes.
 */
export async function install(
  pool: pg.Pool,
  schema: string,
  tables: CaptureTable[],
  options: CaptureDdlOptions = {},
): Promise<void> {
  checkCaptureTables(tables, (m) => new EngineInputError(m));
  const client = await pool.connect();
  let broken = false;
  try {
    await installChangelog(client);
    for (const t of tables) {
      options.signal?.throwIfAborted();
      const columns = await keyColumns(client, schema, t);
      const target = {
        schema,
        table: t.table,
        modes: CONFLICTS_SHARE_ROW_EXCLUSIVE,
        action: 'install' as const,
      };
      await withLockRetries(client, target, options, async () => {
        await client.query(functionDdl(schema, t.table, columns));
        // The owner, for remove(): function names are hashes.
        await client.query(
          `COMMENT ON FUNCTION ${qualify(CAPTURE_SCHEMA, functionName(schema, t.table))}() IS ${literal(ownerTag(schema))}`,
        );
        await client.query(
          `CREATE OR REPLACE TRIGGER ${quoteIdent(TRIGGER_NAME)} AFTER INSERT OR UPDATE OR DELETE ON ${qualify(schema, t.table)}
             FOR EACH ROW EXECUTE FUNCTION ${qualify(CAPTURE_SCHEMA, functionName(schema, t.table))}()`,
        );
        await client.query(
          `CREATE OR REPLACE TRIGGER ${quoteIdent(TRUNCATE_TRIGGER_NAME)} AFTER TRUNCATE ON ${qualify(schema, t.table)}
             FOR EACH STATEMENT EXECUTE FUNCTION ${qualify(CAPTURE_SCHEMA, functionName(schema, t.table))}()`,
        );
        // A trigger fires by default only while session_replication_role is 'origin'. Logical
        // replication appliers and pg_restore/pg_dump users run as 'replica': ALWAYS captures those
        // writes too (a missed change would leave the target silently different).
        await client.query(
          `ALTER TABLE ${qualify(schema, t.table)} ENABLE ALWAYS TRIGGER ${quoteIdent(TRIGGER_NAME)}`,
        );
        await client.query(
          `ALTER TABLE ${qualify(schema, t.table)} ENABLE ALWAYS TRIGGER ${quoteIdent(TRUNCATE_TRIGGER_NAME)}`,
        );
      });
    }
  } catch (err) {
    broken = (err as { code?: unknown }).code === undefined;
    throw err;
  } finally {
    client.release(broken);
  }
}

/**
 * Drop the capture of one schema: its triggers, their functions and its changelog rows; the changelog
 * and the `_cutover` schema go too when no other schema's capture is left. A no-op when already gone.
 */
export async function remove(pool: pg.Pool, schema: string, options: CaptureDdlOptions = {}): Promise<void> {
  const client = await pool.connect();
  try {
    const { rows: schemaRows } = await client.query(
      `SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1`,
      [CAPTURE_SCHEMA],
    );
    if (!schemaRows.length) return;
    const owned = `p.pronamespace = (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = $1)
      AND p.proname LIKE '\\_cutover\\_%' AND p.prorettype = 'pg_catalog.trigger'::regtype`;
    // Every trigger that calls one of this schema's functions (also on tables renamed since).
    const { rows: triggers } = await client.query<{ schema: string; table: string; trigger: string }>(
      `SELECT tn.nspname AS schema, c.relname AS table, t.tgname AS trigger
         FROM pg_catalog.pg_trigger t
         JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
         JOIN pg_catalog.pg_namespace tn ON tn.oid = c.relnamespace
         JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid
        WHERE ${owned} AND pg_catalog.obj_description(p.oid, 'pg_proc') = $2
          AND NOT t.tgisinternal AND t.tgparentid = 0`,
      [CAPTURE_SCHEMA, ownerTag(schema)],
    );
    for (const t of triggers) {
      const target = {
        schema: t.schema,
        table: t.table,
        modes: CONFLICTS_ACCESS_EXCLUSIVE,
        action: 'remove' as const,
      };
      await withLockRetries(client, target, options, () =>
        client.query(`DROP TRIGGER IF EXISTS ${quoteIdent(t.trigger)} ON ${qualify(t.schema, t.table)}`),
      );
    }
    // DROP TABLE of the changelog waits for every transaction that wrote to it: the same short waits.
    const changelog = {
      schema: CAPTURE_SCHEMA,
      table: CHANGELOG_TABLE,
      modes: CONFLICTS_ACCESS_EXCLUSIVE,
      action: 'remove' as const,
    };
    const lastOne = await withLockRetries(client, changelog, options, async () => {
      const { rows: functions } = await client.query<{ name: string }>(
        `SELECT p.proname AS name FROM pg_catalog.pg_proc p
          WHERE ${owned} AND pg_catalog.obj_description(p.oid, 'pg_proc') = $2`,
        [CAPTURE_SCHEMA, ownerTag(schema)],
      );
      for (const f of functions)
        await client.query(`DROP FUNCTION IF EXISTS ${qualify(CAPTURE_SCHEMA, f.name)}()`);
      // Only other schemas' captures keep the changelog (a write fence's functions live here too).
      const { rows: others } = await client.query(
        `SELECT 1 FROM pg_catalog.pg_proc p WHERE ${owned}
            AND pg_catalog.obj_description(p.oid, 'pg_proc') LIKE 'cutover capture of schema %'`,
        [CAPTURE_SCHEMA],
      );
      if (others.length) {
        await client.query(`DELETE FROM ${CHANGELOG} WHERE schema_name = $1`, [schema]);
        return false;
      }
      await client.query(`DROP TABLE IF EXISTS ${CHANGELOG}`);
      return true;
    });
    // The schema goes too unless something else of cutover's still lives in it.
    if (lastOne)
      await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(CAPTURE_SCHEMA)}`).catch((err: unknown) => {
        if ((err as { code?: unknown }).code !== '2BP01') throw err;
      });
  } finally {
    client.release();
  }
}

/** A read position: everything visible in `done` is consumed; within batch `batch`, ids <= `after`. */
interface Position {
  done: string | null;
  batch: string | null;
  after: string | null;
}

const SNAPSHOT = /^\d+:\d+:(\d+(,\d+)*)?$/;

function parsePosition(text: string | null): Position {
  if (text === null) return { done: null, batch: null, after: null };
  let p: Partial<Position> & { engine?: unknown };
  try {
    p = JSON.parse(text) as Partial<Position> & { engine?: unknown };
  } catch {
    throw new EngineInputError('not a PostgreSQL capture position');
  }
  const snap = (v: unknown) => v === null || (typeof v === 'string' && SNAPSHOT.test(v));
  if (
    p?.engine !== 'postgres' ||
    !snap(p.done) ||
    !snap(p.batch) ||
    !(p.after === null || (typeof p.after === 'string' && /^\d+$/.test(p.after)))
  ) {
    throw new EngineInputError('not a PostgreSQL capture position');
  }
  return { done: p.done ?? null, batch: p.batch ?? null, after: p.after ?? null };
}

function formatPosition(p: Position): string {
  return JSON.stringify({ engine: 'postgres', done: p.done, batch: p.batch, after: p.after });
}

/** SQL condition for rows consumed at a position whose done, batch and after are parameters $a, $a+1, $a+2. */
function consumed(a: number): string {
  const [done, batch, after] = [`$${a}::pg_snapshot`, `$${a + 1}::pg_snapshot`, `$${a + 2}::bigint`];
  return `((${done} IS NOT NULL AND xid < pg_snapshot_xmax(${done}) AND pg_visible_in_snapshot(xid, ${done}))
          OR (${batch} IS NOT NULL AND pg_visible_in_snapshot(xid, ${batch}) AND id <= ${after}))`;
}

/** Rows consumed at a position (parameters $1 = done, $2 = batch, $3 = after). */
const CONSUMED = consumed(1);

// Bounds on xid for the changelog's xid index, implied by the conditions above (they change no
// result): pg_visible_in_snapshot is false from a snapshot's xmax on and true below its xmin. So a
// row consumed at a position has xid < the larger xmax of its snapshots, and a row not consumed has
// xid >= xmin(done), whatever commits late. Without them lag, changedKeys and trim read every row
// of the changelog, which trim's retainAfter lets grow while a migration waits (for days).

const snapshotPart = (snapshot: string, i: 0 | 1): bigint => BigInt(snapshot.split(':')[i]!);

/** Every row consumed at the position has an xid below this; null: none is consumed. */
function consumedBelow(p: Position): string | null {
  const xmaxes = [p.done, p.batch].filter((s) => s !== null).map((s) => snapshotPart(s, 1));
  return xmaxes.length ? String(xmaxes.reduce((a, b) => (a > b ? a : b))) : null;
}

/** Every row not consumed at the position has an xid at or above this; null: no bound. */
function unconsumedFrom(p: Position): string | null {
  return p.done === null ? null : String(snapshotPart(p.done, 0));
}

interface ChangeRow {
  id: string;
  table_name: string;
  op: ChangeOperation;
  key: string;
  old_key: string | null;
  captured_at: string;
}

function toChange(r: ChangeRow): CapturedChange {
  return {
    id: r.id,
    table: r.table_name,
    op: r.op,
    key: decodeWireKey(r.key),
    oldKey: r.old_key === null ? null : decodeWireKey(r.old_key),
    capturedAt: r.captured_at,
  };
}

const SELECT_CHANGES = `SELECT id::text AS id, table_name, op, key::text AS key, old_key::text AS old_key,
  to_char(captured_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS captured_at FROM ${CHANGELOG} AS c`;

export async function readBatch(
  pool: pg.Pool,
  schema: string,
  after: string | null,
  limit: number,
): Promise<ChangeBatch> {
  checkLimit(limit, (m) => new EngineInputError(m));
  const p = parsePosition(after);
  const client = await pool.connect();
  try {
    // One REPEATABLE READ transaction: the snapshot we record as the batch boundary is the very
    // snapshot the rows are read with.
    return await inTransaction(client, async () => {
      await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      let batch = p.batch;
      if (batch === null) {
        const { rows } = await client.query<{ s: string }>('SELECT pg_current_snapshot()::text AS s');
        batch = rows[0]!.s;
      }
      const { rows } = await client.query<ChangeRow>(
        `${SELECT_CHANGES}
          WHERE ($1::pg_snapshot IS NULL OR (xid >= pg_snapshot_xmin($1::pg_snapshot)
                                             AND NOT pg_visible_in_snapshot(xid, $1::pg_snapshot)))
            AND pg_visible_in_snapshot(xid, $2::pg_snapshot)
            AND ($3::bigint IS NULL OR id > $3::bigint)
            AND schema_name = $5
          ORDER BY c.id LIMIT $4`,
        [p.done, batch, p.after, limit, schema],
      );
      const changes = rows.map(toChange);
      const next: Position =
        changes.length < limit
          ? { done: batch, batch: null, after: null }
          : { done: p.done, batch, after: changes[changes.length - 1]!.id };
      return { changes, position: formatPosition(next) };
    });
  } finally {
    client.release();
  }
}

export async function trim(
  pool: pg.Pool,
  schema: string,
  upto: string,
  options: TrimOptions = {},
): Promise<number> {
  const p = parsePosition(upto);
  const below = consumedBelow(p);
  if (below === null) return 0;
  const params: unknown[] = [p.done, p.batch, p.after, schema, below];
  let retain = '';
  if (options.retainAfter !== undefined) {
    // Only what was consumed at both positions goes; null retains everything.
    if (options.retainAfter === null) return 0;
    const r = parsePosition(options.retainAfter);
    const retainBelow = consumedBelow(r);
    if (retainBelow === null) return 0;
    params.push(r.done, r.batch, r.after, retainBelow);
    retain = ` AND coalesce(${consumed(6)}, false) AND xid < $9::xid8`;
  }
  const { rowCount } = await pool.query(
    `DELETE FROM ${CHANGELOG} WHERE schema_name = $4 AND xid < $5::xid8 AND ${CONSUMED}${retain}`,
    params,
  );
  return rowCount ?? 0;
}

/** Where a changedKeys page ends: the last (table, key jsonb text) returned. */
function parseKeysCursor(text: string | null | undefined): { t: string; k: string } | null {
  if (text === null || text === undefined) return null;
  try {
    const c = JSON.parse(text) as { engine?: unknown; t?: unknown; k?: unknown };
    if (c?.engine === 'postgres' && typeof c.t === 'string' && typeof c.k === 'string') {
      JSON.parse(c.k);
      return { t: c.t, k: c.k };
    }
  } catch {
    // refused below
  }
  throw new EngineInputError('not a PostgreSQL changedKeys cursor');
}

/**
 * The distinct (table, key) pairs of the schema's changes not consumed at `since`, in (table, key)
 * order. A TRUNCATE is the pair (table, JSON null), which sorts before every key (an array). Each
 * page scans the changes after `since` once: meant for the few changes between two validations.
 */
export async function changedKeys(
  pool: pg.Pool,
  schema: string,
  since: string | null,
  options: ChangedKeysOptions,
): Promise<ChangedKeysPage> {
  checkLimit(options?.limit, (m) => new EngineInputError(m.replace('readBatch', 'changedKeys')));
  const p = parsePosition(since);
  const cursor = parseKeysCursor(options.after);
  const from = unconsumedFrom(p);
  const { rows } = await pool.query<{ t: string; key_text: string }>(
    `WITH w AS (
       SELECT table_name, op, key, old_key FROM ${CHANGELOG}
        WHERE schema_name = $4${from === null ? '' : ' AND xid >= $8::xid8'} AND NOT coalesce(${CONSUMED}, false)
     ), pairs AS (
       SELECT table_name AS t, CASE WHEN op = 'truncate' THEN 'null'::jsonb ELSE key END AS k FROM w
       UNION
       SELECT table_name, old_key FROM w WHERE old_key IS NOT NULL
     )
     SELECT pairs.t, pairs.k::text AS key_text FROM pairs
      WHERE $5::text IS NULL OR pairs.t COLLATE "C" > $5::text COLLATE "C" OR (pairs.t = $5::text AND pairs.k > $6::jsonb)
      ORDER BY pairs.t COLLATE "C", pairs.k LIMIT $7`,
    [
      p.done,
      p.batch,
      p.after,
      schema,
      cursor?.t ?? null,
      cursor?.k ?? null,
      options.limit + 1,
      ...(from === null ? [] : [from]),
    ],
  );
  const more = rows.length > options.limit;
  const page = more ? rows.slice(0, options.limit) : rows;
  const last = page[page.length - 1];
  return {
    keys: page.map((r) => ({ table: r.t, key: r.key_text === 'null' ? null : decodeWireKey(r.key_text) })),
    next: more && last ? JSON.stringify({ engine: 'postgres', t: last.t, k: last.key_text }) : null,
  };
}

export async function lag(
  pool: pg.Pool,
  schema: string,
  position: string | null = null,
): Promise<CaptureLag> {
  const p = parsePosition(position);
  const from = unconsumedFrom(p);
  const { rows } = await pool.query<{ n: string; s: number | null }>(
    `SELECT count(*)::text AS n,
            extract(epoch FROM clock_timestamp() - min(captured_at))::float8 AS s
       FROM ${CHANGELOG}
      WHERE schema_name = $4${from === null ? '' : ' AND xid >= $5::xid8'} AND NOT coalesce(${CONSUMED}, false)`,
    [p.done, p.batch, p.after, schema, ...(from === null ? [] : [from])],
  );
  return { rowsBehind: Number(rows[0]?.n ?? 0), secondsBehind: Math.max(0, rows[0]?.s ?? 0) };
}

/** The ChangeCapture of one PostgreSQL schema over the engine's pool. */
export function triggerCapture(pool: pg.Pool, schema: string): ChangeCapture {
  return {
    method: 'trigger',
    install: (tables, options) => install(pool, schema, tables, options),
    readBatch: (position, limit) => readBatch(pool, schema, position, limit),
    trim: (position, options) => trim(pool, schema, position, options),
    lag: (position) => lag(pool, schema, position ?? null),
    changedKeys: (since, options) => changedKeys(pool, schema, since, options),
    remove: (options) => remove(pool, schema, options),
  };
}
