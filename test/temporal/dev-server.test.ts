// The dev server bootstrap: persistent SQLite file, Web UI, and cutover's search attributes present
// also when the db file already exists (start-dev ignores --search-attribute then).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Connection } from '@temporalio/client';
import { ensureTemporalCli } from '../../src/temporal/cli-binary';
import { freePort, isServerUp, startDevServer } from '../../src/temporal/dev-server';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';

async function customAttributes(address: string): Promise<string[]> {
  const connection = await Connection.connect({ address });
  try {
    const res = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
    return Object.keys(res.customAttributes ?? {});
  } finally {
    await connection.close();
  }
}

test('search attributes are registered on a db file created without them, and the Web UI answers', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-devserver-'));
  const dbFile = join(dir, 'temporal.db');
  const port = await freePort();
  const uiPort = await freePort();

  // A db file made by a plain start-dev, with none of cutover's attributes.
  const plain = spawn(
    ensureTemporalCli(),
    [
      'server',
      'start-dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--headless',
      '--db-filename',
      dbFile,
      '--log-level',
      'error',
    ],
    { stdio: 'ignore' },
  );
  try {
    for (let i = 0; i < 120 && !(await isServerUp(`127.0.0.1:${port}`)); i++)
      await new Promise((r) => setTimeout(r, 250));
    const before = await customAttributes(`127.0.0.1:${port}`);
    assert.ok(!before.includes('MigrationPhase'), 'precondition: the plain db file lacks MigrationPhase');
  } finally {
    plain.kill('SIGTERM');
    await new Promise((r) => plain.once('exit', r));
  }

  const server = await startDevServer({ port, uiPort, dbFile, logFile: join(dir, 'server.log') });
  try {
    const after = await customAttributes(server.address);
    for (const key of ALL_SEARCH_ATTRIBUTES) assert.ok(after.includes(key.name), `${key.name} registered`);
    const ui = await fetch(server.uiUrl!);
    assert.equal(ui.status, 200);
  } finally {
    await server.stop();
  }
});
