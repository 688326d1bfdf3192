// Read a migration spec from a JSON or YAML file (the same JSON the Web UI's Start Workflow form takes).
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { formatSpecProblems, parseMigrationSpec, type MigrationSpec } from '../spec/migration-spec';
import { log, red } from './output';

export class SpecFileError extends Error {
  override name = 'SpecFileError';
}

export function readSpecFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new SpecFileError(`cannot read spec file ${path}: ${(err as Error).message}`);
  }
  if (/\.json$/i.test(path)) {
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new SpecFileError(`spec file ${path} is not valid JSON: ${(err as Error).message}`);
    }
  }
  // YAML is a superset of JSON: one parser for both, with line numbers in its errors.
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length) {
    throw new SpecFileError(
      `spec file ${path} is not valid YAML/JSON: ${doc.errors.map((e) => e.message).join('; ')}`,
    );
  }
  return doc.toJS();
}

/**
 * The spec of a command line (parsed, and as written), checked before anything starts: null after
 * saying on stderr what is wrong (an unreadable file, or every bad field); the caller exits with
 * the usage code.
 */
export function loadSpecOrExplain(path: string): { spec: MigrationSpec; input: unknown } | null {
  let input: unknown;
  try {
    input = readSpecFile(path);
  } catch (err) {
    if (!(err instanceof SpecFileError)) throw err;
    log(red(`cutover: ${err.message}`));
    return null;
  }
  const parsed = parseMigrationSpec(input);
  if (parsed.ok) return { spec: parsed.spec, input };
  log(red(`cutover: ${path}: ${formatSpecProblems(parsed.problems)}`));
  for (const p of parsed.problems) log(`  ${p.path}: ${p.message}`);
  return null;
}
