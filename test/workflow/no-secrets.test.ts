// No secret enters Temporal: connection URLs with real passwords are resolved by the worker only.
// The whole history of a finished plan, and of a plan that failed on a wrong password, is searched
// with payloads decoded; the connection names are found there (so the search works), the
// passwords nowhere.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import {
  createMysqlDatabase,
  createMysqlUser,
  createPostgresDatabase,
  execMysql,
  execPostgres,
  MYSQL_ADMIN_URL,
  PG_ADMIN_URL,
  withCredentials,
  type TestDatabase,
} from '../helpers/databases';
import { historyText, withWorker } from '../helpers/temporal';

const suffix = randomBytes(3).toString('hex');
const mysqlUser = `cutover_sec_${suffix}`;
const pgRole = `cutover_sec_${suffix}`;
const mysqlPassword = `My-S3cret-${randomBytes(6).toString('hex')}`;
const pgPassword = `Pg-S3cret-${randomBytes(6).toString('hex')}`;
let source: TestDatabase;
let target: TestDatabase;
let mysqlAccount: { drop(): Promise<void> } | undefined;

before(async () => {
  source = await createMysqlDatabase('cutover_sec');
  target = await createPostgresDatabase('cutover_sec_pg');
  await execMysql(source.url, [
    'CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(50))',
    "INSERT INTO items VALUES (1, 'a'), (2, 'b')",
  ]);
  mysqlAccount = await createMysqlUser(source.name, mysqlUser, mysqlPassword);
  await execPostgres(target.url, [
    `CREATE ROLE ${pgRole} LOGIN PASSWORD '${pgPassword}'`,
    `GRANT ALL ON SCHEMA public TO ${pgRole}`,
  ]);
});

after(async () => {
  await mysqlAccount?.drop();
  await target?.drop();
  await execPostgres(PG_ADMIN_URL, [`DROP ROLE IF EXISTS ${pgRole}`]).catch(() => undefined);
  await source?.drop();
});

test('a finished plan carries no password anywhere in its history', async () => {
  process.env.CUTOVER_DB_SECRET_SRC = withCredentials(MYSQL_ADMIN_URL, mysqlUser, mysqlPassword, source.name);
  process.env.CUTOVER_DB_SECRET_DST = withCredentials(PG_ADMIN_URL, pgRole, pgPassword, target.name);
  await withWorker(async ({ client, taskQueue }) => {
    const handle = await client.workflow.start('planMigration', {
      taskQueue,
      workflowId: `test-no-secret-${suffix}`,
      args: [
        {
          name: 'secret-check',
          source: { engine: 'mysql', connection: 'SECRET_SRC' },
          target: { engine: 'postgres', connection: 'SECRET_DST' },
          plan: { observeSeconds: 0 },
        },
      ],
    });
    const report = await handle.result();
    assert.equal(report.tables.length, 1);
    const text = historyText(await handle.fetchHistory());
    assert.ok(
      text.includes('SECRET_SRC') && text.includes('SECRET_DST'),
      'decoded history contains the connection names',
    );
    assert.ok(text.includes('"items"') || text.includes('items'), 'decoded history contains the report');
    assert.ok(!text.includes(mysqlPassword), 'MySQL password absent');
    assert.ok(!text.includes(pgPassword), 'PostgreSQL password absent');
    assert.ok(!text.includes(mysqlUser + ':'), 'no user:password pair');
  });
});

test('a plan failing on a rejected password shows why, and still carries no password', async () => {
  const wrong = `Wrong-${randomBytes(6).toString('hex')}`;
  process.env.CUTOVER_DB_WRONG_SRC = withCredentials(MYSQL_ADMIN_URL, mysqlUser, wrong, source.name);
  process.env.CUTOVER_DB_SECRET_DST = withCredentials(PG_ADMIN_URL, pgRole, pgPassword, target.name);
  await withWorker(async ({ client, taskQueue }) => {
    const handle = await client.workflow.start('planMigration', {
      taskQueue,
      workflowId: `test-wrong-secret-${suffix}`,
      args: [
        {
          name: 'secret-fail',
          source: { engine: 'mysql', connection: 'WRONG_SRC' },
          target: { engine: 'postgres', connection: 'SECRET_DST' },
          plan: { observeSeconds: 0 },
        },
      ],
    });
    const err = await handle.result().then(
      () => assert.fail('the plan should fail on the wrong password'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError);
    const text = historyText(await handle.fetchHistory());
    assert.match(text, /Access denied for user/, 'the failure says why');
    assert.match(text, /DatabaseRejected/, 'as a non-retryable database rejection');
    assert.ok(!text.includes(wrong), 'the wrong password is absent');
    assert.ok(!text.includes(pgPassword), 'the PostgreSQL password is absent');
  });
});
