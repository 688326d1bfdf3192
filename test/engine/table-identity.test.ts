// Table identities on real servers: the token changes exactly when a table changes in a way the
// row triggers cannot capture (MySQL TRUNCATE, OPTIMIZE; PostgreSQL ALTER ... TYPE ... USING) and
// stays for row writes (and for TRUNCATE on PostgreSQL, whose trigger captures it).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMysqlEngine } from '../../src/engines/mysql/engine';
import { createPostgresEngine } from '../../src/engines/postgres/engine';
import { createMysqlDatabase, createPostgresDatabase, execMysql, execPostgres } from '../helpers/databases';

test('MySQL: TRUNCATE and OPTIMIZE change the identity, row writes do not; unknown names are null', async () => {
  const db = await createMysqlDatabase('cutover_ident');
  const engine = createMysqlEngine(db.url);
  try {
    await execMysql(db.url, [
      `CREATE TABLE orders (id INT PRIMARY KEY, v INT)`,
      'CREATE TABLE `odd-name$` (id INT PRIMARY KEY)',
      `CREATE TABLE plain (id INT PRIMARY KEY) ENGINE=MyISAM`,
    ]);
    const ids = () => engine.tableIdentities(db.name, ['orders', 'odd-name$', 'plain', 'Zoë']);
    const first = await ids();
    assert.match(first.orders ?? '', /^\d+$/);
    assert.match(first['odd-name$'] ?? '', /^\d+$/, 'ASCII punctuation is encoded as InnoDB does');
    assert.equal(first.plain, null, 'not InnoDB: cannot tell');
    assert.equal(first['Zoë'], null, 'non-ASCII names: cannot tell');
    await execMysql(db.url, [
      `INSERT INTO orders VALUES (1, 1)`,
      `UPDATE orders SET v = 2`,
      `DELETE FROM orders`,
    ]);
    assert.deepEqual(await ids(), first, 'row writes keep it');
    await execMysql(db.url, [`TRUNCATE TABLE orders`]);
    const truncated = await ids();
    assert.notEqual(truncated.orders, first.orders, 'TRUNCATE changes it');
    assert.equal(truncated['odd-name$'], first['odd-name$']);
    await execMysql(db.url, ['OPTIMIZE TABLE `odd-name$`']);
    assert.notEqual((await ids())['odd-name$'], first['odd-name$'], 'OPTIMIZE changes it');
  } finally {
    await engine.close();
    await db.drop();
  }
});

test('PostgreSQL: a rewriting ALTER and a new column change the identity; rows, TRUNCATE, VACUUM FULL do not', async () => {
  const db = await createPostgresDatabase('cutover_ident');
  const engine = createPostgresEngine(db.url);
  try {
    await execPostgres(db.url, [`CREATE TABLE orders (id int PRIMARY KEY, v int)`]);
    const ids = () => engine.tableIdentities('public', ['orders', 'missing']);
    const first = await ids();
    assert.match(first.orders ?? '', /^[0-9a-f]{32}$/);
    assert.equal(first.missing, null);
    await execPostgres(db.url, [
      `INSERT INTO orders VALUES (1, 1)`,
      `UPDATE orders SET v = 2`,
      `TRUNCATE orders`,
      `VACUUM FULL orders`,
    ]);
    assert.deepEqual(await ids(), first);
    await execPostgres(db.url, [`ALTER TABLE orders ALTER COLUMN v TYPE bigint USING v * 2`]);
    const altered = await ids();
    assert.notEqual(altered.orders, first.orders, 'a rewrite by ALTER changes it');
    await execPostgres(db.url, [`ALTER TABLE orders ADD COLUMN note text`]);
    assert.notEqual((await ids()).orders, altered.orders, 'a new column changes it');
  } finally {
    await engine.close();
    await db.drop();
  }
});
