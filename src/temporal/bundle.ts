// The workflow bundle, built once per source version and cached: bundling takes seconds, and the
// CLI's in-process worker would otherwise pay that on every command.
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { cacheDir } from './cli-binary';

const SRC = join(__dirname, '..');
export const WORKFLOWS_PATH = join(SRC, 'workflows', 'index.ts');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
    });
}

function fingerprint(): string {
  const hash = createHash('sha256');
  hash.update(require('@temporalio/worker/package.json').version as string);
  // Workflows may only import workflows/ and spec/ (enforced by lint), so these decide the bundle.
  for (const file of [...sourceFiles(join(SRC, 'workflows')), ...sourceFiles(join(SRC, 'spec'))]) {
    hash.update(file.slice(SRC.length)).update(readFileSync(file));
  }
  return hash.digest('hex').slice(0, 16);
}

/** Path of a ready workflow bundle, building it if this source version has none yet. */
export async function workflowBundlePath(): Promise<string> {
  const dir = join(cacheDir(), 'bundles');
  const path = join(dir, `workflows-${fingerprint()}.js`);
  if (existsSync(path)) return path;
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
  mkdirSync(dir, { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, code);
  renameSync(tmp, path);
  return path;
}

const noop = () => undefined;
const quietLogger = {
  log: noop,
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: (m: string) => process.stderr.write(`${m}\n`),
};
