// Data probes against rows that only a non-strict sql_mode lets in, live state of a real server
// (for root and for a user with SELECT only), and the scratch load used by the sample copy.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import mysql from 'mysql2/promise';
import type { Engine, ProbeKind } from '../../src/engines/engine';
import { EngineInputError } from '../../src/engines/errors';
import { createMysqlEngine } from '../../src/engines/mysql/engine';
import { checkTypeName } from '../../src/engines/mysql/scratch';
import { createMysqlDatabase, execMysql, MYSQL_ADMIN_URL, type TestDatabase } from '../helpers/databases';

let db: TestDatabase;
let engine: Engine;

/** An assert.rejects/throws validator: an EngineInputError whose message matches. */
function inputError(pattern: RegExp) {
  return (err: Error): boolean => {
    assert.ok(err instanceof EngineInputError, `${err.name}: ${err.message}`);
    assert.equal(err.name, 'EngineInputError');
    assert.match(err.message, pattern);
    return true;
  };
}

const ROWS: unknown[][] = [
  // id, flag, d, dt, ts, mood, mood2, body, doc, name, qty, dur, at
  [
    1,
    0,
    '0000-00-00',
    '0000-00-00 00:00:00',
    '0000-00-00 00:00:00',
    'zzz',
    '',
    'a\0b',
    '{"a":"\\u0000"}',
    'x ',
    -5,
    '838:59:59',
    '1969-12-31 23:59:59',
  ],
  [
    2,
    1,
    '2024-00-15',
    '2024-01-01 10:00:00',
    '2024-01-01 10:00:00',
    '',
    'a',
    '\0',
    '{"a":"\\\\u0000"}',
    'x',
    0,
    '-01:00:00',
    '2038-01-19 03:14:08',
  ],
  [
    3,
    2,
    '2024-03-00',
    '2024-02-03 04:05:06',
    null,
    'a',
    'zzz',
    'plain',
    '{"k":"x\\u0000y"}',
    ' x',
    3,
    '12:00:00',
    '2000-01-01 00:00:00',
  ],
  [
    4,
    -1,
    '2024-03-15',
    null,
    null,
    'b',
    null,
    'Ünïcødé',
    '{"ok":1}',
    'x  ',
    -1,
    '23:59:59',
    '2038-01-19 03:14:07',
  ],
  [5, null, null, null, null, null, null, null, null, null, null, '24:00:00', '1970-01-01 00:00:01'],
  [6, null, null, null, null, null, null, null, null, null, null, null, null],
];

before(async () => {
  db = await createMysqlDatabase();
  await execMysql(db.url, [
    `CREATE TABLE data (
       id INT PRIMARY KEY,
       flag TINYINT(1),
       d DATE,
       dt DATETIME,
       ts TIMESTAMP NULL DEFAULT NULL,
       mood ENUM('a', 'b'),
       mood2 ENUM('', 'a'),
       body TEXT CHARACTER SET utf8mb4,
       doc JSON,
       name VARCHAR(20) COLLATE utf8mb4_general_ci,
       qty INT,
       dur TIME,
       at DATETIME
     )`,
  ]);
  const conn = await mysql.createConnection({ uri: db.url });
  try {
    // Zero dates and invalid enum values only get in without strict mode.
    await conn.query(`SET SESSION sql_mode = ''`);
    for (const r of ROWS) await conn.query(`INSERT INTO data VALUES (${r.map(() => '?').join(', ')})`, r);
  } finally {
    await conn.end();
  }
  engine = createMysqlEngine(db.url);
});

after(async () => {
  await engine?.close();
  await db?.drop();
});

test('every probe counts exactly the offending rows, NULLs never count', async () => {
  const results = await engine.probe(db.name, 'data', [
    { column: 'flag', kind: 'non-boolean' },
    { column: 'd', kind: 'zero-date' },
    { column: 'dt', kind: 'zero-date' },
    { column: 'ts', kind: 'zero-date' },
    { column: 'mood', kind: 'empty-enum' },
    { column: 'mood2', kind: 'empty-enum' },
    { column: 'body', kind: 'nul-byte' },
    { column: 'doc', kind: 'json-nul' },
    { column: 'name', kind: 'trailing-space' },
    { column: 'qty', kind: 'negative' },
    { column: 'dur', kind: 'time-out-of-day' },
    { column: 'at', kind: 'timestamp-out-of-range' },
  ]);
  assert.deepEqual(
    results.map((r) => `${r.column}/${r.kind}=${r.offendingRows}`),
    [
      'flag/non-boolean=2', // 2 and -1
      'd/zero-date=3', // 0000-00-00, month 00, day 00
      'dt/zero-date=1',
      'ts/zero-date=1',
      'mood/empty-enum=2', // 'zzz' stored as '' and '' itself
      'mood2/empty-enum=0', // '' is a declared member there
      'body/nul-byte=2',
      'doc/json-nul=2', // an escaped backslash before u0000 is no NUL
      'name/trailing-space=2', // 'x ' and 'x  ', not ' x'
      'qty/negative=2',
      'dur/time-out-of-day=3', // 838:59:59, -01:00:00, 24:00:00
      'at/timestamp-out-of-range=2', // 1969-12-31 23:59:59 and 2038-01-19 03:14:08
    ],
  );
});

test('trailing spaces: PAD SPACE "=" would hide them, the probe does not', async () => {
  const conn = await mysql.createConnection({ uri: db.url });
  try {
    const [rows] = await conn.query<mysql.RowDataPacket[]>(`SELECT COUNT(*) AS n FROM data WHERE name = 'x'`);
    assert.equal(Number(rows[0]?.n), 3, "'x', 'x ' and 'x  ' compare equal under utf8mb4_general_ci");
  } finally {
    await conn.end();
  }
});

test('probes refuse unknown columns and kinds that do not fit the type', async () => {
  await assert.rejects(
    engine.probe(db.name, 'data', [{ column: 'nope', kind: 'negative' }]),
    inputError(/has no column "nope"/),
  );
  await assert.rejects(
    engine.probe(db.name, 'data', [{ column: 'qty', kind: 'zero-date' }]),
    inputError(/does not apply/),
  );
  await assert.rejects(
    engine.probe(db.name, 'missing', [{ column: 'qty', kind: 'negative' }]),
    inputError(/table `[^`]+`.`missing` does not exist/),
  );
  await assert.rejects(
    engine.probe(db.name, 'data', [{ column: 'qty', kind: 'no-such-kind' as ProbeKind }]),
    inputError(/unknown probe kind "no-such-kind"/),
  );
  await assert.rejects(engine.readSample(db.name, 'data', ['id'], -1), inputError(/non-negative integer/));
  assert.deepEqual(await engine.probe(db.name, 'data', []), []);
});

test('readSample reads in primary-key order with exact values', async () => {
  const batch = await engine.readSample(db.name, 'data', ['id', 'd', 'body', 'doc', 'dur'], 3);
  assert.deepEqual(batch.rows, [
    [1, '0000-00-00', 'a\0b', '{"a":"\\u0000"}', '838:59:59'],
    [2, '2024-00-15', '\0', '{"a":"\\\\u0000"}', '-01:00:00'],
    [3, '2024-03-00', 'plain', '{"k":"x\\u0000y"}', '12:00:00'],
  ]);
  assert.ok(batch.bytes > 20);
});

test('liveState for root: sane values, all capabilities, counters move', async () => {
  const before = await engine.liveState();
  assert.match(before.serverVersion, /^(MariaDB|MySQL) \d+\.\d+\.\d+$/);
  assert.ok(before.maxConnections !== null && before.maxConnections > 0);
  // Two more client sessions must show up in the count (a few tries: other tests' sessions come and go).
  let grew = 0;
  for (let attempt = 0; attempt < 3 && grew < 2; attempt++) {
    const without = (await engine.liveState()).activeConnections;
    const extra = await Promise.all([1, 2].map(() => mysql.createConnection({ uri: db.url })));
    try {
      grew = (await engine.liveState()).activeConnections - without;
    } finally {
      await Promise.all(extra.map((c) => c.end()));
    }
  }
  assert.ok(grew >= 2, `activeConnections grew by ${grew} with two more sessions open`);
  assert.equal(before.replica, null);
  assert.equal(typeof before.readOnly, 'boolean');
  // A read-only fence covers the whole server: another schema of it is inside the same scope.
  const other = await createMysqlDatabase();
  const otherEngine = createMysqlEngine(other.url);
  try {
    assert.ok(before.readOnlyFenceScope.length > 0);
    assert.equal((await otherEngine.liveState()).readOnlyFenceScope, before.readOnlyFenceScope);
  } finally {
    await otherEngine.close();
    await other.drop();
  }
  assert.ok('binlog_format' in before.settings);
  assert.ok(before.settings.sql_mode !== undefined && before.settings.server_id !== null);
  assert.ok('gtid_strict_mode' in before.settings || 'gtid_mode' in before.settings);
  assert.ok(before.roundTripMs > 0 && before.roundTripMs < 1000);
  assert.ok(before.privileges.length >= 4);
  for (const p of before.privileges) assert.equal(p.granted, true, `${p.capability}: ${p.detail}`);
  for (const prefix of ['create triggers', 'create tables', 'set the server read-only', 'read the binlog']) {
    assert.ok(
      before.privileges.some((p) => p.capability.startsWith(prefix)),
      `capability ${prefix}`,
    );
  }
  assert.match(before.privileges[0]?.detail ?? '', /ALL PRIVILEGES ON \*\.\*/);

  await execMysql(db.url, [
    `CREATE TABLE counted (id INT PRIMARY KEY)`,
    `INSERT INTO counted VALUES ${Array.from({ length: 10 }, (_, i) => `(${i})`).join(', ')}`,
    `UPDATE counted SET id = id + 100 WHERE id < 3`,
    `DELETE FROM counted WHERE id > 5`,
  ]);
  const after = await engine.liveState();
  assert.ok(after.writeCounters.inserted >= before.writeCounters.inserted + 10);
  assert.ok(after.writeCounters.updated >= before.writeCounters.updated + 3);
  assert.ok(after.writeCounters.deleted >= before.writeCounters.deleted + 4);
});

test('liveState lists a transaction that is older than the threshold', async () => {
  const other = await mysql.createConnection({ uri: db.url });
  try {
    await other.query('START TRANSACTION');
    await other.query('INSERT INTO data (id) VALUES (100)');
    const [[me]] = await other.query<mysql.RowDataPacket[]>('SELECT CONNECTION_ID() AS id');
    await new Promise((r) => setTimeout(r, 1200));
    const state = await engine.liveState({ longTransactionSeconds: 1 });
    const mine = state.longTransactions.find((t) => t.id === String(me?.id));
    assert.ok(mine, `transaction of thread ${me?.id} listed: ${JSON.stringify(state.longTransactions)}`);
    assert.equal(mine.user, 'root');
    assert.ok(mine.seconds >= 1 && mine.seconds < 60, `seconds ${mine.seconds}`);
    assert.ok(mine.state.length > 0);
    const recent = await engine.liveState({ longTransactionSeconds: 3600 });
    assert.ok(!recent.longTransactions.some((t) => t.id === String(me?.id)));
    await other.query('ROLLBACK');
  } finally {
    await other.end();
  }
});

test('a user with SELECT only may not create triggers or tables; errors carry no password', async () => {
  const user = `cutover_u_${randomBytes(4).toString('hex')}`;
  const password = `pw-${randomBytes(8).toString('hex')}`;
  await execMysql(MYSQL_ADMIN_URL, [
    `CREATE USER '${user}'@'127.0.0.1' IDENTIFIED BY '${password}'`,
    `GRANT SELECT ON \`${db.name}\`.* TO '${user}'@'127.0.0.1'`,
    // Only to show that liveState judges the schema it is asked about.
    `GRANT TRIGGER ON \`${db.name}_elsewhere\`.* TO '${user}'@'127.0.0.1'`,
  ]);
  const url = new URL(db.url);
  url.username = user;
  url.password = password;
  const limited = createMysqlEngine(url.toString());
  try {
    const state = await limited.liveState();
    const byPrefix = (prefix: string) => state.privileges.find((p) => p.capability.startsWith(prefix));
    for (const prefix of [
      'create triggers',
      'create tables',
      'set the server read-only',
      'read the binlog',
    ]) {
      assert.equal(byPrefix(prefix)?.granted, false, prefix);
    }
    assert.match(byPrefix('create triggers')?.detail ?? '', /no grant of TRIGGER/);
    assert.match(byPrefix('create triggers')?.detail ?? '', /SELECT ON `/);
    for (const p of state.privileges) assert.ok(!p.detail.includes(password));
    assert.deepEqual(state.longTransactions, [], 'without PROCESS the list is empty, not an error');
    const elsewhere = await limited.liveState({ schema: `${db.name}_elsewhere` });
    assert.equal(elsewhere.privileges.find((p) => p.capability.startsWith('create triggers'))?.granted, true);
    // The limited user can still introspect and probe what it can see.
    const model = await limited.introspect();
    assert.ok(model.tables.some((t) => t.name === 'data'));

    const wrong = new URL(url);
    wrong.password = `${password}-wrong`;
    const denied = createMysqlEngine(wrong.toString());
    try {
      await assert.rejects(denied.introspect(), (err: Error) => {
        assert.ok(!err.message.includes(password), err.message);
        assert.ok(!err.message.includes(wrong.toString()));
        return /Access denied/.test(err.message);
      });
    } finally {
      await denied.close();
    }
  } finally {
    await limited.close();
    await execMysql(MYSQL_ADMIN_URL, [`DROP USER IF EXISTS '${user}'@'127.0.0.1'`]);
  }
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
    ['mysql://u:Qh4%zzTp2m@h/db', 'Qh4%zzTp2m', /percent-escape/],
    ['mysql://u:Kx9q Wv7z@h/db', 'Kx9q Wv7z', /space/],
    ['mysql://u:Jr5%ffLw8n@h/db', 'Jr5%ffLw8n', /not valid UTF-8/],
    ['mysql://u:Zt6Bn3Yx@[not a host/db', 'Zt6Bn3Yx', /space/],
    ['mysql://u:Zt6Bn3Yx@[nothost/db', 'Zt6Bn3Yx', /cannot be parsed/],
    ['mysql://u:Hy2Mc8Vk@h:99999/db', 'Hy2Mc8Vk', /cannot be parsed/],
    ['mysql://u:Gm4Pq7Ls@h/d%zzb', 'Gm4Pq7Ls', /percent-escape/],
    ['u:Pw3Rd9Ts@h/db', 'Pw3Rd9Ts', /must start with mysql:\/\//],
  ];
  for (const [url, password, why] of cases) {
    assert.throws(
      () => createMysqlEngine(url),
      (err: Error) => {
        inputError(why)(err);
        assertShowsNothingOf(err, [
          url,
          password,
          ...password.split(/[^A-Za-z0-9]+/).filter((p) => p.length >= 3),
        ]);
        return true;
      },
      url,
    );
  }
});

test('a database that does not exist is an EngineInputError naming it', async () => {
  const missing = `${db.name}_missing`;
  const named = inputError(new RegExp(`database "${missing}" does not exist`));
  // Named in the URL: the server refuses the connection.
  const e = createMysqlEngine(new URL(`/${missing}`, db.url).toString());
  try {
    await assert.rejects(e.defaultSchema(), named);
    await assert.rejects(e.introspect({ schema: db.name }), named);
  } finally {
    await e.close();
  }
  // Named in the request.
  await assert.rejects(engine.introspect({ schema: missing }), named);
  await assert.rejects(engine.probe(missing, 'data', [{ column: 'qty', kind: 'negative' }]), named);
  await assert.rejects(engine.readSample(missing, 'data', ['id'], 1), named);
});

test('scratch column types must be plain MySQL types', async () => {
  for (const type of [
    'bigint',
    'INT UNSIGNED',
    'int(10) unsigned zerofill',
    'double precision',
    'float(7,4) unsigned',
    'decimal(65,30)',
    'datetime(6)',
    'long varbinary',
    'national char(3)',
    'varchar(10) charset latin1',
    'char(36) character set ascii collate ascii_general_ci',
    "enum('','a','it''s','back\\\\slash','q\\'uote') character set utf8mb4 collate utf8mb4_bin",
    "set('a', 'b')",
  ]) {
    assert.equal(checkTypeName(type), type);
  }
  for (const type of [
    'int; DROP TABLE x',
    'int, y int); DROP TABLE x; --',
    "enum('a'); DROP TABLE x; --')",
    "enum('a\\')",
    'int -- comment',
    'int /* comment */',
    'int # comment',
    'int DEFAULT 1',
    'int NOT NULL',
    'int AUTO_INCREMENT',
    "int COMMENT 'x'",
    'int GENERATED ALWAYS AS (1)',
    'varchar(10) collate x; DROP TABLE x',
    'decimal(1,2,3)',
    "enum('a',)",
    'enum()',
    '',
  ]) {
    assert.throws(() => checkTypeName(type), inputError(/not a MySQL column type/), type);
  }

  // Through the engine: refused before anything is created, and the table it names survives.
  await execMysql(db.url, ['CREATE TABLE x (id INT PRIMARY KEY)', 'INSERT INTO x VALUES (1)']);
  const tablesBefore = (await engine.introspect()).tables.map((t) => t.name);
  await assert.rejects(
    engine.scratchLoad(
      [
        { name: 'id', type: 'int' },
        { name: 'v', type: 'int); DROP TABLE x; --' },
      ],
      ['id'],
      { columns: ['id', 'v'], rows: [[1, 2]], bytes: 0 },
    ),
    inputError(/not a MySQL column type: "int\); DROP TABLE x; --"/),
  );
  assert.deepEqual(
    (await engine.introspect()).tables.map((t) => t.name),
    tablesBefore,
  );
  const conn = await mysql.createConnection({ uri: db.url });
  try {
    const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM x');
    assert.equal(Number(rows[0]?.n), 1);
  } finally {
    await conn.end();
  }
});

test('scratchLoad loads and upserts a batch in a temporary table and leaves nothing behind', async () => {
  const rows: unknown[][] = Array.from({ length: 2500 }, (_, i) => [
    i + 1,
    `name ${i} ${'é'.repeat(i % 7)}`,
    i % 3 ? Buffer.from([i % 256, 0, 255]) : null,
    { n: i, nested: [i] },
    (i * 1.5).toFixed(2),
  ]);
  const batch = { columns: ['id', 'name', 'bin', 'doc', 'amount'], rows, bytes: 0 };
  const columns = [
    { name: 'id', type: 'bigint' },
    { name: 'name', type: 'varchar(64)' },
    { name: 'bin', type: 'varbinary(16)' },
    { name: 'doc', type: 'json' },
    { name: 'amount', type: 'decimal(12,2)' },
  ];
  const timings = await engine.scratchLoad(columns, ['id'], batch);
  assert.ok(timings.loadMs > 0, `loadMs ${timings.loadMs}`);
  assert.ok(timings.upsertMs > 0, `upsertMs ${timings.upsertMs}`);

  const keyless = await engine.scratchLoad(columns, [], batch);
  assert.ok(keyless.loadMs > 0 && keyless.upsertMs > 0);

  // A sample read from the source goes straight in (typed like the source).
  const sample = await engine.readSample(db.name, 'data', ['id', 'body', 'doc'], 10);
  const again = await engine.scratchLoad(
    [
      { name: 'id', type: 'int' },
      { name: 'body', type: 'text' },
      { name: 'doc', type: 'longtext' },
    ],
    ['id'],
    sample,
  );
  assert.ok(again.loadMs > 0);

  // A type error surfaces as an error (the planner then retries untyped).
  await assert.rejects(
    engine.scratchLoad(
      [
        { name: 'id', type: 'int' },
        { name: 'name', type: 'int' },
      ],
      ['id'],
      batch,
    ),
  );

  const model = await engine.introspect();
  assert.ok(!model.tables.some((t) => t.name.startsWith('cutover_scratch')));
});
