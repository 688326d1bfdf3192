// `cutover worker` against a cluster (TEMPORAL_ADDRESS), driven the way the Web UI's Start Workflow
// form drives it: a client without cutover's data converter sends the spec as plain JSON.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import {
  createMysqlDatabase,
  createPostgresDatabase,
  execMysql,
  type TestDatabase,
} from '../helpers/databases';
import { testAddress } from '../helpers/temporal';

const ROOT = join(__dirname, '..', '..');
const taskQueue = `cli-worker-${randomBytes(3).toString('hex')}`;
let source: TestDatabase;
let target: TestDatabase;

before(async () => {
  source = await createMysqlDatabase('cutover_wk');
  target = await createPostgresDatabase('cutover_wk_pg');
  await execMysql(source.url, [
    'CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10))',
    "INSERT INTO t VALUES (1, 'a')",
  ]);
});

after(async () => {
  await source?.drop();
  await target?.drop();
});

test('a worker started with `cutover worker` runs a plan started with plain JSON, and stops on SIGTERM', async () => {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: testAddress(),
    CUTOVER_TASK_QUEUE: taskQueue,
    CUTOVER_DB_WK_SRC: source.url,
    CUTOVER_DB_WK_DST: target.url,
  };
  const worker = spawn(process.execPath, [join(ROOT, 'bin', 'cutover.js'), 'worker'], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  worker.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
  const connection = await Connection.connect({ address: testAddress() });
  try {
    const client = new Client({ connection }); // no codec: like the Web UI
    const result = await client.workflow.execute('planMigration', {
      taskQueue,
      workflowId: `ui-like-${taskQueue}`,
      args: [
        {
          name: 'ui-like',
          source: { engine: 'mysql', connection: 'WK_SRC' },
          target: { engine: 'postgres', connection: 'WK_DST' },
          plan: { observeSeconds: 0 },
        },
      ],
    });
    assert.equal((result as { migration: string }).migration, 'ui-like');
    assert.match(stderr, new RegExp(`worker polling task queue ${taskQueue}`));
  } finally {
    await connection.close();
    worker.kill('SIGTERM');
  }
  assert.equal(await exited, 0, stderr);
});
