// The local Temporal dev server: `temporal server start-dev` with a persistent SQLite file, the Web
// UI, and cutover's search attributes. start-dev's --search-attribute flag is ignored when the db
// file already exists, so the attributes are (re)registered through the operator API every start.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { ALL_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { ensureTemporalCli } from './cli-binary';

const KEYWORD = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
const INDEXED_TYPES: Record<string, temporal.api.enums.v1.IndexedValueType> = { KEYWORD };

export interface DevServerOptions {
  port: number;
  uiPort: number;
  /** SQLite file that keeps workflows across restarts; undefined keeps everything in memory. */
  dbFile?: string;
  namespace?: string;
  /** Write server output here instead of inheriting the terminal. */
  logFile?: string;
  /** Outlive this process (used by the CLI's embedded default). */
  detached?: boolean;
  headless?: boolean;
}

export function dataDir(): string {
  return join(process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'cutover');
}

/** Defaults of the embedded server the CLI starts when TEMPORAL_ADDRESS is not set. */
export function embeddedServerOptions(): DevServerOptions {
  const port = Number(process.env.CUTOVER_DEV_SERVER_PORT ?? 7233);
  return {
    port,
    uiPort: Number(process.env.CUTOVER_DEV_UI_PORT ?? port + 1000),
    dbFile: join(dataDir(), 'temporal.db'),
    logFile: join(dataDir(), 'temporal-server.log'),
    detached: true,
  };
}

export async function isServerUp(address: string): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 1000 });
    await connection.workflowService.getSystemInfo({});
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

async function waitUntilUp(address: string, child: ChildProcess, logFile?: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? -1));
  while (Date.now() < deadline) {
    if (exited !== null) {
      const tail = logFile ? readFileSync(logFile, 'utf8').split('\n').slice(-8).join('\n') : '';
      throw new Error(`temporal server start-dev exited with code ${exited} before it was ready\n${tail}`);
    }
    if (await isServerUp(address)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `temporal dev server on ${address} was not ready after 60 s${logFile ? ` (see ${logFile})` : ''}`,
  );
}

/** Register cutover's search attributes that the namespace does not have yet. */
export async function registerSearchAttributes(address: string, namespace = 'default'): Promise<string[]> {
  const connection = await Connection.connect({ address });
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    const known = new Set([
      ...Object.keys(existing.customAttributes ?? {}),
      ...Object.keys(existing.systemAttributes ?? {}),
    ]);
    const missing = ALL_SEARCH_ATTRIBUTES.filter((key) => !known.has(key.name));
    if (missing.length) {
      await connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(
          missing.map((key) => [key.name, INDEXED_TYPES[key.type] ?? KEYWORD]),
        ),
      });
    }
    return missing.map((key) => key.name);
  } finally {
    await connection.close();
  }
}

export interface RunningServer {
  address: string;
  uiUrl: string | null;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startDevServer(options: DevServerOptions): Promise<RunningServer> {
  const cli = ensureTemporalCli();
  const address = `127.0.0.1:${options.port}`;
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--log-level',
    'warn',
  ];
  args.push('--namespace', options.namespace ?? 'default');
  if (options.headless) args.push('--headless');
  else args.push('--ui-port', String(options.uiPort));
  if (options.dbFile) {
    mkdirSync(dirname(options.dbFile), { recursive: true });
    args.push('--db-filename', options.dbFile);
  }
  // Registered here too for a fresh db file; registerSearchAttributes covers an existing one.
  for (const key of ALL_SEARCH_ATTRIBUTES) args.push('--search-attribute', `${key.name}=Keyword`);

  let stdio: 'inherit' | ['ignore', number, number] = 'inherit';
  if (options.logFile) {
    mkdirSync(dirname(options.logFile), { recursive: true });
    const fd = openSync(options.logFile, 'a');
    stdio = ['ignore', fd, fd];
  }
  const child = spawn(cli, args, { stdio, detached: options.detached ?? false });
  if (options.detached) {
    child.unref();
    writeFileSync(
      join(dirname(options.logFile ?? options.dbFile ?? dataDir()), 'temporal-server.pid'),
      `${child.pid}\n`,
    );
  }
  await waitUntilUp(address, child, options.logFile);
  await registerSearchAttributes(address, options.namespace);
  return {
    address,
    uiUrl: options.headless ? null : `http://127.0.0.1:${options.uiPort}`,
    process: child,
    stop: () => stopProcess(child),
  };
}

function stopProcess(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** The embedded default: reuse a dev server already listening, else start one that outlives us. */
export async function ensureEmbeddedServer(
  log: (line: string) => void,
): Promise<{ address: string; uiUrl: string; started: boolean }> {
  const options = embeddedServerOptions();
  const address = `127.0.0.1:${options.port}`;
  const uiUrl = `http://127.0.0.1:${options.uiPort}`;
  if (await isServerUp(address)) {
    await registerSearchAttributes(address);
    return { address, uiUrl, started: false };
  }
  log(
    `cutover: starting a local Temporal dev server on ${address} (Web UI ${uiUrl}, data in ${options.dbFile})`,
  );
  await startDevServer(options);
  return { address, uiUrl, started: true };
}

/** A TCP port free on 127.0.0.1 right now (for test servers and side-by-side dev servers). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
