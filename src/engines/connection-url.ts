// Check a connection URL before a driver sees it, more strictly than the drivers do: they quietly
// accept spaces and stray "%" in a password, which then fails later as an authentication error no
// retry can fix. URL parse errors carry the whole string (password included) in their properties,
// so every refusal is a new error that names what is wrong and nothing of the value.
import { EngineInputError } from './errors';

export const NOT_SHOWN = '(its value is not shown: it may contain a password)';

export interface UrlRules {
  /** "the MySQL connection URL", "the PostgreSQL connection string" */
  label: string;
  /** Accepted schemes, lower case, without "://". */
  schemes: string[];
  /** Appended to every refusal, e.g. "expected mysql://user:password@host:port/database". */
  expected: string;
  /** pg allows "user:pw@/db" (host from ?host= or the default). */
  allowEmptyHost?: boolean;
}

export function checkUrl(url: string, rules: UrlRules): void {
  const refuse = (why: string) =>
    new EngineInputError(`${rules.label} is not valid: ${why}; ${rules.expected} ${NOT_SHOWN}`);
  if (typeof url !== 'string' || !url.trim()) throw refuse('it is empty');
  if (/[\s\p{Cc}]/u.test(url))
    throw refuse('it contains a space or control character (percent-encode it, e.g. a space as %20)');
  if (/%(?![0-9A-Fa-f]{2})/.test(url))
    throw refuse('it contains a "%" that does not start a percent-escape (write a literal "%" as %25)');
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (!scheme || !rules.schemes.includes(scheme))
    throw refuse(`it must start with ${rules.schemes.map((s) => `${s}://`).join(' or ')}`);
  let parsed: URL;
  try {
    parsed = new URL(rules.allowEmptyHost ? url.replace('@/', '@localhost/') : url);
  } catch {
    throw refuse(
      'it cannot be parsed as a URL (check the host, the port and any "@", ":" or "/" in the password)',
    );
  }
  const parts: [string, string][] = [
    ['user name', parsed.username],
    ['password', parsed.password],
    ['host', parsed.hostname],
    ['database name', parsed.pathname],
  ];
  for (const [part, value] of parts) {
    try {
      decodeURIComponent(value);
    } catch {
      throw refuse(`the percent-escapes in its ${part} are not valid UTF-8`);
    }
  }
}
