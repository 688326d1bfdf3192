// Read a migration spec from a JSON or YAML file (the same JSON the Web UI's Start Workflow form takes).
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';

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
