// The MySQL/MariaDB write fence on a real server: INSERT/UPDATE/DELETE/REPLACE on a fenced table are
// rejected with the message naming the table and the migration, other tables stay open, a
// transaction that touched a table before the fence is waited for (one that stays open makes the
// fence fail naming its session and leaves no table fenced), lift is exact and idempotent, and
// read_only is set for an ordinary user's writes (even its open transaction cannot commit) and
// restored to its previous value. The read-only test flips the shared server's read_only for a
// moment; root (used by every other test) is not affected by it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import mysql from 'mysql2/promise';
import { FenceBlockedError, type CutoverControl } from '../../src/engines/cutover-control';
import { createMysqlCutoverControl, fenceTriggerName } from '../../src/engines/mysql/fence';
import {
  createMysqlDatabase,
  createMysqlUser,
  execMysql,
  withCredentials,
  type TestDatabase,
} from '../helpers/databases';

let db: TestDatabase;
let control: CutoverControl;
let appUrl: string;
let appUser: { drop(): Promise<void> };

async function writeError(sql: string, url = db.url): Promise<{ errno?: number; message: string } | null> {
  const c = await mysql.createConnection({ uri: url });
  try {
    await c.query(sql);
    return null;
  } catch (err) {
    return { errno: (err as { errno?: number }).errno, message: (err as Error).message };
  } finally {
    await c.end();
  }
}

async function count(table: string): Promise<number> {
  const c = await mysql.createConnection({ uri: db.url });
  try {
    const [rows] = await c.query<mysql.RowDataPacket[]>(`SELECT COUNT(*) AS n FROM \`${table}\``);
    return Number(rows[0]!.n);
  } finally {
    await c.end();
  }
}

/** cutover's tables left in the test database. */
async function cutoverTables(): Promise<unknown[]> {
  const c = await mysql.createConnection({ uri: db.url });
  try {
    const [rows] = await c.query<mysql.RowDataPacket[]>(
      `SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME LIKE '\\_cutover%'`,
      [db.name],
    );
    return rows;
  } finally {
    await c.end();
  }
}

before(async () => {
  db = await createMysqlDatabase('cutover_fence');
  await execMysql(db.url, [
    `CREATE TABLE orders (id INT PRIMARY KEY, total DECIMAL(10,2))`,
    'CREATE TABLE `odd ``name` (id INT PRIMARY KEY)',
    `CREATE TABLE other (id INT PRIMARY KEY)`,
    `INSERT INTO orders VALUES (1, 10), (2, 20)`,
  ]);
  control = createMysqlCutoverControl(db.url);
  const user = `fx_${db.name.slice(-6)}`;
  appUser = await createMysqlUser(db.name, user, 'App-pw-1234');
  appUrl = withCredentials(db.url, user, 'App-pw-1234', db.name);
});

after(async () => {
  await control?.close();
  await appUser?.drop();
  await db?.drop();
});

describe('MySQL trigger fence', () => {
  test('rejects every write with a message naming the table and the migration; reads and other tables stay open', async () => {
    const r = await control.installFence(db.name, 'm1', 'trigger', ['orders', 'odd `name']);
    assert.deepEqual(r.tables, ['odd `name', 'orders']);
    assert.match(r.fencedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const expected = `cutover: writes to "${db.name}"."orders" are fenced while migration "m1" cuts over`;
    for (const sql of [
      `INSERT INTO orders VALUES (3, 30)`,
      `UPDATE orders SET total = 0`,
      `DELETE FROM orders`,
      `REPLACE INTO orders VALUES (1, 5)`,
      `INSERT INTO orders VALUES (1, 1) ON DUPLICATE KEY UPDATE total = 1`,
    ]) {
      const err = await writeError(sql);
      assert.deepEqual(err, { errno: 1644, message: expected }, sql);
    }
    assert.match(
      (await writeError('INSERT INTO `odd ``name` VALUES (1)'))?.message ?? '',
      /"odd `name" are fenced/,
    );
    assert.equal(await count('orders'), 2);
    assert.equal(await writeError(`INSERT INTO other VALUES (1)`), null);
    const state = await control.fenceState(db.name, 'm1');
    assert.deepEqual(state.tables, ['odd `name', 'orders']);
    assert.equal(state.mode, 'trigger');
    // Idempotent: the same fence again changes nothing and keeps the first time.
    assert.equal((await control.installFence(db.name, 'm1', 'trigger', ['orders'])).fencedAt, r.fencedAt);
  });

  test('lift removes exactly this fence and succeeds when it is already gone', async () => {
    await control.installFence(db.name, 'm2', 'trigger', ['other']);
    const lifted = await control.liftFence(db.name, 'm1');
    assert.deepEqual(lifted, { lifted: ['odd `name', 'orders'], mode: 'trigger' });
    assert.equal(await writeError(`INSERT INTO orders VALUES (3, 30)`), null);
    assert.match((await writeError(`INSERT INTO other VALUES (2)`))?.message ?? '', /migration "m2"/);
    assert.deepEqual(await control.liftFence(db.name, 'm1'), { lifted: [], mode: null });
    await control.liftFence(db.name, 'm2');
    assert.equal(await writeError(`INSERT INTO other VALUES (2)`), null);
    assert.deepEqual(await control.fenceState(db.name, 'm2'), {
      mode: null,
      tables: [],
      fencedAt: null,
      previous: null,
    });
    assert.deepEqual(await cutoverTables(), [], 'the state table goes with the last fence');
  });

  test('lifting after the fenced tables were dropped (a rollback drops the target first) leaves nothing', async () => {
    await execMysql(db.url, [`CREATE TABLE doomed (id INT PRIMARY KEY)`]);
    await control.installFence(db.name, 'm-drop', 'trigger', ['doomed']);
    await execMysql(db.url, [`DROP TABLE doomed`]);
    assert.equal((await control.liftFence(db.name, 'm-drop')).mode, 'trigger');
    assert.deepEqual(await control.fenceState(db.name, 'm-drop'), {
      mode: null,
      tables: [],
      fencedAt: null,
      previous: null,
    });
    assert.deepEqual(await cutoverTables(), [], 'the state table goes with the last fence');
  });

  test('waits for a transaction that wrote before the fence: its write commits, later writes are rejected', async () => {
    const app = await mysql.createConnection({ uri: db.url });
    try {
      await app.query('BEGIN');
      await app.query(`INSERT INTO orders VALUES (100, 1)`);
      const fencing = control.installFence(db.name, 'm3', 'trigger', ['orders'], { lockTimeoutMs: 5000 });
      let returned = false;
      void fencing.then(() => (returned = true));
      await new Promise((r) => setTimeout(r, 700));
      assert.equal(returned, false, 'the fence waits for the open transaction');
      await app.query('COMMIT');
      await fencing;
      assert.equal(await count('orders'), 4, 'the earlier write committed');
      await assert.rejects(app.query(`INSERT INTO orders VALUES (101, 1)`), /fenced while migration "m3"/);
    } finally {
      await app.end();
      await control.liftFence(db.name, 'm3');
    }
  });

  test('a long transaction makes the fence fail naming its session, with no table fenced', async () => {
    const app = await mysql.createConnection({ uri: appUrl });
    try {
      const [[{ id }]] = (await app.query('SELECT CONNECTION_ID() AS id')) as unknown as [[{ id: number }]];
      await app.query('BEGIN');
      await app.query(`INSERT INTO other VALUES (50)`);
      await assert.rejects(
        control.installFence(db.name, 'm4', 'trigger', ['orders', 'other'], {
          lockTimeoutMs: 1000,
          attempts: 2,
        }),
        (err: unknown) => {
          assert.ok(err instanceof FenceBlockedError);
          assert.match(
            err.message,
            new RegExp(
              `session ${id} \\(user "${appUrl.split('//')[1]!.split(':')[0]}", transaction open \\d+ s`,
            ),
          );
          assert.match(err.message, /nothing was installed/);
          assert.doesNotMatch(err.message, /App-pw/);
          return true;
        },
      );
      assert.deepEqual((await control.fenceState(db.name, 'm4')).tables, []);
      assert.equal((await control.fenceState(db.name, 'm4')).mode, null, 'the intent row is removed');
      await app.query('COMMIT');
      assert.equal(await writeError(`INSERT INTO orders VALUES (200, 1)`), null);
    } finally {
      await app.end();
    }
  });

  test('names stay within 64 characters and differ by table and migration case', () => {
    const long = 'm'.repeat(100);
    assert.ok(fenceTriggerName(long, 't'.repeat(64), 'ins').length <= 64);
    assert.notEqual(
      fenceTriggerName('M1', 'orders', 'ins').toLowerCase(),
      fenceTriggerName('m1', 'orders', 'ins').toLowerCase(),
    );
  });
});

describe('MySQL read-only fence', () => {
  test("sets read_only (an ordinary user's open transaction cannot commit) and restores the previous value", async () => {
    const app = await mysql.createConnection({ uri: appUrl });
    try {
      await app.query('BEGIN');
      await app.query(`INSERT INTO other VALUES (900)`);
      let r;
      try {
        r = await control.installFence(db.name, 'ro1', 'read-only', ['orders']);
        assert.deepEqual(r.previous, { setting: 'read_only', value: 'OFF' });
        await assert.rejects(app.query('COMMIT'), /read-only/);
        const err = await writeError(`INSERT INTO orders VALUES (901, 1)`, appUrl);
        assert.match(err?.message ?? '', /read-only/);
        const state = await control.fenceState(db.name, 'ro1');
        assert.equal(state.mode, 'read-only');
        assert.deepEqual(state.tables, ['orders']);
        // A retry does not record its own ON as the previous value.
        assert.deepEqual(
          (await control.installFence(db.name, 'ro1', 'read-only', ['orders'])).previous,
          r.previous,
        );
      } finally {
        await control.liftFence(db.name, 'ro1');
      }
      assert.equal(await writeError(`INSERT INTO orders VALUES (902, 1)`, appUrl), null);
      const c = await mysql.createConnection({ uri: db.url });
      try {
        const [rows] = await c.query<mysql.RowDataPacket[]>('SELECT @@GLOBAL.read_only AS v');
        assert.equal(Number(rows[0]!.v), 0);
      } finally {
        await c.end();
      }
      const [rows] = await app.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM other WHERE id = 900');
      assert.equal(Number(rows[0]!.n), 0, 'the write of the open transaction did not land');
    } finally {
      await app.end();
    }
  });
});
