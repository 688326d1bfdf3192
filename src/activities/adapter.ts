// What every activity shares: errors leave as Temporal failures with a stable type, the right
// retry decision and every secret scrubbed; engines are opened from connection names and closed.
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { ConnectionNotConfigured, redact, resolveConnection } from '../connections';
import { PERMANENT_ERROR_TYPES } from '../spec/error-types';
import type { Engine } from '../engines/engine';
import { EngineInputError } from '../engines/errors';
import { openEngine } from '../engines';
import type { EngineKind } from '../engines/model';

/**
 * Errors that no retry can fix: bad input, missing configuration, refused credentials or rights,
 * SQL the server will never accept. PostgreSQL SQLSTATE classes: 0A feature not supported,
 * 22 data exception, 28 authorization, 3D/3F no such database/schema, 42 syntax or access rule.
 * Serialization failures (40), resource limits (53), cancels (57) and lost connections (08) retry.
 */
const PERMANENT_SQLSTATE = /^(0A|22|28|3D|3F|42)/;
const PERMANENT_MYSQL = new Set([
  'ER_ACCESS_DENIED_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
  'ER_TABLEACCESS_DENIED_ERROR',
  'ER_COLUMNACCESS_DENIED_ERROR',
  'ER_SPECIFIC_ACCESS_DENIED_ERROR',
  'ER_HOST_NOT_PRIVILEGED',
  'ER_BAD_DB_ERROR',
  'ER_NO_DB_ERROR',
  'ER_NO_SUCH_TABLE',
  'ER_BAD_FIELD_ERROR',
  'ER_PARSE_ERROR',
  'ER_NOT_SUPPORTED_YET',
]);

export function toFailure(err: unknown): Error {
  // A cancellation must leave as itself, or Temporal records a failure instead of a cancel.
  if (err instanceof CancelledFailure) return err;
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
  // EngineInputError's subclasses (ValueTranslationError, SchemaTranslationError, ...) keep their own
  // names as the failure type and are permanent like their parent.
  if (
    PERMANENT_ERROR_TYPES.includes(e.name) ||
    e instanceof ConnectionNotConfigured ||
    e instanceof EngineInputError
  ) {
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
const lastDetails = new WeakMap<Context, unknown>();

/**
 * Wrap an activity so that whatever it throws leaves through toFailure, and so that it heartbeats
 * every few seconds while a long statement runs (a scan of a big table is one statement): the
 * heartbeat timeout then detects a dead worker, not a slow query.
 */
export function adapt<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A) => {
    const ctx = Context.current();
    // Until this attempt reports progress, keep re-sending the previous attempt's checkpoint: an
    // empty keep-alive would overwrite it, and a second crash would then start from zero.
    if (ctx.info.heartbeatDetails !== undefined && !lastDetails.has(ctx))
      lastDetails.set(ctx, ctx.info.heartbeatDetails);
    // A third of the heartbeat timeout (at most 2 s): two keep-alives may be lost before it fires,
    // and a cancellation (it comes back in a heartbeat's reply, see worker.ts) is seen within seconds.
    const every = Math.min(2_000, Math.max(200, (ctx.info.heartbeatTimeoutMs ?? 15_000) / 3));
    const timer = setInterval(() => ctx.heartbeat(lastDetails.get(ctx) ?? {}), every);
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

/** Heartbeat with small, secret-free progress details (also the checkpoint a retry resumes from). */
export function heartbeat(details: unknown): void {
  const ctx = Context.current();
  lastDetails.set(ctx, details);
  ctx.heartbeat(details);
}

/** What this activity heartbeated last in an earlier attempt (undefined on the first). */
export function checkpoint<T>(): T | undefined {
  return Context.current().info.heartbeatDetails as T | undefined;
}

export function cancellation(): AbortSignal {
  return Context.current().cancellationSignal;
}
