// What the connected user may do, decided from SHOW GRANTS. Lines are tokenised (quoted names may
// contain anything, column lists contain commas), never matched with one big regular expression.
// Details are rebuilt from the parsed parts: raw lines can carry authentication data
// ("IDENTIFIED BY PASSWORD '*hash'") that must not reach reports.
import type { PrivilegeCheck } from '../model';
import { quoteIdent } from './quote';

export interface Grant {
  revoke: boolean;
  /** Upper case, single-spaced: "SELECT", "ALL PRIVILEGES", "REPLICATION SLAVE". */
  privileges: string[];
  /** Database name or LIKE pattern ("*" for all), table name ("*" for all). */
  database: string;
  table: string;
}

interface Token {
  kind: 'word' | 'name' | 'string' | 'punct';
  text: string;
  depth: number;
}

function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  let depth = 0;
  let i = 0;
  while (i < line.length) {
    const ch = line[i] as string;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '`' || ch === "'" || ch === '"') {
      let text = '';
      i++;
      while (i < line.length) {
        const c = line[i] as string;
        if (c === ch && line[i + 1] === ch) {
          text += ch;
          i += 2;
        } else if (c === ch) {
          i++;
          break;
        } else if (c === '\\' && ch !== '`' && i + 1 < line.length) {
          text += line[i + 1];
          i += 2;
        } else {
          text += c;
          i++;
        }
      }
      tokens.push({ kind: ch === '`' ? 'name' : 'string', text, depth });
    } else if ('(),.*@'.includes(ch)) {
      if (ch === ')') depth--;
      tokens.push({ kind: 'punct', text: ch, depth });
      if (ch === '(') depth++;
      i++;
    } else {
      const m = /^[^\s`'"(),.*@]+/.exec(line.slice(i));
      const text = m ? m[0] : ch;
      tokens.push({ kind: 'word', text, depth });
      i += text.length;
    }
  }
  return tokens;
}

const isWord = (t: Token | undefined, ...words: string[]) =>
  t !== undefined && t.kind === 'word' && t.depth === 0 && words.includes(t.text.toUpperCase());

/** One SHOW GRANTS line; null for lines that grant no object privileges (roles, PROXY, routines). */
export function parseGrant(line: string): Grant | null {
  const tokens = tokenize(line);
  if (!isWord(tokens[0], 'GRANT', 'REVOKE')) return null;
  const revoke = isWord(tokens[0], 'REVOKE');
  const on = tokens.findIndex((t, i) => i > 0 && isWord(t, 'ON'));
  if (on < 0) return null;

  const privileges: string[] = [];
  let current: string[] = [];
  for (const t of tokens.slice(1, on)) {
    if (t.depth > 0 || t.text === '(' || t.text === ')') continue; // column lists
    if (t.kind === 'punct' && t.text === ',') {
      if (current.length) privileges.push(current.join(' ').toUpperCase());
      current = [];
    } else if (t.kind === 'word') {
      current.push(t.text);
    }
  }
  if (current.length) privileges.push(current.join(' ').toUpperCase());

  let j = on + 1;
  if (isWord(tokens[j], 'TABLE')) j++;
  if (isWord(tokens[j], 'FUNCTION', 'PROCEDURE', 'PACKAGE')) return null;
  const part = (t: Token | undefined) =>
    t && (t.kind === 'name' || t.kind === 'word' || (t.kind === 'punct' && t.text === '*')) ? t.text : null;
  const database = part(tokens[j]);
  const dot = tokens[j + 1];
  const table = part(tokens[j + 2]);
  if (database === null || table === null || dot?.text !== '.') return null;
  return { revoke, privileges, database, table };
}

/** Database-level grants take LIKE patterns (% and _, with \ escapes). */
function databaseMatches(pattern: string, schema: string): boolean {
  if (pattern === '*') return true;
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\' && i + 1 < pattern.length) re += escapeRegExp(pattern[++i] as string);
    else if (c === '%') re += '[\\s\\S]*';
    else if (c === '_') re += '[\\s\\S]';
    else re += escapeRegExp(c);
  }
  return new RegExp(`^${re}$`, 'u').test(schema);
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

const describe = (g: Grant) =>
  `${g.revoke ? 'REVOKE ' : ''}${g.privileges.join(', ')} ON ${g.database === '*' ? '*' : quoteIdentSafe(g.database)}.${g.table === '*' ? '*' : quoteIdentSafe(g.table)}`;

function quoteIdentSafe(name: string): string {
  try {
    return quoteIdent(name);
  } catch {
    return JSON.stringify(name);
  }
}

type Scope = 'global' | 'schema';

/** The grant that gives `privilege` at this scope (ALL PRIVILEGES covers any), honouring partial revokes. */
function find(grants: Grant[], privilege: string, scope: Scope, schema: string | null): Grant | null {
  const covers = (g: Grant) =>
    g.table === '*' &&
    (g.database === '*' || (scope === 'schema' && schema !== null && databaseMatches(g.database, schema))) &&
    g.privileges.some((p) => p === privilege || p === 'ALL' || p === 'ALL PRIVILEGES');
  const revoked = grants.some((g) => g.revoke && covers(g));
  if (revoked) return null;
  return grants.find((g) => !g.revoke && covers(g)) ?? null;
}

interface Need {
  capability: string;
  scope: Scope;
  /** Every group must be satisfied by one of its alternatives. */
  allOf: string[][];
}

const NEEDS: Need[] = [
  {
    capability: 'create triggers (trigger-based change capture and write fence)',
    scope: 'schema',
    allOf: [['TRIGGER']],
  },
  {
    capability: 'create tables in the schema (changelog and control tables)',
    scope: 'schema',
    allOf: [['CREATE']],
  },
  {
    capability:
      'set the server read-only and write through it (read-only fence; the reverse applier writes to the fenced source)',
    scope: 'global',
    // Setting read_only: SUPER, MariaDB's READ_ONLY ADMIN, MySQL 8's SYSTEM_VARIABLES_ADMIN. Writing
    // while it is on: SUPER, READ_ONLY ADMIN (MariaDB 10.11 requires it even with SUPER), MySQL 8's
    // CONNECTION_ADMIN.
    allOf: [
      ['SUPER', 'READ_ONLY ADMIN', 'SYSTEM_VARIABLES_ADMIN'],
      ['SUPER', 'READ_ONLY ADMIN', 'CONNECTION_ADMIN'],
    ],
  },
  {
    capability: 'read the binlog (log-based capture)',
    scope: 'global',
    // MariaDB 10.5+ prints REPLICATION CLIENT as BINLOG MONITOR and accepts REPLICATION REPLICA.
    allOf: [
      ['REPLICATION SLAVE', 'REPLICATION REPLICA'],
      ['REPLICATION CLIENT', 'BINLOG MONITOR'],
    ],
  },
  {
    capability: 'see every session and transaction (connection count and long-transaction checks)',
    scope: 'global',
    allOf: [['PROCESS']],
  },
];

export function privilegeChecks(lines: string[], schema: string | null): PrivilegeCheck[] {
  const grants = lines.map(parseGrant).filter((g): g is Grant => g !== null);
  const where = (scope: Scope) =>
    scope === 'global' || schema === null ? '*.*' : `*.* or ${quoteIdentSafe(schema)}.*`;
  return NEEDS.map((need) => {
    const decided: string[] = [];
    const missing: string[] = [];
    for (const group of need.allOf) {
      const hit = group.map((p) => ({ p, g: find(grants, p, need.scope, schema) })).find((x) => x.g !== null);
      if (hit?.g) decided.push(`${hit.p} from GRANT ${describe(hit.g)}`);
      else missing.push(group.join(' or '));
    }
    const granted = missing.length === 0;
    return {
      capability: need.capability,
      granted,
      detail: granted
        ? decided.join('; ')
        : `no grant of ${missing.join(' and ')} (or ALL PRIVILEGES) on ${where(need.scope)}; the user has: ${
            grants
              .filter((g) => !g.revoke)
              .map(describe)
              .join('; ') || 'no grants'
          }`,
    };
  });
}
