// The cutover's write fence on PostgreSQL (docs/CUTOVER.md).
//
// 'trigger': one plpgsql function per migration, `_cutover._cutover_fence_<migration>`, and on each
// fenced table a BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ... FOR EACH STATEMENT trigger of the
// same name, ENABLE ALWAYS (it fires under session_replication_role = replica too), that raises
// SQLSTATE 25006 (read_only_sql_transaction, what a read-only server answers) with
//   cutover: writes to "shop"."orders" are fenced while migration "m1" cuts over
// Everything is installed in ONE transaction that first takes LOCK TABLE ... IN SHARE ROW EXCLUSIVE
// MODE on every table (CREATE TRIGGER takes that lock anyway): all tables are fenced or none.
//
// Why the fence is tight when installFence returns: SHARE ROW EXCLUSIVE conflicts with ROW
// EXCLUSIVE, which every INSERT/UPDATE/DELETE holds on its table until its transaction ends. So the
// lock is granted only once every transaction that has written to a fenced table has committed or
// rolled back (its changes are in the capture changelog by then). A transaction that started before
// but writes only afterwards must take ROW EXCLUSIVE after our commit, and PostgreSQL looks triggers
// up from the catalog as of then (not from the transaction's snapshot): its write is rejected. No write
// from before the fence can commit after it.
//
// The lock wait is short (lock_timeout, default 2 s): while we wait, every new writer queues behind
// us, so a long transaction must not hold the application up for long. After each timeout the
// transaction rolls back (nothing installed) and we retry after a jittered pause; after the last
// attempt a FenceBlockedError names the sessions holding conflicting locks (pid, user, age, state).
//
// 'read-only': ALTER DATABASE <db> SET default_transaction_read_only = on (only new sessions see it),
// then the database's other client sessions are terminated (their open transactions roll back) so
// that every session is a new, read-only one. cutover's own sessions (application_name 'cutover') are
// spared and its role stays read-write in the database (ALTER ROLE CURRENT_USER IN DATABASE ... SET
// default_transaction_read_only = off): the change applier still trims the changelog there. So it is
// refused while another session of cutover's role is connected (applications must use another role). Limits: any session may run
// SET default_transaction_read_only = off / BEGIN READ WRITE and write again; it fences the whole
// database, not just the tables; lifting recycles the sessions opened during the fence (they are
// read-only for their lifetime). Use 'trigger' for a fence that does not depend on clients' manners.
//
// State: `_cutover._cutover_fence` records (schema, migration, mode, tables, previous setting,
// fenced_at). liftFence removes exactly this migration's triggers on the schema, restores the
// previous setting, deletes the row; it succeeds when all of that is already gone.
import { createHash } from 'node:crypto';
import type pg from 'pg';
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
import { createPool } from './engine';
import { CONFLICTS_SHARE_ROW_EXCLUSIVE, isLockTimeout } from './locks';
import { MAX_IDENTIFIER_BYTES, qualify, quoteIdent } from './quote';
import { readRouting, writeRouting } from './routing';

export const FENCE_SCHEMA = '_cutover';
export const FENCE_STATE_TABLE = '_cutover_fence';
/** read_only_sql_transaction: the code a read-only server answers writes with. */
export const FENCE_SQLSTATE = '25006';
const STATE = qualify(FENCE_SCHEMA, FENCE_STATE_TABLE);
const DEFAULT_LOCK_TIMEOUT_MS = 2000;
const DEFAULT_ATTEMPTS = 5;
const APPLICATION_NAME = 'cutover';

/**
 * `_cutover_fence_<migration>` when it fits in 63 bytes, else `_cutover_fence_<hash>`: the same
 * name for the function and for the trigger on every table (trigger names are per table).
 */
export function fenceObjectName(migration: string): string {
  const plain = `_cutover_fence_${migration}`;
  if (Buffer.byteLength(plain) <= MAX_IDENTIFIER_BYTES) return plain;
  return `_cutover_fence_${createHash('sha256').update(migration).digest('hex').slice(0, 16)}`;
}

function literal(text: string): string {
  if (text.includes('\0')) throw new EngineInputError('a name containing NUL cannot be fenced');
  return `'${text.replaceAll("'", "''")}'`;
}

/** The message a fenced write gets, as the trigger builds it (for tests and docs). */
export function fenceMessage(schema: string, table: string, migration: string): string {
  return `cutover: writes to ${qualify(schema, table)} are fenced while migration ${JSON.stringify(migration)} cuts over`;
}

function functionDdl(migration: string): string {
  const name = fenceObjectName(migration);
  const ident = (expr: string) => `'"' || replace(${expr}, '"', '""') || '"'`;
  // cutover's own change applier passes (SET LOCAL cutover.applier = 'on', see rows.ts): a rollback
  // drains the target's changes into a source that is still fenced.
  const body = `
BEGIN
  IF current_setting('cutover.applier', true) = 'on' THEN
    RETURN NULL;
  END IF;
  RAISE EXCEPTION USING ERRCODE = '${FENCE_SQLSTATE}',
    MESSAGE = 'cutover: writes to ' || ${ident('TG_TABLE_SCHEMA')} || '.' || ${ident('TG_TABLE_NAME')}
      || ${literal(` are fenced while migration ${JSON.stringify(migration)} cuts over`)},
    HINT = ${literal('read _cutover_routing to find the side to write to; see docs/CUTOVER.md')};
END
`;
  return `CREATE OR REPLACE FUNCTION ${qualify(FENCE_SCHEMA, name)}() RETURNS trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $cutover_fence$${body}$cutover_fence$`;
}

/**
 * READ WRITE explicitly: a session opened while the database is fenced read-only starts read-only,
 * and lifting that fence (or fencing again) must still work from it.
 */
async function inTransaction<T>(client: pg.ClientBase, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN READ WRITE');
  try {
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

async function withClient<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    return await work(client);
  } catch (err) {
    broken = true;
    throw err;
  } finally {
    client.release(broken);
  }
}

async function checkVersion(client: pg.ClientBase): Promise<void> {
  const { rows } = await client.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`);
  if (Number(rows[0]?.v) < 140000)
    throw new EngineInputError('the cutover fence needs PostgreSQL 14 or later (CREATE OR REPLACE TRIGGER)');
}

/**
 * Inside the caller's transaction: take the lock under which cutover creates and drops its
 * `_cutover` schema (the capture's install takes the same one), and create the schema and the state
 * table if missing. Held to the end of the transaction, so a concurrent lift cannot drop them between
 * here and our insert.
 */
async function lockState(client: pg.ClientBase, create: boolean): Promise<void> {
  await client.query(`SELECT pg_advisory_xact_lock(hashtext('cutover capture install'))`);
  if (!create) return;
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(FENCE_SCHEMA)}`);
  await client.query(`CREATE TABLE IF NOT EXISTS ${STATE} (
    schema_name text NOT NULL,
    migration text NOT NULL,
    mode text NOT NULL CHECK (mode IN ('trigger', 'read-only')),
    tables jsonb NOT NULL,
    previous jsonb,
    exempt_role text,
    fenced_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (schema_name, migration))`);
}

/**
 * Inside lift's transaction, after its row is gone: the state table goes when no fence is left, and
 * the `_cutover` schema when nothing else of cutover's (the capture) lives in it.
 */
async function dropStateIfUnused(client: pg.ClientBase): Promise<void> {
  const { rows: exists } = await client.query(`SELECT to_regclass($1) IS NOT NULL AS e`, [STATE]);
  if (!exists[0]?.e) return;
  const { rows } = await client.query(`SELECT 1 FROM ${STATE} LIMIT 1`);
  if (rows.length) return;
  await client.query(`DROP TABLE ${STATE}`);
  await client.query('SAVEPOINT cutover_schema');
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(FENCE_SCHEMA)}`);
  } catch (err) {
    // 2BP01: the capture's changelog or functions still live there.
    if ((err as { code?: unknown }).code !== '2BP01') throw err;
    await client.query('ROLLBACK TO SAVEPOINT cutover_schema');
  }
}

interface StateRow {
  /** The role whose own default was kept read-write for the fence (cutover's), to reset on lift. */
  exempt_role: string | null;
  mode: FenceMode;
  tables: string[];
  previous: FencePrevious | null;
  fenced_at: string;
}

async function readState(client: pg.ClientBase, schema: string, migration: string): Promise<StateRow | null> {
  const { rows: exists } = await client.query(`SELECT to_regclass($1) IS NOT NULL AS e`, [STATE]);
  if (!exists[0]?.e) return null;
  // jsonb arrives as its text (the engine's exact result types): ::text makes that explicit.
  const { rows } = await client.query<{
    exempt_role: string | null;
    mode: FenceMode;
    tables: string;
    previous: string | null;
    fenced_at: string;
  }>(
    `SELECT mode, tables::text AS tables, previous::text AS previous, exempt_role,
            to_char(fenced_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS fenced_at
       FROM ${STATE} WHERE schema_name = $1 AND migration = $2`,
    [schema, migration],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    mode: row.mode,
    tables: JSON.parse(row.tables) as string[],
    previous: row.previous === null ? null : (JSON.parse(row.previous) as FencePrevious),
    fenced_at: row.fenced_at,
    exempt_role: row.exempt_role,
  };
}

/** The oids of the tables, refusing every missing one at once. */
async function tableOids(client: pg.ClientBase, schema: string, tables: string[]): Promise<string[]> {
  const { rows } = await client.query<{ name: string; oid: string }>(
    `SELECT c.relname AS name, c.oid::text AS oid FROM pg_catalog.pg_class c
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = ANY($2::text[]) AND c.relkind IN ('r', 'p')`,
    [schema, tables],
  );
  const missing = tables.filter((t) => !rows.some((r) => r.name === t));
  if (missing.length)
    throw new EngineInputError(
      `cannot fence tables that do not exist: ${missing.map((t) => qualify(schema, t)).join(', ')}`,
    );
  return tables.map((t) => rows.find((r) => r.name === t)!.oid);
}

/** Sessions holding a lock on the tables that SHARE ROW EXCLUSIVE waits for. */
async function blockers(pool: pg.Pool, oids: string[]): Promise<FenceBlocker[]> {
  return withClient(pool, async (client) => {
    const { rows } = await client.query<{ pid: string; usr: string; age: number | null; state: string }>(
      `SELECT a.pid::text AS pid, coalesce(a.usename::text, '') AS usr,
              extract(epoch FROM now() - a.xact_start)::float8 AS age, coalesce(a.state, '') AS state
         FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
        WHERE l.granted AND l.locktype = 'relation' AND l.relation = ANY($1::oid[])
          AND l.mode = ANY($2::text[]) AND l.pid <> pg_backend_pid()
        GROUP BY a.pid, a.usename, a.xact_start, a.state
        ORDER BY a.xact_start NULLS LAST`,
      [oids, CONFLICTS_SHARE_ROW_EXCLUSIVE],
    );
    return rows.map((r) => ({
      session: r.pid,
      user: r.usr,
      transactionSeconds: r.age === null ? null : Number(r.age),
      state: r.state,
    }));
  });
}

async function previousReadOnly(client: pg.ClientBase): Promise<FencePrevious> {
  const { rows } = await client.query<{ value: string | null }>(
    `SELECT (SELECT substr(s, length('default_transaction_read_only=') + 1)
               FROM unnest(rs.setconfig) s WHERE s LIKE 'default\\_transaction\\_read\\_only=%') AS value
       FROM pg_catalog.pg_database d
       LEFT JOIN pg_catalog.pg_db_role_setting rs ON rs.setdatabase = d.oid AND rs.setrole = 0
      WHERE d.datname = current_database()`,
  );
  return { setting: 'default_transaction_read_only', value: rows[0]?.value ?? null };
}

/**
 * Keep cutover's own role read-write in this database while it is fenced read-only: the change
 * applier still trims the changelog on the fenced side from sessions it opens after the fence
 * (role-in-database settings override database settings). That would exempt the applications too if
 * they log in as the same role, so a read-only fence is refused when another session of this role
 * (not cutover's) is connected. Returns the role exempted, or null when the role already has its own
 * setting for this database (left as it is).
 */
async function exemptOwnRole(client: pg.ClientBase): Promise<string | null> {
  const { rows } = await client.query<{ me: string; db: string; shared: number; own: boolean }>(
    `SELECT current_user::text AS me, current_database()::text AS db,
            (SELECT count(*)::int FROM pg_catalog.pg_stat_activity
              WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
                AND usename = current_user AND coalesce(application_name, '') <> $1) AS shared,
            EXISTS (SELECT 1 FROM pg_catalog.pg_db_role_setting s, unnest(s.setconfig) c
                     WHERE s.setdatabase = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
                       AND s.setrole = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user)
                       AND c LIKE 'default\\_transaction\\_read\\_only=%') AS own`,
    [APPLICATION_NAME],
  );
  const r = rows[0]!;
  if (r.shared > 0)
    throw new EngineInputError(
      `a read-only fence on PostgreSQL needs cutover to log in as a role the applications do not use: ` +
        `${r.shared} other session(s) of role ${quoteIdent(r.me)} are connected to database ${quoteIdent(r.db)} ` +
        `(cutover's own sessions must stay read-write to drain the changelog, which would exempt them too); ` +
        `use the trigger fence or give cutover a role of its own`,
    );
  if (r.own) return null;
  await client.query(
    `ALTER ROLE CURRENT_USER IN DATABASE ${quoteIdent(r.db)} SET default_transaction_read_only = off`,
  );
  return r.me;
}

/** Terminate the database's other client sessions (not cutover's own); waits up to 5 s for each. */
async function recycleSessions(client: pg.ClientBase, since: string | null): Promise<number> {
  const { rows } = await client.query<{ pid: number }>(
    `SELECT pid FROM pg_catalog.pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
        AND coalesce(application_name, '') <> $1 AND ($2::timestamptz IS NULL OR backend_start >= $2::timestamptz)`,
    [APPLICATION_NAME, since],
  );
  for (const { pid } of rows) await client.query('SELECT pg_terminate_backend($1, 5000)', [pid]);
  return rows.length;
}

export async function installFence(
  pool: pg.Pool,
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
  await withClient(pool, checkVersion);
  const name = fenceObjectName(migration);

  if (mode === 'read-only') {
    return withClient(pool, async (client) => {
      await tableOids(client, schema, tables);
      const existing = await readState(client, schema, migration);
      if (existing && existing.mode !== 'read-only')
        throw new EngineInputError(
          `migration ${JSON.stringify(migration)} already has a ${existing.mode} fence on schema ${quoteIdent(schema)}: lift it first`,
        );
      const row = await inTransaction(client, async () => {
        await lockState(client, true);
        const previous = await previousReadOnly(client);
        const exempt = existing ? existing.exempt_role : await exemptOwnRole(client);
        // The first install's previous value is kept: a retry must not record our own "on".
        const all = [...new Set([...(existing?.tables ?? []), ...tables])].sort();
        await client.query(
          `INSERT INTO ${STATE} (schema_name, migration, mode, tables, previous, exempt_role)
           VALUES ($1, $2, 'read-only', $3, $4, $5)
           ON CONFLICT (schema_name, migration) DO UPDATE SET tables = EXCLUDED.tables`,
          [schema, migration, JSON.stringify(all), JSON.stringify(previous), exempt],
        );
        const { rows } = await client.query<{ db: string }>('SELECT current_database() AS db');
        await client.query(
          `ALTER DATABASE ${quoteIdent(rows[0]!.db)} SET default_transaction_read_only = on`,
        );
        return (await readState(client, schema, migration))!;
      });
      // After the commit: a session that connects from now on starts read-only; every older one is
      // terminated, so its open transaction rolls back and cannot commit a write after the fence.
      await recycleSessions(client, null);
      return { tables, fencedAt: row.fenced_at, previous: row.previous };
    });
  }

  let oids: string[] = [];
  for (let attempt = 1; ; attempt++) {
    try {
      return await withClient(pool, async (client) => {
        const existing = await readState(client, schema, migration);
        if (existing && existing.mode !== 'trigger')
          throw new EngineInputError(
            `migration ${JSON.stringify(migration)} already has a ${existing.mode} fence on schema ${quoteIdent(schema)}: lift it first`,
          );
        return inTransaction(client, async () => {
          await client.query(`SET LOCAL lock_timeout = '${Math.max(1, Math.round(lockTimeoutMs))}ms'`);
          await lockState(client, true);
          oids = await tableOids(client, schema, tables);
          // All locks first, in one statement: either every table is fenced in this transaction or,
          // on a timeout, none is (the whole transaction rolls back).
          await client.query(
            `LOCK TABLE ${tables.map((t) => qualify(schema, t)).join(', ')} IN SHARE ROW EXCLUSIVE MODE`,
          );
          await client.query(functionDdl(migration));
          for (const t of tables) {
            await client.query(
              `CREATE OR REPLACE TRIGGER ${quoteIdent(name)} BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${qualify(schema, t)}
                 FOR EACH STATEMENT EXECUTE FUNCTION ${qualify(FENCE_SCHEMA, name)}()`,
            );
            await client.query(`ALTER TABLE ${qualify(schema, t)} ENABLE ALWAYS TRIGGER ${quoteIdent(name)}`);
          }
          const all = [...new Set([...(existing?.tables ?? []), ...tables])].sort();
          await client.query(
            `INSERT INTO ${STATE} (schema_name, migration, mode, tables) VALUES ($1, $2, 'trigger', $3)
             ON CONFLICT (schema_name, migration) DO UPDATE SET tables = EXCLUDED.tables`,
            [schema, migration, JSON.stringify(all)],
          );
          const row = (await readState(client, schema, migration))!;
          return { tables, fencedAt: row.fenced_at, previous: null };
        });
      });
    } catch (err) {
      if (!isLockTimeout(err)) throw err;
      if (attempt >= attempts) {
        const who = await blockers(pool, oids).catch(() => []);
        throw new FenceBlockedError(
          `cannot fence ${tables.map((t) => qualify(schema, t)).join(', ')} for migration ${JSON.stringify(migration)}: ` +
            `${attempts} attempts of ${lockTimeoutMs} ms each timed out waiting for table locks (nothing was installed); ` +
            `holding them: ${describeBlockers(who)}`,
          who,
        );
      }
      options.onRetry?.(attempt);
      await jitter(Math.min(200 * 2 ** attempt, 5000));
      options.signal?.throwIfAborted();
    }
  }
}

/** Tables of `schema` carrying this migration's fence trigger, enabled or not. */
async function fencedTables(
  client: pg.ClientBase,
  schema: string,
  name: string,
  enabledOnly: boolean,
): Promise<string[]> {
  const { rows } = await client.query<{ t: string }>(
    `SELECT c.relname AS t FROM pg_catalog.pg_trigger tg
       JOIN pg_catalog.pg_class c ON c.oid = tg.tgrelid
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND tg.tgname = $2 AND (NOT $3 OR tg.tgenabled <> 'D')
      ORDER BY 1`,
    [schema, name, enabledOnly],
  );
  return rows.map((r) => r.t);
}

export async function liftFence(
  pool: pg.Pool,
  schema: string,
  migration: string,
  options: { lockTimeoutMs?: number; attempts?: number } = {},
): Promise<{ lifted: string[]; mode: FenceMode | null }> {
  checkMigrationName(migration);
  const name = fenceObjectName(migration);
  const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const attempts = options.attempts ?? DEFAULT_ATTEMPTS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await withClient(pool, (client) =>
        inTransaction(client, async () => {
          await client.query(`SET LOCAL lock_timeout = '${Math.max(1, Math.round(lockTimeoutMs))}ms'`);
          await lockState(client, false);
          const state = await readState(client, schema, migration);
          const tables = await fencedTables(client, schema, name, false);
          // DROP TRIGGER needs ACCESS EXCLUSIVE (it waits for readers too); the lock timeout keeps
          // readers from queueing behind it for long, and the caller's retry finishes the job.
          for (const t of tables)
            await client.query(`DROP TRIGGER IF EXISTS ${quoteIdent(name)} ON ${qualify(schema, t)}`);
          // The function is shared by this migration's fences on every schema of the database.
          const { rows: users } = await client.query(
            `SELECT 1 FROM pg_catalog.pg_trigger tg JOIN pg_catalog.pg_proc p ON p.oid = tg.tgfoid
               JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
              WHERE n.nspname = $1 AND p.proname = $2 LIMIT 1`,
            [FENCE_SCHEMA, name],
          );
          if (!users.length) await client.query(`DROP FUNCTION IF EXISTS ${qualify(FENCE_SCHEMA, name)}()`);
          let recycle = false;
          if (state?.mode === 'read-only') {
            const { rows } = await client.query<{ db: string }>('SELECT current_database() AS db');
            const db = quoteIdent(rows[0]!.db);
            const value = state.previous?.value ?? null;
            if (value === null)
              await client.query(`ALTER DATABASE ${db} RESET default_transaction_read_only`);
            else
              await client.query(
                `ALTER DATABASE ${db} SET default_transaction_read_only = ${literal(value)}`,
              );
            if (state.exempt_role)
              await client.query(
                `ALTER ROLE ${quoteIdent(state.exempt_role)} IN DATABASE ${db} RESET default_transaction_read_only`,
              );
            recycle = true;
          }
          if (state) {
            await client.query(`DELETE FROM ${STATE} WHERE schema_name = $1 AND migration = $2`, [
              schema,
              migration,
            ]);
            await dropStateIfUnused(client);
          }
          return { tables, state, recycle };
        }).then(async ({ tables, state, recycle }) => {
          // Sessions that connected while the database was read-only stay read-only: recycle them.
          if (recycle) await recycleSessions(client, state!.fenced_at);
          return {
            lifted: state?.mode === 'read-only' ? state.tables : tables,
            mode: state?.mode ?? (tables.length ? 'trigger' : null),
          };
        }),
      );
    } catch (err) {
      if (!isLockTimeout(err) || attempt >= attempts) throw err;
      await jitter(Math.min(200 * 2 ** attempt, 5000));
    }
  }
}

export async function fenceState(pool: pg.Pool, schema: string, migration: string): Promise<FenceStatus> {
  checkMigrationName(migration);
  return withClient(pool, async (client) => {
    const state = await readState(client, schema, migration);
    const tables = await fencedTables(client, schema, fenceObjectName(migration), true);
    if (state?.mode === 'read-only') {
      // Fenced only while the database default really is read-only (someone may have reset it).
      const { rows } = await client.query<{ on: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_db_role_setting s, unnest(s.setconfig) c
                         WHERE s.setrole = 0 AND c = 'default_transaction_read_only=on'
                           AND s.setdatabase = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())) AS on`,
      );
      return {
        mode: 'read-only',
        tables: rows[0]?.on ? state.tables : [],
        fencedAt: state.fenced_at,
        previous: state.previous,
      };
    }
    return {
      mode: state || tables.length ? 'trigger' : null,
      tables,
      fencedAt: state?.fenced_at ?? null,
      previous: null,
    };
  });
}

/** Fence and routing on a pool of their own (the engine's createPool: UTC sessions, app name 'cutover'). */
export function createPostgresCutoverControl(url: string): CutoverControl {
  const pool = createPool(url);
  return {
    kind: 'postgres',
    defaultSchema: async () =>
      (await pool.query<{ s: string | null }>('SELECT current_schema()::text AS s')).rows[0]?.s ?? 'public',
    installFence: (schema, migration, mode, tables, options) =>
      installFence(pool, schema, migration, mode, tables, options),
    liftFence: (schema, migration, options) => liftFence(pool, schema, migration, options),
    fenceState: (schema, migration) => fenceState(pool, schema, migration),
    readRouting: (schema, migration) => readRouting(pool, schema, migration),
    writeRouting: (schema, row) => writeRouting(pool, schema, row),
    close: () => pool.end(),
  };
}
