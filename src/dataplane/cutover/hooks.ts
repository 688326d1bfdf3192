// Operator hooks: a spec names a hook (PAUSE_APP); the worker resolves it from its own environment,
// CUTOVER_HOOK_<NAME>. A value starting with http:// or https:// is a webhook (POST of the event
// JSON; a non-2xx answer, a redirect or a timeout fails), anything else a shell command (`sh -c`, the
// event JSON on stdin, CUTOVER_EVENT and CUTOVER_MIGRATION in its environment; a non-zero exit or a
// timeout fails, with the last lines of its stderr).
//
// The value may hold secrets (a token in the URL, a password in the command), so it never appears
// in a result or an error: a webhook is described by its scheme only, and the stderr quoted is
// scrubbed of every word of the command and of every part of the URL, then of known connection secrets.
import { spawn } from 'node:child_process';
import { redact } from '../../connections';

export const HOOK_NAME = /^[A-Z][A-Z0-9_]{0,62}$/;
const DEFAULT_TIMEOUT_MS = 30_000;
const STDERR_LINES = 5;
const STDERR_MAX = 2000;

/** The hook is not configured on this worker (or its name is invalid): no retry can fix it. */
export class HookNotConfigured extends Error {
  override name = 'HookNotConfigured';
}

/** The hook ran and failed (non-2xx, non-zero exit, timeout, unreachable). Retrying may help. */
export class HookFailed extends Error {
  override name = 'HookFailed';
}

export interface HookEvent {
  /** The hook's name as the spec gives it (PAUSE_APP). */
  hook: string;
  /** What happened: 'fenced', 'fence-lifted', 'routing-switched', 'alert', ... */
  event: string;
  migration: string;
  /** Small, secret-free JSON. */
  details?: Record<string, unknown>;
}

export interface HookOptions {
  /** Where CUTOVER_HOOK_<NAME> is read (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Default 30 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** The event's time (tests); default now. */
  now?: () => Date;
}

export interface HookResult {
  hook: string;
  kind: 'webhook' | 'command';
  durationMs: number;
  /** Webhook: the HTTP status. */
  status?: number;
  /** Command: the exit code (0). */
  exitCode?: number;
}

export type ResolvedHook = { kind: 'webhook'; url: string } | { kind: 'command'; command: string };

export function hookVariable(name: string): string {
  return `CUTOVER_HOOK_${name}`;
}

export function resolveHook(name: string, env: NodeJS.ProcessEnv = process.env): ResolvedHook {
  if (typeof name !== 'string' || !HOOK_NAME.test(name))
    throw new HookNotConfigured(
      `hook name ${JSON.stringify(name)} is invalid: it must be upper case (e.g. PAUSE_APP), resolved from CUTOVER_HOOK_<NAME>`,
    );
  const value = env[hookVariable(name)];
  if (value === undefined || value.trim() === '')
    throw new HookNotConfigured(
      `hook ${name} is not configured on this worker: set ${hookVariable(name)} to an http(s):// URL (webhook) or a shell command`,
    );
  return /^https?:\/\//i.test(value.trim())
    ? { kind: 'webhook', url: value.trim() }
    : { kind: 'command', command: value };
}

/** Every fragment of the hook's value that could be a secret, longest first. */
function secretParts(value: string): string[] {
  const parts = new Set<string>([value.trim()]);
  const words = value.split(/[\s'"`=:;,&|<>()[\]{}]+/);
  // Words that look like tokens or passwords (a digit, a capital or one of + / _ % in 6+ characters);
  // plain words ("failed", "paused") stay readable.
  for (const w of words) if (w.length >= 6 && /[0-9A-Z+/_%]/.test(w)) parts.add(w);
  for (const w of words) {
    if (!/^https?:\/\//i.test(w)) continue;
    try {
      const u = new URL(w);
      const pieces = [u.username, u.password, u.search.slice(1), ...u.pathname.split('/')];
      for (const [, v] of u.searchParams) pieces.push(v);
      for (const p of pieces) {
        if (p.length < 3) continue;
        parts.add(p);
        try {
          parts.add(decodeURIComponent(p));
        } catch {
          // the raw form is what appears
        }
      }
    } catch {
      // not a URL after all: the word itself is covered above
    }
  }
  return [...parts].filter((p) => p.length >= 3).sort((a, b) => b.length - a.length);
}

/** Text that may quote the hook's value, with every part of it replaced. */
export function scrubHookText(text: string, value: string): string {
  let out = text;
  for (const p of secretParts(value)) out = out.split(p).join('***');
  return redact(out);
}

function lastLines(text: string): string {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const tail = lines.slice(-STDERR_LINES).join('\n');
  return tail.length > STDERR_MAX ? '…' + tail.slice(-STDERR_MAX) : tail;
}

/** Run the hook named in `event.hook`; resolves when it succeeded, throws HookFailed / HookNotConfigured. */
export async function runHook(event: HookEvent, options: HookOptions = {}): Promise<HookResult> {
  const hook = resolveHook(event.hook, options.env);
  const payload = JSON.stringify({
    hook: event.hook,
    event: event.event,
    migration: event.migration,
    at: (options.now ?? (() => new Date()))().toISOString(),
    details: event.details ?? {},
  });
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const started = Date.now();
  const r =
    hook.kind === 'webhook'
      ? await runWebhook(event, hook.url, payload, timeoutMs, options.signal)
      : await runCommand(event, hook.command, payload, timeoutMs, options.env ?? process.env, options.signal);
  return { hook: event.hook, kind: hook.kind, durationMs: Date.now() - started, ...r };
}

async function runWebhook(
  event: HookEvent,
  url: string,
  payload: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<{ status: number }> {
  const scheme = new URL(url).protocol.replace(/:$/, '');
  const what = `hook ${event.hook} (${scheme} webhook) for event ${JSON.stringify(event.event)}`;
  const timeout = AbortSignal.timeout(timeoutMs);
  // fetch refuses URLs with credentials: user:password@ becomes HTTP Basic authentication, as curl does.
  const target = new URL(url);
  const auth =
    target.username || target.password
      ? `Basic ${Buffer.from(`${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`).toString('base64')}`
      : undefined;
  target.username = '';
  target.password = '';
  let response: Response;
  try {
    response = await fetch(target, {
      method: 'POST',
      headers: {
        ...(auth ? { authorization: auth } : {}),
        'content-type': 'application/json',
        'user-agent': 'cutover',
        'x-cutover-event': event.event,
        'x-cutover-migration': event.migration,
      },
      body: payload,
      // A redirect is not followed (it could carry the token elsewhere): it fails like any non-2xx.
      redirect: 'manual',
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    if (timeout.aborted) throw new HookFailed(`${what} did not answer within ${timeoutMs} ms`);
    // fetch's own messages and causes may name the host or the URL: keep only the error code.
    const cause = (err as { cause?: { code?: unknown } }).cause;
    const code = typeof cause?.code === 'string' ? cause.code : 'network error';
    throw new HookFailed(`${what} could not be reached (${code})`);
  }
  // The body is not quoted: a webhook may echo the request, tokens included. Only the status.
  await response.body?.cancel().catch(() => undefined);
  if (response.status < 200 || response.status > 299)
    throw new HookFailed(`${what} answered HTTP ${response.status}`);
  return { status: response.status };
}

function runCommand(
  event: HookEvent,
  command: string,
  payload: string,
  timeoutMs: number,
  env: NodeJS.ProcessEnv,
  signal: AbortSignal | undefined,
): Promise<{ exitCode: number }> {
  const what = `hook ${event.hook} (shell command) for event ${JSON.stringify(event.event)}`;
  return new Promise((resolve, reject) => {
    // Its own process group, so that a timeout kills the whole pipeline, not just `sh`.
    const child = spawn('sh', ['-c', command], {
      env: {
        ...env,
        CUTOVER_EVENT: event.event,
        CUTOVER_MIGRATION: event.migration,
        CUTOVER_HOOK: event.hook,
      },
      stdio: ['pipe', 'ignore', 'pipe'],
      detached: true,
    });
    let stderr = '';
    let killedBy: 'timeout' | 'cancel' | null = null;
    const kill = (why: 'timeout' | 'cancel') => {
      killedBy = why;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(() => kill('timeout'), timeoutMs);
    const onAbort = () => kill('cancel');
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString('utf8')).slice(-16_384);
    });
    // A command that does not read its stdin closes the pipe: not an error.
    child.stdin.on('error', () => undefined);
    child.stdin.end(payload);
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    child.on('error', (err) => {
      done();
      reject(new HookFailed(`${what} could not be started (${(err as { code?: string }).code ?? 'error'})`));
    });
    child.on('close', (code, sig) => {
      done();
      const tail = lastLines(scrubHookText(stderr, command));
      const withTail = (m: string) => (tail ? `${m}; last lines of its stderr:\n${tail}` : m);
      if (killedBy === 'cancel') return reject(signal?.reason ?? new Error('cancelled'));
      if (killedBy === 'timeout')
        return reject(new HookFailed(withTail(`${what} timed out after ${timeoutMs} ms`)));
      if (code === 0) return resolve({ exitCode: 0 });
      reject(
        new HookFailed(
          withTail(code === null ? `${what} was killed by ${sig}` : `${what} exited with code ${code}`),
        ),
      );
    });
  });
}
