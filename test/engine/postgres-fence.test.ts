// The PostgreSQL write fence on a real server: every kind of write to a fenced table is rejected with
// the message naming the table and the migration (also under session_replication_role = replica and
// for TRUNCATE), other tables and reads stay open, a transaction that wrote before the fence is
// waited for (and one that keeps its lock makes the fence fail naming its session, leaving nothing
// installed), lift is exact and idempotent, and the read-only mode recycles sessions and restores
// the database setting.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { FenceBlockedError, type CutoverControl } from '../../src/engines/cutover-control';
import { createPostgresCutoverControl, fenceObjectName } from '../../src/engines/postgres/fence';
import {
  createPostgresDatabase,
  execPostgres,
  PG_ADMIN_URL,
  withCredentials,
  type TestDatabase,
} from '../helpers/databases';

let db: TestDatabase;
let control: CutoverControl;
const SCHEMA = 'shop';

async function client(): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: db.url, application_name: 'the-app' });
  await c.connect();
  c.on('error', () => undefined);
  return c;
}

async function writeError(
  sql: string,
  setup: string[] = [],
): Promise<{ code?: string; message: string } | null> {
  const c = await client();
  try {
    for (const s of setup) await c.query(s);
    await c.query(sql);
    return null;
  } catch (err) {
    return { code: (err as { code?: string }).code, message: (err as Error).message };
  } finally {
    await c.end();
  }
}

async function count(table: string): Promise<number> {
  const c = await client();
  try {
    return Number((await c.query(`SELECT count(*)::int AS n FROM shop.${table}`)).rows[0].n);
  } finally {
    await c.end();
  }
}

before(async () => {
  db = await createPostgresDatabase('cutover_fence');
  await execPostgres(db.url, [
    `CREATE SCHEMA shop`,
    `CREATE TABLE shop.orders (id int PRIMARY KEY, total numeric)`,
    `CREATE TABLE shop."Line ""Items""" (id int PRIMARY KEY)`,
    `CREATE TABLE shop.other (id int PRIMARY KEY)`,
    `INSERT INTO shop.orders VALUES (1, 10), (2, 20)`,
  ]);
  control = createPostgresCutoverControl(db.url);
});

after(async () => {
  await control?.close();
  await db?.drop();
});

describe('PostgreSQL trigger fence', () => {
  test('rejects every write with a message naming the table and the migration; reads and other tables stay open', async () => {
    const r = await control.installFence(SCHEMA, 'm1', 'trigger', ['orders', 'Line "Items"']);
    assert.deepEqual(r.tables, ['Line "Items"', 'orders']);
    assert.match(r.fencedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const expected = 'cutover: writes to "shop"."orders" are fenced while migration "m1" cuts over';
    for (const sql of [
      `INSERT INTO shop.orders VALUES (3, 30)`,
      `UPDATE shop.orders SET total = 0`,
      `DELETE FROM shop.orders`,
      `TRUNCATE shop.orders`,
      `INSERT INTO shop.orders VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET total = 1`,
    ]) {
      const err = await writeError(sql);
      assert.deepEqual(err, { code: '25006', message: expected }, sql);
    }
    // ENABLE ALWAYS: replication-role sessions (logical replication appliers) are fenced too.
    const replica = await writeError(`DELETE FROM shop.orders`, [`SET session_replication_role = replica`]);
    assert.equal(replica?.message, expected);
    const quoted = await writeError(`INSERT INTO shop."Line ""Items""" VALUES (1)`);
    assert.equal(
      quoted?.message,
      'cutover: writes to "shop"."Line ""Items""" are fenced while migration "m1" cuts over',
    );
    assert.equal(await count('orders'), 2);
    assert.equal(await writeError(`INSERT INTO shop.other VALUES (1)`), null);
    const state = await control.fenceState(SCHEMA, 'm1');
    assert.deepEqual(state.tables, ['Line "Items"', 'orders']);
    assert.equal(state.mode, 'trigger');
    assert.equal(state.fencedAt, r.fencedAt);
  });

  test('re-installing is idempotent and keeps the first fencedAt; another migration is independent', async () => {
    const before = await control.fenceState(SCHEMA, 'm1');
    const again = await control.installFence(SCHEMA, 'm1', 'trigger', ['orders']);
    assert.equal(again.fencedAt, before.fencedAt);
    await control.installFence(SCHEMA, 'm2', 'trigger', ['orders']);
    await control.liftFence(SCHEMA, 'm2');
    // m1's fence is untouched by m2's lift.
    assert.match(
      (await writeError(`INSERT INTO shop.orders VALUES (9, 9)`))?.message ?? '',
      /migration "m1"/,
    );
  });

  test('lift removes exactly this fence and succeeds when it is already gone', async () => {
    const lifted = await control.liftFence(SCHEMA, 'm1');
    assert.deepEqual(lifted, { lifted: ['Line "Items"', 'orders'], mode: 'trigger' });
    assert.equal(await writeError(`INSERT INTO shop.orders VALUES (3, 30)`), null);
    assert.equal(await count('orders'), 3);
    assert.deepEqual(await control.liftFence(SCHEMA, 'm1'), { lifted: [], mode: null });
    const state = await control.fenceState(SCHEMA, 'm1');
    assert.deepEqual(state, { mode: null, tables: [], fencedAt: null, previous: null });
    const c = await client();
    try {
      const { rows } = await c.query(`SELECT count(*)::int AS n FROM pg_proc WHERE proname = $1`, [
        fenceObjectName('m1'),
      ]);
      assert.equal(rows[0].n, 0, 'the trigger function is dropped');
      const { rows: ns } = await c.query(
        `SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = '_cutover'`,
      );
      assert.equal(ns[0].n, 0, 'the state table and the _cutover schema go with the last fence');
    } finally {
      await c.end();
    }
  });

  test('lifting after the fenced tables were dropped (a rollback drops the target first) leaves nothing', async () => {
    await execPostgres(db.url, [`CREATE TABLE shop.doomed (id int PRIMARY KEY)`]);
    await control.installFence(SCHEMA, 'm-drop', 'trigger', ['doomed']);
    await execPostgres(db.url, [`DROP TABLE shop.doomed`]);
    const lifted = await control.liftFence(SCHEMA, 'm-drop');
    assert.equal(lifted.mode, 'trigger');
    assert.deepEqual(await control.fenceState(SCHEMA, 'm-drop'), {
      mode: null,
      tables: [],
      fencedAt: null,
      previous: null,
    });
    const c = await client();
    try {
      const { rows } = await c.query(`SELECT count(*)::int AS n FROM pg_proc WHERE proname = $1`, [
        fenceObjectName('m-drop'),
      ]);
      assert.equal(rows[0].n, 0, 'the trigger function is dropped');
    } finally {
      await c.end();
    }
  });

  test('waits for a transaction that wrote before the fence: its write commits, later writes are rejected', async () => {
    const app = await client();
    try {
      await app.query('BEGIN');
      await app.query(`INSERT INTO shop.orders VALUES (100, 1)`);
      const fencing = control.installFence(SCHEMA, 'm3', 'trigger', ['orders'], { lockTimeoutMs: 5000 });
      let returned = false;
      void fencing.then(() => (returned = true));
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(returned, false, 'the fence waits for the open writer');
      await app.query('COMMIT');
      await fencing;
      assert.equal(await count('orders'), 4, 'the earlier write committed');
      // A transaction that began before the fence but writes after it is rejected.
      const late = await client();
      try {
        await late.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
        await late.query('SELECT 1 FROM shop.other');
        await assert.rejects(
          late.query(`INSERT INTO shop.orders VALUES (101, 1)`),
          /fenced while migration "m3"/,
        );
      } finally {
        await late.end();
      }
    } finally {
      await app.end();
      await control.liftFence(SCHEMA, 'm3');
    }
  });

  test('a long writer makes the fence fail naming its session, with nothing installed', async () => {
    const app = await client();
    try {
      const pid = (await app.query('SELECT pg_backend_pid() AS p')).rows[0].p;
      await app.query('BEGIN');
      await app.query(`INSERT INTO shop.other VALUES (50)`);
      await assert.rejects(
        control.installFence(SCHEMA, 'm4', 'trigger', ['orders', 'other'], {
          lockTimeoutMs: 100,
          attempts: 2,
        }),
        (err: unknown) => {
          assert.ok(err instanceof FenceBlockedError);
          assert.match(
            err.message,
            new RegExp(`session ${pid} \\(user "postgres", transaction open \\d+ s, idle in transaction\\)`),
          );
          assert.match(err.message, /nothing was installed/);
          assert.doesNotMatch(err.message, /INSERT/);
          return true;
        },
      );
      const state = await control.fenceState(SCHEMA, 'm4');
      assert.deepEqual(state.tables, [], 'no table is half fenced');
      assert.equal(state.mode, null);
      await app.query('COMMIT');
      assert.equal(await writeError(`INSERT INTO shop.orders VALUES (200, 1)`), null);
    } finally {
      await app.end();
    }
  });

  test('refuses unknown tables (all named) before touching anything', async () => {
    await assert.rejects(
      control.installFence(SCHEMA, 'm5', 'trigger', ['orders', 'nope', 'gone']),
      /do not exist: "shop"."gone", "shop"."nope"/,
    );
    assert.deepEqual((await control.fenceState(SCHEMA, 'm5')).tables, []);
    assert.equal(await writeError(`INSERT INTO shop.orders VALUES (201, 1)`), null);
  });

  test('a long migration name gets a hashed object name within 63 bytes', async () => {
    const long = 'migration-' + 'x'.repeat(80);
    assert.ok(Buffer.byteLength(fenceObjectName(long)) <= 63);
    await control.installFence(SCHEMA, long, 'trigger', ['other']);
    assert.match(
      (await writeError(`DELETE FROM shop.other`))?.message ?? '',
      new RegExp(`migration "${long}"`),
    );
    await control.liftFence(SCHEMA, long);
    assert.equal(await writeError(`DELETE FROM shop.other`), null);
  });
});

describe('PostgreSQL read-only fence', () => {
  const role = `fx_app_${Date.now().toString(36)}`;
  let appUrl: string;

  before(async () => {
    await execPostgres(PG_ADMIN_URL, [`CREATE ROLE ${role} LOGIN`]);
    await execPostgres(db.url, [
      `GRANT USAGE ON SCHEMA shop TO ${role}`,
      `GRANT ALL ON ALL TABLES IN SCHEMA shop TO ${role}`,
    ]);
    appUrl = withCredentials(db.url, role, 'unused');
  });

  after(async () => {
    await execPostgres(db.url, [`DROP OWNED BY ${role}`]).catch(() => undefined);
    await execPostgres(PG_ADMIN_URL, [`DROP ROLE IF EXISTS ${role}`]).catch(() => undefined);
  });

  async function appError(sql: string): Promise<{ code?: string; message: string } | null> {
    const c = new pg.Client({ connectionString: appUrl });
    await c.connect();
    try {
      await c.query(sql);
      return null;
    } catch (err) {
      return { code: (err as { code?: string }).code, message: (err as Error).message };
    } finally {
      await c.end();
    }
  }

  async function settings(): Promise<number> {
    const c = await client();
    try {
      const { rows } = await c.query(
        `SELECT count(*)::int AS n FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = current_database()`,
      );
      return rows[0].n;
    } finally {
      await c.end();
    }
  }

  test("is refused while an application session uses cutover's own role", async () => {
    const shared = await client();
    try {
      await assert.rejects(
        control.installFence(SCHEMA, 'ro0', 'read-only', ['orders']),
        /needs cutover to log in as a role the applications do not use: 1 other session\(s\) of role "postgres"/,
      );
      assert.equal(await settings(), 0, 'nothing was changed');
      assert.equal((await control.fenceState(SCHEMA, 'ro0')).mode, null);
    } finally {
      await shared.end();
    }
  });

  test("new sessions are read-only, old ones are ended, cutover's role still writes; lift restores", async () => {
    const old = new pg.Client({ connectionString: appUrl });
    await old.connect();
    old.on('error', () => undefined);
    await old.query('BEGIN');
    await old.query(`INSERT INTO shop.other VALUES (777)`);
    const r = await control.installFence(SCHEMA, 'ro1', 'read-only', ['orders']);
    assert.deepEqual(r.previous, { setting: 'default_transaction_read_only', value: null });
    // The old session was terminated: its uncommitted write cannot land.
    await assert.rejects(old.query('COMMIT'));
    await old.end().catch(() => undefined);
    assert.equal((await appError(`INSERT INTO shop.orders VALUES (300, 1)`))?.code, '25006');
    assert.equal(await appError(`SELECT count(*) FROM shop.orders`), null, 'reads go on');
    assert.deepEqual(
      { ...(await control.fenceState(SCHEMA, 'ro1')), fencedAt: null },
      { mode: 'read-only', tables: ['orders'], fencedAt: null, previous: r.previous },
    );
    // cutover's role (a new session, as the change applier opens to trim the changelog) still writes.
    assert.equal(await writeError(`DELETE FROM shop.other WHERE id = 777`), null);
    // A retry keeps the first previous value (not its own "on").
    const again = await control.installFence(SCHEMA, 'ro1', 'read-only', ['orders']);
    assert.deepEqual(again.previous, r.previous);
    await assert.rejects(
      control.installFence(SCHEMA, 'ro1', 'trigger', ['orders']),
      /already has a read-only fence/,
    );
    // A session opened during the fence is read-only for its lifetime: lift recycles it.
    const during = new pg.Client({ connectionString: appUrl });
    await during.connect();
    during.on('error', () => undefined);
    const lifted = await control.liftFence(SCHEMA, 'ro1');
    assert.deepEqual(lifted, { lifted: ['orders'], mode: 'read-only' });
    await assert.rejects(during.query('SELECT 1'), 'the read-only session was ended');
    await during.end().catch(() => undefined);
    assert.equal(await appError(`INSERT INTO shop.orders VALUES (301, 1)`), null);
    assert.equal(await settings(), 0, 'the database and role settings are reset as they were');
    assert.deepEqual(await control.liftFence(SCHEMA, 'ro1'), { lifted: [], mode: null });
  });
});
