// The `cutover` command as an operator runs it: the embedded default (no TEMPORAL_ADDRESS) starts a
// local dev server and an in-process worker; a bad spec exits 2 naming every bad field; no
// password reaches the terminal even at DEBUG log level.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { freePort } from '../../src/temporal/dev-server';
import {
  createMysqlDatabase,
  createMysqlUser,
  createPostgresDatabase,
  execMysql,
  withCredentials,
  type TestDatabase,
} from '../helpers/databases';

const ROOT = join(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'cutover-cli-'));
const user = `cutover_cli_${randomBytes(3).toString('hex')}`;
const password = `Cli-S3cret-${randomBytes(6).toString('hex')}`;
let source: TestDatabase;
let target: TestDatabase;
let port: number;
let uiPort: number;
let mysqlUser: { drop(): Promise<void> } | undefined;

function cutover(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env, NO_COLOR: '1' };
    delete childEnv.TEMPORAL_ADDRESS;
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'cutover.js'), ...args], {
      env: childEnv,
      cwd: dir,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

before(async () => {
  source = await createMysqlDatabase('cutover_cli');
  target = await createPostgresDatabase('cutover_cli_pg');
  await execMysql(source.url, [
    'CREATE TABLE t (id INT PRIMARY KEY, flag TINYINT(1))',
    'INSERT INTO t VALUES (1, 0), (2, 1)',
  ]);
  mysqlUser = await createMysqlUser(source.name, user, password);
  port = await freePort();
  uiPort = await freePort();
  writeFileSync(
    join(dir, 'spec.yaml'),
    [
      'name: cli-test',
      'source: { engine: mysql, connection: CLI_SRC }',
      'target: { engine: postgres, connection: CLI_DST }',
      'plan: { observeSeconds: 0, sampleRows: 100 }',
      '',
    ].join('\n'),
  );
});

after(async () => {
  try {
    const pid = Number(readFileSync(join(dir, 'data', 'cutover', 'temporal-server.pid'), 'utf8'));
    if (pid) process.kill(pid, 'SIGTERM');
  } catch {
    // the server never started
  }
  await mysqlUser?.drop();
  await source?.drop();
  await target?.drop();
});

function env(sourcePassword: string): Record<string, string> {
  return {
    CUTOVER_DEV_SERVER_PORT: String(port),
    CUTOVER_DEV_UI_PORT: String(uiPort),
    XDG_DATA_HOME: join(dir, 'data'),
    CUTOVER_DB_CLI_SRC: withCredentials(source.url, user, sourcePassword),
    CUTOVER_DB_CLI_DST: target.url,
    CUTOVER_LOG_LEVEL: 'DEBUG',
  };
}

test('a bad spec file exits 2 and names every bad field, without starting anything', async () => {
  writeFileSync(
    join(dir, 'bad.json'),
    JSON.stringify({
      name: 'bad',
      source: { engine: 'mysql' },
      target: { engine: 'pg', connection: 'X' },
      typo: 1,
    }),
  );
  const r = await cutover(['plan', 'bad.json'], env(password));
  assert.equal(r.code, 2);
  assert.match(r.stderr, /source\.connection: is required/);
  assert.match(r.stderr, /target\.engine: /);
  assert.match(r.stderr, /typo: unknown field/);
  assert.doesNotMatch(r.stderr, /starting a local Temporal dev server/);
});

test('usage errors exit 2, help exits 0', async () => {
  assert.equal((await cutover(['plan'], env(password))).code, 2);
  assert.equal((await cutover(['plan', 'spec.yaml', '--no-such-flag'], env(password))).code, 2);
  assert.equal((await cutover(['no-such-command'], env(password))).code, 2);
  const help = await cutover(['--help'], env(password));
  assert.equal(help.code, 0);
  assert.match(help.stdout, /plan \[options\] <spec>/);
});

test('an unreadable spec file exits 2 with the reason', async () => {
  writeFileSync(join(dir, 'broken.json'), '{ "name": ');
  const r = await cutover(['plan', 'broken.json'], env(password));
  assert.equal(r.code, 2);
  assert.match(r.stderr, /broken\.json is not valid JSON/);
});

test('with no TEMPORAL_ADDRESS, plan starts the local dev server and prints the plan as JSON', async () => {
  const r = await cutover(['plan', 'spec.yaml', '--json'], env(password));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /starting a local Temporal dev server on 127\.0\.0\.1:\d+/);
  const report = JSON.parse(r.stdout);
  assert.equal(report.planVersion, 1);
  assert.equal(report.migration, 'cli-test');
  assert.equal(report.tables[0].table, 't');
  assert.equal(
    report.tables[0].columns.find((c: { column: string }) => c.column === 'flag').targetType,
    'boolean',
  );
  assert.ok(!r.stdout.includes(password) && !r.stderr.includes(password), 'no password on the terminal');
});

test('the next command reuses the dev server; a rejected password is reported without the password', async () => {
  const wrong = `Wrong-${randomBytes(5).toString('hex')}`;
  const r = await cutover(['plan', 'spec.yaml'], env(wrong));
  assert.equal(r.code, 1);
  assert.doesNotMatch(r.stderr, /starting a local Temporal dev server/);
  assert.match(r.stderr, /plan .* failed .*Access denied for user/);
  assert.ok(!r.stderr.includes(wrong) && !r.stdout.includes(wrong), 'the password is not printed');
});
