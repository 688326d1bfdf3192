// Finds the Temporal CLI (which bundles the dev server and Web UI) without downloading anything at
// run time: $TEMPORAL_CLI_PATH, `temporal` on PATH, a cached build, else one `go install` into the
// cache (the Go module proxy is reachable where the SDK's binary download is not).
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

/** Newest first: v1.5.1 is the newest tag `go install` accepts (later tags use a local replace). */
export const TEMPORAL_CLI_VERSIONS = ['v1.5.1', 'v1.5.0', 'v1.4.1'];

export function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'cutover');
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && executable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

function cachedBuild(version: string): string {
  return join(cacheDir(), `temporal-${version}`, 'temporal');
}

/** Where the CLI is now, or undefined when it would have to be built. */
export function findTemporalCli(): string | undefined {
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
  if (fromEnv) {
    if (!executable(fromEnv)) throw new Error(`TEMPORAL_CLI_PATH=${fromEnv} is not an executable file`);
    return fromEnv;
  }
  return onPath('temporal') ?? TEMPORAL_CLI_VERSIONS.map(cachedBuild).find(executable);
}

/** The CLI's path, building it once with `go install` when it is nowhere to be found. */
export function ensureTemporalCli(
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): string {
  const found = findTemporalCli();
  if (found) return found;
  const go =
    process.env.GO ??
    onPath('go') ??
    (executable('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (!go) {
    throw new Error(
      'Temporal CLI not found and no Go toolchain to build it: install Go, or set TEMPORAL_CLI_PATH to a temporal binary',
    );
  }
  const failures: string[] = [];
  for (const version of TEMPORAL_CLI_VERSIONS) {
    const dir = join(cacheDir(), `temporal-${version}`);
    mkdirSync(dir, { recursive: true });
    log(`cutover: building the Temporal CLI ${version} once with go install (a few minutes) into ${dir}`);
    const result = spawnSync(go, ['install', `github.com/temporalio/cli/cmd/temporal@${version}`], {
      env: { ...process.env, GOBIN: dir },
      stdio: ['ignore', 'inherit', 'pipe'],
      encoding: 'utf8',
    });
    if (result.status === 0 && executable(join(dir, 'temporal'))) return join(dir, 'temporal');
    const why = (result.stderr || result.error?.message || `exit ${result.status}`)
      .trim()
      .split('\n')
      .slice(-3)
      .join(' | ');
    log(`cutover: go install of the Temporal CLI ${version} failed: ${why}`);
    failures.push(`${version}: ${why}`);
  }
  throw new Error(
    `could not build the Temporal CLI (${failures.join('; ')}); set TEMPORAL_CLI_PATH to a temporal binary`,
  );
}

export function temporalCliVersion(path: string): string {
  return execFileSync(path, ['--version'], { encoding: 'utf8' }).trim();
}
