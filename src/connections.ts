// Connection references: specs carry names; only the worker turns a name into a URL, from its own
// environment (CUTOVER_DB_<NAME>) or a connections file (CUTOVER_CONNECTIONS_FILE). Every secret
// seen here is remembered so that redact() can scrub it from any text that leaves the process.
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { EngineKind } from './engines/model';

export class ConnectionNotConfigured extends Error {
  override name = 'ConnectionNotConfigured';
}

const secrets = new Set<string>();

function remember(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    secrets.add(url); // an unparsable URL is scrubbed whole
    return;
  }
  if (parsed.password) {
    secrets.add(parsed.password);
    try {
      secrets.add(decodeURIComponent(parsed.password));
    } catch {
      // a literal '%' in the password: the raw form above is what appears in text
    }
  }
}

function fromFile(name: string): string | undefined {
  const file = process.env.CUTOVER_CONNECTIONS_FILE;
  if (!file) return undefined;
  const doc = parseDocument(readFileSync(file, 'utf8'), { uniqueKeys: true });
  if (doc.errors.length) {
    // The parser's own messages quote the file's lines, which hold passwords: say where only.
    const where = doc.errors.map((e) => (e.linePos ? `line ${e.linePos[0].line}` : e.code)).join(', ');
    throw new ConnectionNotConfigured(`connections file ${file} is not valid YAML/JSON (${where})`);
  }
  const data: unknown = doc.toJS();
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ConnectionNotConfigured(`connections file ${file} must map connection names to URLs`);
  }
  // Every URL in the file is a secret, whichever one this worker uses.
  for (const value of Object.values(data)) if (typeof value === 'string') remember(value);
  const value = (data as Record<string, unknown>)[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    throw new ConnectionNotConfigured(`connections file ${file}: ${name} must be a URL string`);
  }
  return value;
}

/** The URL for a connection name; throws ConnectionNotConfigured naming what to set. */
export function resolveConnection(name: string, engine: EngineKind): string {
  const url = process.env[`CUTOVER_DB_${name}`] ?? fromFile(name);
  if (!url) {
    throw new ConnectionNotConfigured(
      `connection ${name} is not configured on this worker: set CUTOVER_DB_${name}=${engine}://user:password@host:port/database` +
        (process.env.CUTOVER_CONNECTIONS_FILE
          ? ` or add ${name} to ${process.env.CUTOVER_CONNECTIONS_FILE}`
          : ''),
    );
  }
  remember(url);
  let scheme: string;
  try {
    scheme = new URL(url).protocol.replace(/:$/, '');
  } catch {
    throw new ConnectionNotConfigured(`connection ${name} is not a valid URL (expected ${engine}://...)`);
  }
  const expected = engine === 'postgres' ? ['postgres', 'postgresql'] : ['mysql', 'mariadb'];
  if (!expected.includes(scheme)) {
    throw new ConnectionNotConfigured(
      `connection ${name} is a ${scheme}:// URL but the spec says its engine is ${engine}`,
    );
  }
  return scheme === 'mariadb' ? url.replace(/^mariadb:/, 'mysql:') : url;
}

// scheme://user:password@host: the password runs to the last '@' before the host, so a password
// holding '@' is scrubbed whole.
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:/@]*):(\S*)@(?=[^\s@]*(?:\s|$))/gi;

/** Remove passwords from text: every secret this process has resolved, then credentials in any URL. */
export function redact(text: string): string {
  let out = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length >= 3) out = out.split(secret).join('***');
  }
  return out.replace(URL_CREDENTIALS, (_m, scheme: string, user: string) => `${scheme}${user}:***@`);
}

/** An Error whose message, stack and causes have been redacted; the original class name is kept. */
export function redactError(err: unknown): Error {
  if (!(err instanceof Error)) return new Error(redact(String(err)));
  const copy = new Error(redact(err.message));
  copy.name = err.name;
  copy.stack = err.stack ? redact(err.stack) : undefined;
  if (err.cause !== undefined) copy.cause = redactError(err.cause);
  return copy;
}
