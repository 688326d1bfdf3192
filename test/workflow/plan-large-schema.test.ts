// A schema of a few hundred tables plans through Temporal although its report is larger than
// Temporal's 2 MB payload limit: big payloads travel compressed (src/temporal/data-converter.ts).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { PlanReport } from '../../src/spec/plan-report';
import {
  createMysqlDatabase,
  createPostgresDatabase,
  execMysql,
  type TestDatabase,
} from '../helpers/databases';
import { withWorker } from '../helpers/temporal';

const TABLES = 300;
let source: TestDatabase;
let target: TestDatabase;

before(async () => {
  source = await createMysqlDatabase('cutover_wide');
  target = await createPostgresDatabase('cutover_wide_pg');
  const ddl = Array.from(
    { length: TABLES },
    (_, i) => `CREATE TABLE customer_account_history_${String(i).padStart(3, '0')} (
      id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
      email VARCHAR(191) NOT NULL, is_active TINYINT(1) NOT NULL, points BIGINT UNSIGNED NOT NULL,
      created_at DATETIME NOT NULL, updated_at TIMESTAMP NULL, country CHAR(2) CHARACTER SET latin1,
      status ENUM('a','b','c'), notes TEXT, prefs JSON, price DECIMAL(10,2), weight FLOAT,
      starts TIME, born YEAR, UNIQUE KEY uq_email (email), KEY idx_created (created_at))`,
  );
  await execMysql(source.url, ddl);
});

after(async () => {
  await source?.drop();
  await target?.drop();
});

test(`a ${TABLES}-table schema is planned in full`, async () => {
  process.env.CUTOVER_DB_WIDE_SRC = source.url;
  process.env.CUTOVER_DB_WIDE_DST = target.url;
  const report: PlanReport = await withWorker(({ client, taskQueue }) =>
    client.workflow.execute('planMigration', {
      taskQueue,
      workflowId: `test-plan-wide-${source.name}`,
      args: [
        {
          name: 'wide',
          source: { engine: 'mysql', connection: 'WIDE_SRC' },
          target: { engine: 'postgres', connection: 'WIDE_DST' },
          plan: { observeSeconds: 0 },
        },
      ],
    }),
  );
  assert.equal(report.tables.length, TABLES);
  assert.equal(
    report.tables.reduce((n, t) => n + t.columns.length, 0),
    TABLES * 14,
  );
  assert.ok(JSON.stringify(report).length > 2_000_000, 'the report is over the payload limit uncompressed');
  assert.equal(report.risks.filter((r) => r.code === 'INDEX_NAME_COLLISION').length >= TABLES - 1, true);
});
