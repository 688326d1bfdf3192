// Data probes, live state, privileges of a limited role and the scratch load, on real databases.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { EngineInputError } from '../../src/engines/errors';
import {
  CLIENT_CONNECTION_CHECK_INTERVAL,
  createPool,
  createPostgresEngine,
  sessionSetup,
  type PostgresEngine,
} from '../../src/engines/postgres/engine';
import { copyIn, encodeCopyRow } from '../../src/engines/postgres/copy-text';
import { CAPABILITIES } from '../../src/engines/postgres/live-state';
import type { ColumnProbe } from '../../src/engines/engine';
import {
  createPostgresDatabase,
  execPostgres,
  PG_ADMIN_URL,
  uniqueName,
  type TestDatabase,
} from '../helpers/databases';

let db: TestDatabase;
let engine: PostgresEngine;
const role = uniqueName('cutover_role');

/** An assert.rejects/throws validator: an EngineInputError whose message matches. */
function inputError(pattern: RegExp) {
  return (err: Error): boolean => {
    assert.ok(err instanceof EngineInputError, `${err.name}: ${err.message}`);
    assert.equal(err.name, 'EngineInputError');
    assert.match(err.message, pattern);
    return true;
  };
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

// Column-major fixture: row i takes the i-th value of every column (NULL when a column has fewer).
const PROBE_DATA: Record<string, { type: string; values: unknown[] }> = {
  flag: { type: 'integer', values: [0, 1, 2, -1, null, 1] },
  flag_bool: { type: 'boolean', values: [true, false, null] },
  flag_num: { type: 'numeric', values: ['0', '1.0', '0.5', null] },
  amount: { type: 'numeric(10,2)', values: ['-0.01', '0', '12.5', null, '-7'] },
  big: { type: 'bigint', values: ['-9223372036854775808', '9223372036854775807', null] },
  name: { type: 'text', values: ['a ', 'b', ' c', 'd  ', null, ''] },
  label: { type: 'varchar(20)', values: ['x ', 'y'] },
  fixed: { type: 'char(5)', values: ['ab', 'abcde', null] },
  blob: {
    type: 'bytea',
    values: [Buffer.from([0, 255]), Buffer.from([255]), Buffer.from([65, 0]), null, Buffer.alloc(0)],
  },
  doc: {
    type: 'json',
    values: ['{"a": "\\u0000"}', '{"a": "\\\\u0000"}', '["x\\\\\\u0000"]', '{"b": 1}', null],
  },
  doc_text: { type: 'text', values: ['{"k": "nul\\u0000"}', 'plain'] },
  docb: { type: 'jsonb', values: ['{"a": 1}', null] },
  dur: { type: 'interval', values: ['25 hours', '-1 hour', '23:59:59', '1 day', '10 minutes', null] },
  alarm: { type: 'time', values: ['24:00:00', '23:59:59.999999', '00:00:00', null] },
  alarm_tz: { type: 'timetz', values: ['24:00:00+00', '12:00:00+02'] },
  ts: {
    type: 'timestamptz',
    values: [
      '1970-01-01 00:00:00+00',
      '1970-01-01 00:00:01+00',
      '2038-01-19 03:14:07.999+00',
      '2038-01-19 03:14:08+00',
      'infinity',
      '2000-01-01 12:00:00+05',
    ],
  },
  ts_local: {
    type: 'timestamp(3)',
    values: [
      '1969-12-31 23:59:59.999',
      '1970-01-01 00:00:01',
      '2038-01-19 03:14:07.5',
      '2038-01-19 03:14:08',
      null,
    ],
  },
  born: {
    type: 'date',
    values: ['1969-12-31', '1970-01-01', '1970-01-02', '2038-01-19', '2038-01-20', null],
  },
  feeling: { type: 'mood', values: ['ok', null] },
};
const ROWS = Math.max(...Object.values(PROBE_DATA).map((c) => c.values.length));

before(async () => {
  db = await createPostgresDatabase('cutover_pgp');
  const names = Object.keys(PROBE_DATA);
  await execPostgres(db.url, [
    `CREATE TYPE mood AS ENUM ('ok', 'bad')`,
    `CREATE TABLE probe_me (id integer PRIMARY KEY, ${names.map((n) => `${n} ${PROBE_DATA[n]!.type}`).join(', ')})`,
    `CREATE TABLE counted (id serial PRIMARY KEY, v text)`,
  ]);
  await withClient(db.url, async (c) => {
    for (let i = 0; i < ROWS; i++) {
      const values = names.map((n) => PROBE_DATA[n]!.values[i] ?? null);
      await c.query(
        `INSERT INTO probe_me (id, ${names.join(', ')}) VALUES ($1, ${names.map((_, k) => `$${k + 2}`).join(', ')})`,
        [i + 1, ...values],
      );
    }
  });
  engine = createPostgresEngine(db.url);
});

after(async () => {
  await engine?.close();
  if (db) {
    await execPostgres(db.url, [`DROP OWNED BY ${role}`]).catch(() => undefined);
    await db.drop();
  }
  await execPostgres(PG_ADMIN_URL, [`DROP ROLE IF EXISTS ${role}`]);
});

test('probes count exactly the offending rows, NULLs never count', async () => {
  const probes: [ColumnProbe, number][] = [
    [{ column: 'flag', kind: 'non-boolean' }, 2],
    [{ column: 'flag_bool', kind: 'non-boolean' }, 0],
    [{ column: 'flag_num', kind: 'non-boolean' }, 1],
    [{ column: 'flag', kind: 'negative' }, 1],
    [{ column: 'amount', kind: 'negative' }, 2],
    [{ column: 'big', kind: 'negative' }, 1],
    [{ column: 'dur', kind: 'negative' }, 1],
    [{ column: 'name', kind: 'trailing-space' }, 2],
    [{ column: 'label', kind: 'trailing-space' }, 1],
    [{ column: 'fixed', kind: 'trailing-space' }, 0],
    [{ column: 'name', kind: 'nul-byte' }, 0],
    [{ column: 'blob', kind: 'nul-byte' }, 2],
    [{ column: 'doc', kind: 'json-nul' }, 2],
    [{ column: 'doc_text', kind: 'json-nul' }, 1],
    [{ column: 'docb', kind: 'json-nul' }, 0],
    [{ column: 'dur', kind: 'time-out-of-day' }, 3],
    [{ column: 'alarm', kind: 'time-out-of-day' }, 1],
    [{ column: 'alarm_tz', kind: 'time-out-of-day' }, 1],
    [{ column: 'ts', kind: 'timestamp-out-of-range' }, 3],
    [{ column: 'ts_local', kind: 'timestamp-out-of-range' }, 2],
    [{ column: 'born', kind: 'timestamp-out-of-range' }, 3],
    [{ column: 'born', kind: 'zero-date' }, 0],
    [{ column: 'feeling', kind: 'empty-enum' }, 0],
  ];
  const results = await engine.probe(
    'public',
    'probe_me',
    probes.map(([p]) => p),
  );
  assert.deepEqual(
    results.map((r) => `${r.column}/${r.kind}=${r.offendingRows}`),
    probes.map(([p, n]) => `${p.column}/${p.kind}=${n}`),
  );
  assert.deepEqual(await engine.probe('public', 'probe_me', []), []);
});

test('all probes of a table cost one scan; impossible ones cost none', async () => {
  const scans = () =>
    withClient(db.url, async (c) => {
      const { rows } = await c.query(
        `SELECT seq_scan + coalesce(idx_scan, 0) AS n FROM pg_stat_user_tables WHERE relname = 'probe_me'`,
      );
      return Number(rows[0].n);
    });
  // A separate engine, closed afterwards: a backend flushes its statistics when it exits. Each
  // measurement ends with a scanning call so that "no change yet" cannot pass for "no scan".
  const measure = async (...calls: ColumnProbe[][]) => {
    const before = await scans();
    const e = createPostgresEngine(db.url);
    try {
      for (const probes of calls) await e.probe('public', 'probe_me', probes);
    } finally {
      await e.close();
    }
    for (let waited = 0; waited < 5000 && (await scans()) === before; waited += 50) {
      await new Promise((r) => setTimeout(r, 50));
    }
    return (await scans()) - before;
  };
  const scanning: ColumnProbe[] = [
    { column: 'flag', kind: 'non-boolean' },
    { column: 'name', kind: 'trailing-space' },
    { column: 'ts', kind: 'timestamp-out-of-range' },
    { column: 'doc', kind: 'json-nul' },
    { column: 'name', kind: 'nul-byte' },
  ];
  const impossible: ColumnProbe[] = [
    { column: 'name', kind: 'nul-byte' },
    { column: 'born', kind: 'zero-date' },
    { column: 'docb', kind: 'json-nul' },
  ];
  assert.equal(await measure(scanning), 1, 'five probes, one scan');
  assert.equal(await measure(impossible, scanning), 1, 'impossible probes add no scan');
});

test('probes refuse unknown columns and kinds that make no sense for the type', async () => {
  await assert.rejects(
    engine.probe('public', 'probe_me', [{ column: 'nope', kind: 'negative' }]),
    inputError(/column "nope" does not exist in table "public"."probe_me"/),
  );
  await assert.rejects(
    engine.probe('public', 'missing', [{ column: 'id', kind: 'negative' }]),
    inputError(/table "public"."missing" does not exist/),
  );
  await assert.rejects(
    engine.probe('public', 'probe_me', [{ column: 'docb', kind: 'negative' }]),
    inputError(/probe negative does not apply to column "docb" of type jsonb/),
  );
  await assert.rejects(
    engine.probe('public', 'probe_me', [{ column: 'docb', kind: 'no-such-kind' as ColumnProbe['kind'] }]),
    inputError(/unknown probe kind "no-such-kind"/),
  );
});

test('a schema that does not exist is an EngineInputError naming it, wherever a schema is required', async () => {
  const named = inputError(/schema "no_such_schema" does not exist/);
  await assert.rejects(engine.introspect({ schema: 'no_such_schema' }), named);
  await assert.rejects(
    engine.probe('no_such_schema', 'probe_me', [{ column: 'id', kind: 'negative' }]),
    named,
  );
  await assert.rejects(engine.readSample('no_such_schema', 'probe_me', ['id'], 1), named);
  await assert.rejects(engine.tableWriteCounters('no_such_schema'), named);
  await assert.rejects(
    engine.readSample('public', 'probe_me', ['id'], -1),
    inputError(/non-negative integer/),
  );
});

test('readSample returns exact server text, Buffers for bytea, in key order', async () => {
  const sample = await engine.readSample(
    'public',
    'probe_me',
    ['id', 'big', 'amount', 'blob', 'docb', 'ts', 'dur', 'flag_bool', 'born'],
    2,
  );
  assert.deepEqual(sample.columns, ['id', 'big', 'amount', 'blob', 'docb', 'ts', 'dur', 'flag_bool', 'born']);
  assert.deepEqual(sample.rows, [
    [
      1,
      '-9223372036854775808',
      '-0.01',
      Buffer.from([0, 255]),
      '{"a": 1}',
      '1970-01-01 00:00:00+00',
      '25:00:00',
      true,
      '1969-12-31',
    ],
    [
      2,
      '9223372036854775807',
      '0.00',
      Buffer.from([255]),
      null,
      '1970-01-01 00:00:01+00',
      '-01:00:00',
      false,
      '1970-01-01',
    ],
  ]);
  assert.ok(sample.bytes > 40);
  await assert.rejects(
    engine.readSample('public', 'probe_me', ['id', 'ghost'], 1),
    inputError(/column "ghost" does not exist/),
  );
});

test('liveState as superuser: capabilities, settings, long transactions', async () => {
  const holder = new pg.Client({ connectionString: db.url });
  await holder.connect();
  try {
    await holder.query('BEGIN');
    await holder.query('SELECT txid_current()');
    const { rows } = await holder.query('SELECT pg_backend_pid() AS pid');
    await new Promise((r) => setTimeout(r, 1200));

    const live = await engine.liveState({ longTransactionSeconds: 1 });
    assert.match(live.serverVersion, /^PostgreSQL \d+\.\d+$/);
    assert.ok(live.activeConnections >= 1, 'the holder connection is counted');
    assert.ok(live.maxConnections && live.maxConnections > 0);
    assert.equal(live.replica, null);
    assert.equal(live.readOnly, false);
    // A read-only fence covers one database: another database of the same server is outside it.
    const other = await createPostgresDatabase('cutover_scope');
    const otherEngine = createPostgresEngine(other.url);
    try {
      assert.equal(live.readOnlyFenceScope, (await engine.liveState()).readOnlyFenceScope);
      assert.notEqual(live.readOnlyFenceScope, (await otherEngine.liveState()).readOnlyFenceScope);
    } finally {
      await otherEngine.close();
      await other.drop();
    }
    assert.ok(live.roundTripMs > 0 && live.roundTripMs < 1000);
    assert.ok(live.settings.wal_level, 'wal_level is reported');
    for (const name of [
      'max_replication_slots',
      'max_wal_senders',
      'track_commit_timestamp',
      'server_encoding',
      'TimeZone',
      'statement_timeout',
      'lock_timeout',
    ]) {
      assert.ok(name in live.settings, `setting ${name}`);
    }
    assert.equal(live.settings.server_encoding, 'UTF8');

    const long = live.longTransactions.find((t) => t.id === String(rows[0].pid));
    assert.ok(long, 'the open transaction is reported');
    assert.equal(long.user, 'postgres');
    assert.ok(long.seconds >= 1);
    assert.equal(long.state, 'idle in transaction');

    assert.deepEqual(
      live.privileges.map((p) => p.capability),
      Object.values(CAPABILITIES),
    );
    for (const p of live.privileges) assert.equal(p.granted, true, `${p.capability}: ${p.detail}`);
  } finally {
    await holder.end();
  }
});

test('write counters grow after writes (database and per table)', async () => {
  const before = (await engine.liveState()).writeCounters;
  const tablesBefore = await engine.tableWriteCounters('public');
  await execPostgres(db.url, [
    `INSERT INTO counted (v) SELECT 'row ' || g FROM generate_series(1, 5) g`,
    `UPDATE counted SET v = v || '!' WHERE id <= 2`,
    `DELETE FROM counted WHERE id = 5`,
  ]);
  // Backends publish their counters at transaction end with a delay of up to about a second.
  let after = before;
  for (let waited = 0; waited <= 3000; waited += 100) {
    after = (await engine.liveState()).writeCounters;
    if (after.deleted > before.deleted) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(after.inserted - before.inserted, 5);
  assert.equal(after.updated - before.updated, 2);
  assert.equal(after.deleted - before.deleted, 1);
  const tablesAfter = await engine.tableWriteCounters('public');
  assert.equal(tablesAfter.counted! - (tablesBefore.counted ?? 0), 8);
  assert.ok((tablesAfter.probe_me ?? 0) >= ROWS);
});

test('a limited role lacks the capabilities it was not granted', async () => {
  await execPostgres(PG_ADMIN_URL, [`CREATE ROLE ${role} LOGIN PASSWORD 'x'`]);
  await execPostgres(db.url, [
    `GRANT CONNECT ON DATABASE "${db.name}" TO ${role}`,
    `GRANT USAGE ON SCHEMA public TO ${role}`,
    `GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`,
  ]);
  const url = new URL(db.url);
  url.username = role;
  url.password = 'x';
  const limited = createPostgresEngine(url.toString());
  try {
    const live = await limited.liveState();
    const granted = Object.fromEntries(live.privileges.map((p) => [p.capability, p]));
    assert.equal(granted[CAPABILITIES.createTables]!.granted, false);
    assert.match(granted[CAPABILITIES.createTables]!.detail, /CREATE on schema "public" is not granted/);
    assert.equal(granted[CAPABILITIES.triggers]!.granted, false);
    assert.match(
      granted[CAPABILITIES.triggers]!.detail,
      /^(\d+) of \1 tables of schema "public" lack the TRIGGER privilege for role/,
    );
    assert.equal(granted[CAPABILITIES.replication]!.granted, false);
    assert.equal(granted[CAPABILITIES.readOnlyFence]!.granted, false);
    assert.equal(granted[CAPABILITIES.tempTables]!.granted, true, 'TEMP is granted to PUBLIC by default');
    // Reading still works for the role.
    const sample = await limited.readSample('public', 'probe_me', ['id'], 1);
    assert.deepEqual(sample.rows, [[1]]);
  } finally {
    await limited.close();
  }
});

test('connection errors carry neither the URL nor the password', async () => {
  const url = new URL(db.url);
  url.username = 'no_such_user_cutover';
  url.password = 's3cr3t-Pa55';
  url.pathname = '/no_such_database_cutover';
  const e = createPostgresEngine(url.toString());
  try {
    await assert.rejects(e.defaultSchema(), (err: Error) => {
      assert.ok(!err.message.includes('s3cr3t-Pa55'), err.message);
      assert.ok(!err.message.includes('postgres://'), err.message);
      return true;
    });
  } finally {
    await e.close();
  }
  assert.throws(
    () => createPostgresEngine('postgres://u:s3cr3t-Pa55@[broken/db'),
    (err: Error) => {
      inputError(/connection string is not valid/)(err);
      assert.ok(!JSON.stringify({ ...err, message: err.message, stack: err.stack }).includes('s3cr3t-Pa55'));
      return true;
    },
  );
});

/** Every place an error could carry a secret: message, stack, own enumerable properties. */
function assertShowsNothingOf(err: Error, secrets: string[]): void {
  const places = [err.message, err.stack ?? '', JSON.stringify(err), ...Object.values(err).map(String)];
  for (const secret of secrets)
    for (const place of places)
      assert.ok(!place.includes(secret), `${JSON.stringify(secret)} shown in: ${place}`);
}

test('a malformed URL is an EngineInputError that shows no part of the password', () => {
  const cases: [url: string, password: string, why: RegExp][] = [
    ['postgres://u:Kx9q Wv7z@/x%zz', 'Kx9q Wv7z', /space/],
    ['postgres://u:Qh4%zzTp2m@h/db', 'Qh4%zzTp2m', /percent-escape/],
    ['postgres://u:Jr5%ffLw8n@h/db', 'Jr5%ffLw8n', /not valid UTF-8/],
    ['postgres://u:Zt6Bn3Yx@[broken/db', 'Zt6Bn3Yx', /cannot be parsed/],
    ['postgres://u:Hy2Mc8Vk@h:99999/db', 'Hy2Mc8Vk', /cannot be parsed/],
    ['u:Pw3Rd9Ts@h/db', 'Pw3Rd9Ts', /must start with postgres:\/\//],
    ['', '', /empty/],
  ];
  for (const [url, password, why] of cases) {
    assert.throws(
      () => createPostgresEngine(url),
      (err: Error) => {
        inputError(why)(err);
        const secrets = password
          ? [password, ...password.split(/[^A-Za-z0-9]+/).filter((p) => p.length >= 3)]
          : [];
        assertShowsNothingOf(err, url ? [...secrets, url] : secrets);
        return true;
      },
      url,
    );
  }
  // The forms pg documents still pass: an empty host with ?host=, a Unix-socket directory.
  for (const url of ['postgres://u:p%20w@/db?host=/var/run/postgresql', '/var/run/postgresql db'])
    void createPostgresEngine(url).close();
});

test('a database that does not exist is an EngineInputError', async () => {
  const missing = `${db.name}_missing`;
  const e = createPostgresEngine(new URL(`/${missing}`, db.url).toString());
  try {
    await assert.rejects(e.defaultSchema(), inputError(new RegExp(`database "${missing}" does not exist`)));
    await assert.rejects(e.introspect({ schema: 'public' }), inputError(/does not exist/));
  } finally {
    await e.close();
  }
});

test('pooled sessions run in UTC and check for a vanished client', async () => {
  const pool = createPool(db.url);
  try {
    // Two sessions at once: the server version is read once, the setting reaches every connection.
    const clients = await Promise.all([pool.connect(), pool.connect()]);
    try {
      for (const c of clients) {
        const { rows } = await c.query<{ client_connection_check_interval: string }>(
          'SHOW client_connection_check_interval',
        );
        assert.equal(rows[0]!.client_connection_check_interval, CLIENT_CONNECTION_CHECK_INTERVAL);
        assert.equal(
          (await c.query<{ z: string }>(`SELECT current_setting('TimeZone') AS z`)).rows[0]!.z,
          'UTC',
        );
      }
    } finally {
      for (const c of clients) c.release();
    }
  } finally {
    await pool.end();
  }
});

test('the server ends a query whose client vanished (a SIGKILLed worker)', async () => {
  const admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  const victim = new pg.Client({ connectionString: db.url, application_name: 'cutover_vanishing' });
  victim.on('error', () => undefined);
  await victim.connect();
  try {
    await sessionSetup()(victim);
    const pid = (await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const sleeping = victim.query('SELECT pg_sleep(60)').catch((err: unknown) => err);
    const backend = async () =>
      (await admin.query<{ state: string }>('SELECT state FROM pg_stat_activity WHERE pid = $1', [pid]))
        .rows[0]?.state;
    const waitFor = async (done: (state: string | undefined) => boolean, ms: number) => {
      const deadline = Date.now() + ms;
      for (;;) {
        const state = await backend();
        if (done(state)) return state;
        if (Date.now() > deadline) return state;
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    assert.equal(await waitFor((s) => s === 'active', 5000), 'active', 'pg_sleep is running');
    // What SIGKILL does to the worker's sockets: closed by the kernel, no goodbye to the server.
    const started = Date.now();
    victim.connection.stream.destroy();
    await sleeping;
    const state = await waitFor((s) => s === undefined, 15_000);
    assert.equal(state, undefined, `backend ${pid} still ${state} after ${Date.now() - started} ms`);
    // Within the check interval (10 s) plus polling slack, far from the query's 60 s.
    assert.ok(Date.now() - started < 15_000);
  } finally {
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [
      'cutover_vanishing',
    ]);
    await admin.end();
  }
});

const AWKWARD_ROWS: unknown[][] = [
  [
    1,
    'tab\there',
    Buffer.from([0, 1, 2, 255]),
    { k: 'v', nested: [1, 2] },
    '12345678901234567890.123456789',
    true,
  ],
  [2, 'new\nline and\r\ncrlf', Buffer.alloc(0), '"just a string"', '-0.5', false],
  [3, 'back\\slash \\N \\t \\\\', null, null, null, null],
  [4, '\\N', Buffer.from('\\x41', 'utf8'), { emoji: '🚀', clef: '𝄞' }, '0', true],
  [5, '𝄞 four-byte 🚀 unicode 表', Buffer.from([92, 10, 9, 13]), [1, 'two', null], '1e-20', null],
  [6, '', Buffer.from([0]), { quote: '"', backslash: '\\', tab: '\t' }, '42', false],
  [7, null, null, 'null', null, true],
];
const AWKWARD_COLUMNS = [
  { name: 'id', type: 'integer' },
  { name: 'txt', type: 'text' },
  { name: 'bin', type: 'bytea' },
  { name: 'doc', type: 'jsonb' },
  { name: 'num', type: 'numeric' },
  { name: 'flag', type: 'boolean' },
];

test('scratchLoad loads awkward values by COPY and upserts them again', async () => {
  const batch = { columns: AWKWARD_COLUMNS.map((c) => c.name), rows: AWKWARD_ROWS, bytes: 1 };
  const timing = await engine.scratchLoad(AWKWARD_COLUMNS, ['id'], batch);
  assert.ok(timing.loadMs > 0, `loadMs ${timing.loadMs}`);
  assert.ok(timing.upsertMs > 0, `upsertMs ${timing.upsertMs}`);
  // A composite key where every column is in the key, no key at all, and columns in another order.
  const keyOnly = await engine.scratchLoad(
    [
      { name: 'txt', type: 'text' },
      { name: 'id', type: 'integer' },
    ],
    ['id', 'txt'],
    {
      columns: ['id', 'txt'],
      rows: AWKWARD_ROWS.filter((r) => r[1] !== null).map((r) => [r[0], r[1]]),
      bytes: 1,
    },
  );
  assert.ok(keyOnly.loadMs > 0 && keyOnly.upsertMs > 0);
  const noKey = await engine.scratchLoad(AWKWARD_COLUMNS, [], batch);
  assert.ok(noKey.loadMs > 0 && noKey.upsertMs > 0);
  // Nothing is left behind: the scratch tables were temporary and dropped.
  const left = await withClient(
    db.url,
    async (c) =>
      (await c.query(`SELECT count(*)::int AS n FROM pg_class WHERE relname LIKE 'cutover_scratch_%'`))
        .rows[0].n,
  );
  assert.equal(left, 0);
  await assert.rejects(
    engine.scratchLoad([{ name: 'id', type: 'integer); DROP TABLE counted; --' }], ['id'], batch),
    inputError(/not a PostgreSQL type name/),
  );
  // A value the type rejects fails the load cleanly and leaves the pool usable.
  await assert.rejects(
    engine.scratchLoad([{ name: 'txt', type: 'integer' }], ['txt'], {
      columns: ['txt'],
      rows: [['not a number']],
      bytes: 1,
    }),
    /invalid input syntax for type integer/,
  );
  for (let i = 0; i < 5; i++)
    assert.ok((await engine.scratchLoad(AWKWARD_COLUMNS, ['id'], batch)).loadMs > 0);
});

test('the COPY text encoder round-trips awkward values exactly', async () => {
  assert.equal(
    encodeCopyRow([null, 'a\tb', '\\N', true, Buffer.from([1, 171])]),
    '\\N\ta\\tb\t\\\\N\tt\t\\\\x01ab\n',
  );
  await execPostgres(db.url, [
    `CREATE TABLE awkward (id integer PRIMARY KEY, txt text, bin bytea, doc jsonb, num numeric, flag boolean)`,
  ]);
  const loaded = await withClient(db.url, (c) =>
    copyIn(
      c,
      '"public"."awkward"',
      AWKWARD_COLUMNS.map((c) => c.name),
      AWKWARD_ROWS,
    ),
  );
  assert.equal(loaded, AWKWARD_ROWS.length);
  const back = await engine.readSample(
    'public',
    'awkward',
    AWKWARD_COLUMNS.map((c) => c.name),
    100,
  );
  assert.equal(back.rows.length, AWKWARD_ROWS.length);
  back.rows.forEach((row, i) => {
    const [id, txt, bin, doc, num, flag] = AWKWARD_ROWS[i]!;
    assert.equal(row[0], id);
    assert.equal(row[1], txt, `text of row ${id}`);
    assert.deepEqual(row[2], bin, `bytea of row ${id}`);
    const expectedDoc = doc === null ? null : typeof doc === 'string' ? JSON.parse(doc) : doc;
    assert.deepEqual(
      row[3] === null ? null : JSON.parse(row[3] as string),
      expectedDoc,
      `jsonb of row ${id}`,
    );
    assert.equal(
      row[4] === null ? null : Number(row[4]),
      num === null ? null : Number(num),
      `numeric of row ${id}`,
    );
    assert.equal(row[5], flag, `boolean of row ${id}`);
  });
  // numeric keeps every digit as text.
  assert.equal(back.rows[0]![4], '12345678901234567890.123456789');
});
