// Operator hooks: a webhook (a local HTTP server) receives the event JSON; a non-2xx answer, a
// redirect, a timeout and an unreachable URL fail without showing the URL or its token; a shell
// command gets the event on stdin and in CUTOVER_EVENT / CUTOVER_MIGRATION; a non-zero exit fails
// with the last lines of its stderr, scrubbed of the command's secrets; a missing CUTOVER_HOOK_<NAME>
// is a clear HookNotConfigured.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { HookFailed, HookNotConfigured, runHook } from '../../src/dataplane/cutover/hooks';

const TOKEN = 'tok-9f8e7d6c5b4a';
let server: Server;
let base: string;
const received: { path: string; headers: Record<string, unknown>; body: unknown }[] = [];

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: body ? JSON.parse(body) : null });
      if (req.url?.startsWith('/fail')) {
        res.writeHead(503).end(`echo of ${req.url}`);
      } else if (req.url?.startsWith('/redirect')) {
        res.writeHead(302, { location: `http://127.0.0.1:1/${TOKEN}` }).end();
      } else if (req.url?.startsWith('/slow')) {
        setTimeout(() => res.writeHead(200).end(), 2000);
      } else res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => new Promise<void>((r) => server.close(() => r())));

const event = { hook: 'PAUSE_APP', event: 'fenced', migration: 'm1', details: { side: 'source' } };
const now = () => new Date('2026-01-01T00:00:00.000Z');

describe('webhook hooks', () => {
  test('POSTs the event JSON and succeeds on 2xx', async () => {
    const env = { CUTOVER_HOOK_PAUSE_APP: `${base}/ok?token=${TOKEN}` };
    const r = await runHook(event, { env, now });
    assert.equal(r.kind, 'webhook');
    assert.equal(r.status, 204);
    assert.equal(JSON.stringify(r).includes(TOKEN), false);
    const got = received.at(-1)!;
    assert.equal(got.path, `/ok?token=${TOKEN}`);
    assert.equal(got.headers['content-type'], 'application/json');
    assert.deepEqual(got.body, {
      hook: 'PAUSE_APP',
      event: 'fenced',
      migration: 'm1',
      at: '2026-01-01T00:00:00.000Z',
      details: { side: 'source' },
    });
  });

  for (const [path, pattern] of [
    ['fail', /answered HTTP 503/],
    ['redirect', /answered HTTP 302/],
  ] as const) {
    test(`fails on ${path} without showing the URL or the token`, async () => {
      const env = { CUTOVER_HOOK_PAUSE_APP: `${base}/${path}/${TOKEN}?key=${TOKEN}` };
      await assert.rejects(runHook(event, { env }), (err: unknown) => {
        assert.ok(err instanceof HookFailed);
        assert.match(err.message, pattern);
        assert.match(err.message, /hook PAUSE_APP \(http webhook\) for event "fenced"/);
        assert.equal(err.message.includes(TOKEN), false);
        assert.equal(err.message.includes('127.0.0.1'), false);
        return true;
      });
    });
  }

  test('times out', async () => {
    const env = { CUTOVER_HOOK_PAUSE_APP: `${base}/slow/${TOKEN}` };
    await assert.rejects(runHook(event, { env, timeoutMs: 300 }), /did not answer within 300 ms/);
  });

  test('credentials in the URL become HTTP Basic authentication', async () => {
    const env = { CUTOVER_HOOK_PAUSE_APP: `${base.replace('//', `//ops:${TOKEN}@`)}/ok` };
    await runHook(event, { env });
    assert.equal(
      received.at(-1)!.headers.authorization,
      `Basic ${Buffer.from(`ops:${TOKEN}`).toString('base64')}`,
    );
  });

  test('an unreachable URL names only the error code', async () => {
    // A port nobody listens on (port 1 would be refused by fetch itself as a "bad port").
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const env = { CUTOVER_HOOK_PAUSE_APP: `http://user:${TOKEN}@127.0.0.1:${port}/x` };
    await assert.rejects(runHook(event, { env }), (err: unknown) => {
      assert.ok(err instanceof HookFailed);
      assert.match(err.message, /could not be reached \(ECONNREFUSED\)/);
      assert.equal(err.message.includes(TOKEN), false);
      return true;
    });
  });
});

describe('shell command hooks', () => {
  test('gets the event JSON on stdin and CUTOVER_EVENT / CUTOVER_MIGRATION', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cutover-hook-'));
    const out = join(dir, 'out');
    const env = {
      PATH: process.env.PATH,
      CUTOVER_HOOK_PAUSE_APP: `cat > ${out}; echo "$CUTOVER_EVENT $CUTOVER_MIGRATION" >> ${out}`,
    };
    const r = await runHook(event, { env, now });
    assert.deepEqual({ kind: r.kind, exitCode: r.exitCode }, { kind: 'command', exitCode: 0 });
    const text = readFileSync(out, 'utf8');
    const [json, line] = [text.slice(0, text.lastIndexOf('}') + 1), text.slice(text.lastIndexOf('}') + 1)];
    assert.deepEqual(JSON.parse(json!), {
      hook: 'PAUSE_APP',
      event: 'fenced',
      migration: 'm1',
      at: '2026-01-01T00:00:00.000Z',
      details: { side: 'source' },
    });
    assert.equal(line!.trim(), 'fenced m1');
  });

  test('a non-zero exit fails with the last lines of stderr, scrubbed of the command', async () => {
    const env = {
      PATH: process.env.PATH,
      CUTOVER_HOOK_PAUSE_APP: `for i in 1 2 3 4 5 6 7; do echo "line $i" >&2; done; echo "pausing failed with --token=${TOKEN}" >&2; exit 3`,
    };
    await assert.rejects(runHook(event, { env }), (err: unknown) => {
      assert.ok(err instanceof HookFailed);
      assert.match(
        err.message,
        /^hook PAUSE_APP \(shell command\) for event "fenced" exited with code 3; last lines of its stderr:\n/,
      );
      assert.match(err.message, /line 4\nline 5\nline 6\nline 7\npausing failed with --token=\*\*\*$/);
      assert.doesNotMatch(err.message, /line 3/);
      assert.equal(err.message.includes(TOKEN), false);
      assert.equal(err.message.includes('for i in'), false);
      return true;
    });
  });

  test('a command that runs too long is killed with its children', async () => {
    const env = { PATH: process.env.PATH, CUTOVER_HOOK_PAUSE_APP: 'sleep 30 | cat' };
    const t0 = Date.now();
    await assert.rejects(runHook(event, { env, timeoutMs: 300 }), /timed out after 300 ms/);
    assert.ok(Date.now() - t0 < 5000);
  });
});

describe('hook configuration', () => {
  test('a missing CUTOVER_HOOK_<NAME> is HookNotConfigured naming the variable', async () => {
    await assert.rejects(runHook(event, { env: {} }), (err: unknown) => {
      assert.ok(err instanceof HookNotConfigured);
      assert.match(
        err.message,
        /hook PAUSE_APP is not configured on this worker: set CUTOVER_HOOK_PAUSE_APP/,
      );
      return true;
    });
    await assert.rejects(runHook({ ...event, hook: 'bad-name' }, { env: {} }), HookNotConfigured);
  });
});
