// The test runner behind `npm test`: makes sure PostgreSQL and MariaDB are up, the Temporal CLI is
// built (once, cached) and the workflow bundle is cached, starts one in-memory Temporal dev server
// for the whole run, and runs node's test runner over test/**/*.test.ts (or the files given).
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { workflowBundlePath } from '../src/temporal/bundle';
import { ensureTemporalCli } from '../src/temporal/cli-binary';
import { freePort, startDevServer } from '../src/temporal/dev-server';

const ROOT = join(__dirname, '..');

function testFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((n) => {
      const p = join(dir, n);
      return statSync(p).isDirectory() ? testFiles(p) : n.endsWith('.test.ts') ? [p] : [];
    });
}

async function main(): Promise<number> {
  const dbs = spawnSync('bash', [join(ROOT, 'scripts', 'ensure-databases.sh')], { stdio: 'inherit' });
  if (dbs.status !== 0) return 1;
  const cli = ensureTemporalCli();
  await workflowBundlePath();
  const server = await startDevServer({
    port: await freePort(),
    uiPort: 0,
    headless: true,
    logFile: join(ROOT, '.cutover', 'test-temporal.log'),
  });
  process.stderr.write(`test: Temporal dev server ${server.address} (${cli})\n`);
  // Options (--test-name-pattern=...) go to node's test runner; the rest are test files.
  const args = process.argv.slice(2);
  const options = args.filter((a) => a.startsWith('--'));
  const named = args.filter((a) => !a.startsWith('--'));
  const files = named.length ? named : testFiles(join(ROOT, 'test'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CUTOVER_TEST_TEMPORAL_ADDRESS: server.address,
    TEMPORAL_CLI_PATH: cli,
  };
  delete env.TEMPORAL_ADDRESS;
  try {
    return await new Promise<number>((resolve) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', '--test', '--test-concurrency=2', ...options, ...files],
        {
          stdio: 'inherit',
          env,
          cwd: ROOT,
        },
      );
      child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    });
  } finally {
    await server.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`test: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
