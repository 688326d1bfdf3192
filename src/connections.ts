// Connection references: specs carry names; only the worker turns a name into a URL, from its own
// environment (CUTOVER_DB_<NAME>) or a connections file (CUTOVER_CONNECTIONS_FILE). Every secret
// seen here is remembered so that redact() can scrub it from any text that leaves the process.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
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
    // An unparsable URL may still hold a secret: scrub the whole thing.
    secrets.add(url);
    return;
  }
  if (parsed.password) {
    secrets.add(parsed.password);
    secrets.add(decodeURIComponent(parsed.password));
  }
  secrets.add(url);
}

function fromFile(name: string): string | undefined {
  const file = process.env.CUTOVER_CONNECTIONS_FILE;
  if (!file) return undefined;
  const text = readFileSync(file, 'utf8');
  const data: unknown = parseYaml(text);
  if (data === null || typeof data !== 'object') {
    throw new ConnectionNotConfigured(`connections file ${file} must map connection names to URLs`);
  }
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

const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:/@]*):([^\s@/]*)@/gi;

/** Remove passwords from text: credentials in any URL, and every secret this process has resolved. */
export function redact(text: string): string {
  let out = text.replace(URL_CREDENTIALS, (_m, scheme: string, user: string) => `${scheme}${user}:***@`);
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length >= 3) out = out.split(secret).join('***');
  }
  return out;
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
