// What is happening on the server right now, for the planner's preflight: connections, long
// transactions, replication role, the settings capture and fencing depend on, what the connected
// role may do, write counters and the round trip.
import { performance } from 'node:perf_hooks';
import type { ClientBase, Pool } from 'pg';
import type { LiveState, PrivilegeCheck } from '../model';
import { EngineInputError } from '../errors';
import { serverInfo } from './introspect';
import { catalogTypes } from './result-types';

export interface LiveStateOptions {
  /** Transactions open longer than this are reported (default 60). */
  longTransactionSeconds?: number;
  /** Schema whose tables the trigger capability is checked on; defaults to current_schema(). */
  schema?: string;
}

/** Settings that change capture, fencing and the copy depend on. */
export const LIVE_SETTINGS = [
  'wal_level',
  'max_replication_slots',
  'max_wal_senders',
  'max_slot_wal_keep_size',
  'track_commit_timestamp',
  'server_encoding',
  'TimeZone',
  'default_transaction_isolation',
  'statement_timeout',
  'lock_timeout',
];

async function q<T>(client: ClientBase, text: string, values: unknown[] = []): Promise<T[]> {
  return (await client.query<T & object>({ text, values, types: catalogTypes })).rows;
}

const quoted = (name: string) => JSON.stringify(name);

export async function readLiveState(pool: Pool, options: LiveStateOptions = {}): Promise<LiveState> {
  const client = await pool.connect();
  try {
    const { serverVersion } = await serverInfo(client);
    const [base] = await q<{
      active: number;
      max_connections: number;
      in_recovery: boolean;
      default_read_only: string;
      schema: string | null;
      fence_scope: string;
    }>(
      client,
      `SELECT (SELECT count(*) FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid()
                  AND backend_type = 'client backend')::int4 AS active,
              current_setting('max_connections')::int4 AS max_connections,
              pg_is_in_recovery() AS in_recovery,
              current_setting('default_transaction_read_only') AS default_read_only,
              coalesce($1::text, current_schema()::text) AS schema,
              concat_ws(' ', pg_postmaster_start_time(), current_setting('port'), current_database()) AS fence_scope`,
      [options.schema ?? null],
    );

    // Cluster-wide on purpose: an old transaction in any database holds back the xmin horizon and
    // makes the creation of a logical replication slot wait.
    const long = await q<{ id: string; user: string; seconds: number; state: string }>(
      client,
      `SELECT pid::text AS id, coalesce(usename::text, '') AS user,
              extract(epoch FROM now() - xact_start)::float8 AS seconds, coalesce(state, '') AS state
         FROM pg_stat_activity
        WHERE xact_start IS NOT NULL AND pid <> pg_backend_pid() AND backend_type = 'client backend'
          AND xact_start < now() - make_interval(secs => $1)
        ORDER BY xact_start`,
      [options.longTransactionSeconds ?? 60],
    );

    let replica: LiveState['replica'] = null;
    if (base!.in_recovery) {
      const [r] = await q<{ lag: number | null; source: string | null }>(
        client,
        `SELECT extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 AS lag,
                (SELECT sender_host FROM pg_stat_wal_receiver LIMIT 1) AS source`,
      );
      replica = { lagSeconds: r?.lag ?? null, source: r?.source ?? null };
    }

    // Our own session runs in UTC; the server's time zone is what a new session gets (reset_val).
    const settingRows = await q<{ name: string; value: string | null }>(
      client,
      `SELECT s.name, CASE WHEN s.name = 'TimeZone' THEN ps.reset_val ELSE current_setting(s.name, true) END AS value
         FROM unnest($1::text[]) s(name) LEFT JOIN pg_settings ps ON ps.name = s.name`,
      [LIVE_SETTINGS],
    );
    const settings: Record<string, string | null> = {};
    for (const r of settingRows) settings[r.name] = r.value;
    Object.assign(settings, await databaseCollation(client));

    const privileges = await readPrivileges(client, base!.schema ?? 'public');
    const writeCounters = await databaseWriteCounters(client);

    const samples: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      await client.query('SELECT 1');
      samples.push(performance.now() - started);
    }
    samples.sort((a, b) => a - b);

    return {
      serverVersion,
      activeConnections: base!.active,
      maxConnections: base!.max_connections,
      longTransactions: long.map((l) => ({
        id: l.id,
        user: l.user,
        seconds: Math.floor(l.seconds),
        state: l.state,
      })),
      replica,
      readOnly: base!.default_read_only === 'on' || base!.in_recovery,
      readOnlyFenceScope: base!.fence_scope,
      settings,
      privileges,
      writeCounters,
      roundTripMs: samples[2]!,
    };
  } finally {
    client.release();
  }
}

/**
 * The database's default collation: what text orders and case-folds by where a column names no
 * collation (the planner compares source and target). Column names differ between versions
 * (daticulocale became datlocale in 17), so the row is read as JSON; the library's actual version
 * (PostgreSQL 15+) says whether two servers with the same locale name may still sort differently.
 */
async function databaseCollation(client: ClientBase): Promise<Record<string, string | null>> {
  const [row] = await q<{ d: Record<string, unknown>; actual: string | null }>(
    client,
    `SELECT to_jsonb(d) - 'datacl' AS d,
            CASE WHEN current_setting('server_version_num')::int >= 150000
                 THEN pg_catalog.pg_database_collation_actual_version(d.oid) END AS actual
       FROM pg_database d WHERE d.datname = current_database()`,
  );
  const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
  const d = row?.d ?? {};
  const provider = text(d.datlocprovider);
  return {
    database_collate: text(d.datcollate),
    database_ctype: text(d.datctype),
    database_locale_provider: provider === 'i' ? 'icu' : provider === 'c' ? 'libc' : provider,
    database_icu_locale: text(d.datlocale ?? d.daticulocale),
    database_collation_version: text(row?.actual ?? d.datcollversion),
  };
}

async function readPrivileges(client: ClientBase, schema: string): Promise<PrivilegeCheck[]> {
  // Partitions are left out: triggers are created on the partitioned parent, which clones them.
  const [p] = await q<{
    user: string;
    superuser: boolean;
    replication: boolean;
    schema_exists: boolean;
    tables: number;
    lacking_trigger: string[] | null;
    schema_create: boolean | null;
    temp: boolean;
    database: string;
    db_owner: boolean;
  }>(
    client,
    `SELECT current_user::text AS user, r.rolsuper AS superuser, r.rolreplication AS replication,
            n.oid IS NOT NULL AS schema_exists,
            (SELECT count(*) FROM pg_class c
              WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'p') AND NOT c.relispartition)::int4 AS tables,
            (SELECT array_agg(c.relname::text ORDER BY c.relname COLLATE "C") FROM pg_class c
              WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'p') AND NOT c.relispartition
                AND NOT (has_table_privilege(c.oid, 'TRIGGER') OR pg_has_role(c.relowner, 'USAGE'))) AS lacking_trigger,
            CASE WHEN n.oid IS NOT NULL THEN has_schema_privilege(n.oid, 'CREATE') END AS schema_create,
            has_database_privilege(current_database(), 'TEMP') AS temp,
            d.datname::text AS database,
            pg_has_role(d.datdba, 'USAGE') AS db_owner
       FROM pg_roles r
       CROSS JOIN pg_database d
       LEFT JOIN pg_namespace n ON n.nspname = $1
      WHERE r.rolname = current_user AND d.datname = current_database()`,
    [schema],
  );
  const s = quoted(schema);
  const role = quoted(p!.user);
  const lacking = p!.lacking_trigger ?? [];
  const shown =
    lacking.slice(0, 5).map(quoted).join(', ') +
    (lacking.length > 5 ? ` and ${lacking.length - 5} more` : '');

  const trigger: PrivilegeCheck = !p!.schema_exists
    ? { capability: CAPABILITIES.triggers, granted: false, detail: `schema ${s} does not exist` }
    : lacking.length === 0
      ? {
          capability: CAPABILITIES.triggers,
          granted: true,
          detail: `TRIGGER privilege or ownership on all ${p!.tables} tables of schema ${s}`,
        }
      : {
          capability: CAPABILITIES.triggers,
          granted: false,
          detail: `${lacking.length} of ${p!.tables} tables of schema ${s} lack the TRIGGER privilege for role ${role}: ${shown}`,
        };
  return [
    trigger,
    {
      capability: CAPABILITIES.createTables,
      granted: p!.schema_create === true,
      detail: p!.schema_exists
        ? `CREATE on schema ${s} is ${p!.schema_create ? '' : 'not '}granted to role ${role}`
        : `schema ${s} does not exist`,
    },
    {
      capability: CAPABILITIES.tempTables,
      granted: p!.temp,
      detail: `TEMPORARY on database ${quoted(p!.database)} is ${p!.temp ? '' : 'not '}granted to role ${role}`,
    },
    {
      capability: CAPABILITIES.replication,
      granted: p!.replication || p!.superuser,
      detail: p!.superuser
        ? `role ${role} is a superuser`
        : p!.replication
          ? `role ${role} has the REPLICATION attribute`
          : `role ${role} has neither REPLICATION nor SUPERUSER`,
    },
    {
      capability: CAPABILITIES.readOnlyFence,
      granted: p!.superuser || p!.db_owner,
      detail: p!.superuser
        ? `role ${role} is a superuser`
        : p!.db_owner
          ? `role ${role} owns database ${quoted(p!.database)} (ALTER DATABASE ... SET default_transaction_read_only)`
          : `ALTER DATABASE needs the owner of database ${quoted(p!.database)} or a superuser; role ${role} is neither`,
    },
  ];
}

export const CAPABILITIES = {
  triggers: 'create triggers (trigger-based change capture and write fence)',
  createTables: 'create tables in the schema (changelog and control tables)',
  tempTables: 'create temporary tables (planner sample copy)',
  replication: 'logical replication (log-based capture)',
  readOnlyFence: 'set the database read-only (read-only fence)',
} as const;

/**
 * Run fn on one connection: clearing the statistics snapshot and reading must happen on the same
 * backend (a pool may hand out a different one for each query).
 */
async function onOneConnection<T>(db: Pool | ClientBase, fn: (client: ClientBase) => Promise<T>): Promise<T> {
  if (!('totalCount' in db)) return fn(db);
  const client = await db.connect();
  try {
    return await fn(client);
  } finally {
    client.release();
  }
}

// Backends flush their counters to shared memory at transaction end, at most once a second; inside
// a transaction the first read would be cached, hence pg_stat_clear_snapshot() before each read.
async function databaseWriteCounters(client: ClientBase): Promise<LiveState['writeCounters']> {
  await client.query('SELECT pg_stat_clear_snapshot()');
  const [row] = await q<{ ins: string; upd: string; del: string }>(
    client,
    `SELECT coalesce(sum(n_tup_ins), 0)::int8 AS ins, coalesce(sum(n_tup_upd), 0)::int8 AS upd,
            coalesce(sum(n_tup_del), 0)::int8 AS del
       FROM pg_stat_user_tables`,
  );
  return { inserted: Number(row!.ins), updated: Number(row!.upd), deleted: Number(row!.del) };
}

/**
 * Rows inserted + updated + deleted so far, per table of the schema (the planner samples it twice
 * to get per-table write rates). Partitions count towards their root when it is in the same schema,
 * matching how introspection reports partitioned tables.
 */
export async function tableWriteCounters(
  db: Pool | ClientBase,
  schema: string,
): Promise<Record<string, number>> {
  return onOneConnection(db, async (client) => {
    const [ns] = await q<{ oid: number }>(client, `SELECT oid FROM pg_namespace WHERE nspname = $1`, [
      schema,
    ]);
    if (!ns) throw new EngineInputError(`PostgreSQL schema ${JSON.stringify(schema)} does not exist`);
    await client.query('SELECT pg_stat_clear_snapshot()');
    const rows = await q<{ name: string; n: string }>(
      client,
      `SELECT CASE WHEN r.relnamespace = c.relnamespace THEN r.relname ELSE c.relname END::text AS name,
              sum(s.n_tup_ins + s.n_tup_upd + s.n_tup_del)::int8 AS n
         FROM pg_stat_user_tables s
         JOIN pg_class c ON c.oid = s.relid
         JOIN pg_class r ON r.oid = coalesce(pg_partition_root(c.oid), c.oid)
        WHERE c.relnamespace = $1
        GROUP BY 1`,
      [ns.oid],
    );
    const out: Record<string, number> = {};
    for (const r of rows) out[r.name] = Number(r.n);
    return out;
  });
}
