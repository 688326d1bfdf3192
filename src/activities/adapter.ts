// What every activity shares: errors leave as Temporal failures with a stable type, the right
// retry decision and every secret scrubbed; engines are opened from connection names and closed.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { ConnectionNotConfigured, redact, resolveConnection } from '../connections';
import type { Engine } from '../engines/engine';
import { openEngine } from '../engines';
import type { EngineKind } from '../engines/model';

/** Errors that no retry can fix: bad input, missing configuration, refused credentials or rights. */
const PERMANENT_SQLSTATE = /^(28|3D|3F|42501|42P01|42704)/;
const PERMANENT_MYSQL = new Set([
  'ER_ACCESS_DENIED_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
  'ER_TABLEACCESS_DENIED_ERROR',
  'ER_SPECIFIC_ACCESS_DENIED_ERROR',
  'ER_BAD_DB_ERROR',
  'ER_NO_SUCH_TABLE',
]);
const PERMANENT_NAMES = new Set(['ConnectionNotConfigured', 'PlanInputError', 'RefusedError']);

export function toFailure(err: unknown): ApplicationFailure {
  if (err instanceof ApplicationFailure) {
    return ApplicationFailure.create({
      message: redact(err.message),
      type: err.type ?? undefined,
      nonRetryable: err.nonRetryable ?? undefined,
    });
  }
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as { code?: unknown }).code;
  const message = redact(e.message);
  if (PERMANENT_NAMES.has(e.name) || e instanceof ConnectionNotConfigured) {
    return ApplicationFailure.create({ message, type: e.name, nonRetryable: true });
  }
  if (
    typeof code === 'string' &&
    (PERMANENT_MYSQL.has(code) || (/^[0-9A-Z]{5}$/.test(code) && PERMANENT_SQLSTATE.test(code)))
  ) {
    return ApplicationFailure.create({
      message: `${message} (${code})`,
      type: 'DatabaseRejected',
      nonRetryable: true,
    });
  }
  if (
    typeof code === 'string' &&
    /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|PROTOCOL_CONNECTION_LOST)$/.test(code)
  ) {
    return ApplicationFailure.create({
      message: `${message} (${code})`,
      type: 'DatabaseUnavailable',
      nonRetryable: false,
    });
  }
  // The stack is redacted and kept: it is what an on-call engineer needs, and holds no secret now.
  const failure = ApplicationFailure.create({
    message,
    type: e.name === 'Error' ? 'ActivityError' : e.name,
    nonRetryable: false,
  });
  failure.stack = e.stack ? redact(e.stack) : failure.stack;
  return failure;
}

/** Last progress reported by each running activity, re-sent by the keep-alive heartbeat. */
const lastDetails = new WeakMap<Context, Record<string, string | number>>();

/**
 * Wrap an activity so that whatever it throws leaves through toFailure, and so that it heartbeats
 * every few seconds while a long statement runs (a scan of a big table is one statement): the
 * heartbeat timeout then detects a dead worker, not a slow query.
 */
export function adapt<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A) => {
    const ctx = Context.current();
    const timer = setInterval(() => ctx.heartbeat(lastDetails.get(ctx) ?? {}), 5_000);
    try {
      return await fn(...args);
    } catch (err) {
      throw toFailure(err);
    } finally {
      clearInterval(timer);
    }
  };
}

/** Open the engine a spec endpoint names, run `use`, and always close it. */
export async function withEngine<R>(
  endpoint: { engine: EngineKind; connection: string },
  use: (engine: Engine) => Promise<R>,
): Promise<R> {
  const engine = openEngine(endpoint.engine, resolveConnection(endpoint.connection, endpoint.engine));
  try {
    return await use(engine);
  } finally {
    await engine.close().catch(() => undefined);
  }
}

/** Heartbeat with small, secret-free progress details. */
export function heartbeat(details: Record<string, string | number>): void {
  const ctx = Context.current();
  lastDetails.set(ctx, details);
  ctx.heartbeat(details);
}

export function cancellation(): AbortSignal {
  return Context.current().cancellationSignal;
}
