/**
 * The web shell over real HTTP on loopback, with a fake core behind it: calls work and
 * are validated, every kind of stranger is refused before the core is touched, the
 * renderer's files are served with the CSP and nothing outside them is, and events
 * stream.
 */
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AppEvent } from '../../shared/app-api/app-api.ts';
import { CONTENT_SECURITY_POLICY, META_CONTENT_SECURITY_POLICY } from '../bridge/content-security-policy.ts';
import { REPO_ROOT } from '../../dev/renderer-build.ts';
import { createFakeCore, FAKE_STATUS, type FakeCore } from '../../test-support/fake-core.ts';
import { MAX_BODY_BYTES, startWebShell, type WebShell } from './web-shell.ts';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** node:http, not fetch: the tests need to send exact Host headers and raw paths. */
function send(
  shell: WebShell,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: shell.port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: { host: `127.0.0.1:${shell.port}`, ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * Raw bytes over a socket, for what node:http will not send: two Host headers, odd
 * targets. `head` is the request line and headers; the answer is read until the shell hangs up.
 */
function sendRaw(shell: WebShell, head: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = connect(shell.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [top = '', body = ''] = text.split(/\r\n\r\n(.*)/s);
      const [statusLine = '', ...lines] = top.split('\r\n');
      const headers = Object.fromEntries(
        lines.map((line) => [
          line.slice(0, line.indexOf(':')).toLowerCase(),
          line.slice(line.indexOf(':') + 1).trim(),
        ]),
      );
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body });
    });
    // Connection: close, so that an answered request ends the exchange either way.
    socket.write(`${head}Connection: close\r\n\r\n`);
  });
}

function call(shell: WebShell, method: string, input: unknown, headers: Record<string, string> = {}) {
  return send(shell, {
    method: 'POST',
    path: `/api/call/${method}`,
    headers: { 'content-type': 'application/json', 'x-keyport-secret': shell.secret, ...headers },
    body: input === undefined ? '' : JSON.stringify(input),
  });
}

let workDir: string;
let rendererDir: string;
let fake: FakeCore;
let shell: WebShell;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'keyport-web-shell-'));
  rendererDir = path.join(workDir, 'renderer');
  await mkdir(path.join(rendererDir, 'assets', 'nested'), { recursive: true });
  await writeFile(path.join(rendererDir, 'index.html'), '<!doctype html><title>Keyport</title>');
  await writeFile(path.join(rendererDir, 'assets', 'app.js'), 'console.log("app");');
  await writeFile(path.join(rendererDir, 'assets', 'nested', 'deep.css'), 'body{}');
  await writeFile(path.join(rendererDir, '.env'), 'SECRET=dotfile');
  // Outside the renderer: must never be served, neither by path nor through a link.
  await writeFile(path.join(workDir, 'outside.txt'), 'OUTSIDE-SECRET');
  await symlink(path.join(workDir, 'outside.txt'), path.join(rendererDir, 'link-out.txt'));
});

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('web shell', () => {
  beforeAll(async () => {
    fake = createFakeCore();
    shell = await startWebShell({ core: fake.core, rendererDir });
  });
  afterAll(async () => {
    await shell.close();
  });
  afterEach(() => {
    fake.calls.length = 0;
  });

  it('listens on loopback and puts the secret (≥128 bits) in the launch URL fragment', () => {
    expect(shell.url).toBe(`http://127.0.0.1:${shell.port}`);
    expect(shell.launchUrl).toBe(`${shell.url}/#secret=${shell.secret}`);
    expect(Buffer.from(shell.secret, 'base64url').length).toBeGreaterThanOrEqual(16);
  });

  it('refuses to listen anywhere but loopback', async () => {
    await expect(
      startWebShell({ core: fake.core, rendererDir, host: '0.0.0.0' as '127.0.0.1' }),
    ).rejects.toThrow(/loopback/);
  });

  it('answers a valid call with the core’s value in an envelope', async () => {
    const answer = await call(shell, 'getStatus', undefined);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(answer.body)).toEqual({ ok: true, value: FAKE_STATUS });
    expect(fake.calls).toEqual([{ method: 'getStatus', input: undefined }]);
  });

  it('passes validated input through to the core', async () => {
    const answer = await call(shell, 'buy', { softwareId: 'ascii-mandelbrot' });
    expect(JSON.parse(answer.body)).toMatchObject({ ok: true, value: { softwareId: 'ascii-mandelbrot' } });
    expect(fake.calls).toEqual([{ method: 'buy', input: { softwareId: 'ascii-mandelbrot' } }]);
  });

  it('answers bad input with BAD_INPUT and never calls the core', async () => {
    for (const input of [{ softwareId: '../../etc' }, { softwareId: 'ok-id', extra: 1 }, 'buy', null]) {
      const answer = await call(shell, 'buy', input);
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
    }
    expect(fake.calls).toEqual([]);
  });

  it('keeps core errors as {code, message} envelopes', async () => {
    const answer = await call(shell, 'sync', undefined);
    expect(JSON.parse(answer.body)).toEqual({
      ok: false,
      error: { code: 'UNEXPECTED', message: 'The fake core does not do sync.' },
    });
  });

  describe('refuses strangers before the core sees them', () => {
    const refusals: Array<[string, () => Record<string, string>, number]> = [
      ['no secret', () => ({ 'x-keyport-secret': '' }), 401],
      ['a wrong secret', () => ({ 'x-keyport-secret': `${shell.secret.slice(0, -2)}xx` }), 401],
      ['a secret of another length', () => ({ 'x-keyport-secret': `${shell.secret}0` }), 401],
      ['a foreign Origin', () => ({ origin: 'http://evil.example' }), 403],
      ['an Origin on another port', () => ({ origin: `http://127.0.0.1:${shell.port + 1}` }), 403],
      ['a null Origin (sandboxed frame, file://)', () => ({ origin: 'null' }), 403],
      ['a foreign Host (DNS rebinding)', () => ({ host: `evil.example:${shell.port}` }), 403],
      [
        'Host 127.0.0.1 on another port',
        () => ({ host: `127.0.0.1:${shell.port === 65535 ? 1 : shell.port + 1}` }),
        403,
      ],
      ['Host without a port', () => ({ host: '127.0.0.1' }), 403],
      ['a cross-site fetch', () => ({ 'sec-fetch-site': 'cross-site' }), 403],
    ];

    it.each(refusals)('%s', async (_name, headers, status) => {
      const given = headers();
      const answer = await call(shell, 'getStatus', undefined, given);
      expect(answer.status).toBe(status);
      expect(JSON.parse(answer.body)).toMatchObject({
        ok: false,
        error: { code: status === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN' },
      });
      expect(answer.headers['access-control-allow-origin']).toBeUndefined();
      expect(fake.calls).toEqual([]);
    });

    it('refuses a call with no secret header at all', async () => {
      const answer = await send(shell, {
        method: 'POST',
        path: '/api/call/getStatus',
        headers: { 'content-type': 'application/json' },
        body: '',
      });
      expect(answer.status).toBe(401);
      expect(fake.calls).toEqual([]);
    });

    it('accepts its own origin and localhost', async () => {
      expect((await call(shell, 'getStatus', undefined, { origin: shell.url })).status).toBe(200);
      const viaLocalhost = await call(shell, 'getStatus', undefined, {
        host: `localhost:${shell.port}`,
        origin: `http://localhost:${shell.port}`,
      });
      expect(viaLocalhost.status).toBe(200);
      expect(fake.calls).toHaveLength(2);
    });

    it('answers CORS preflights from other pages with a refusal and no CORS headers', async () => {
      const answer = await send(shell, {
        method: 'OPTIONS',
        path: '/api/call/getStatus',
        headers: {
          origin: 'http://evil.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'x-keyport-secret,content-type',
        },
      });
      expect(answer.status).toBe(403);
      expect(Object.keys(answer.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
    });

    it('serves no page to a foreign Host either', async () => {
      const answer = await send(shell, { path: '/', headers: { host: `evil.example:${shell.port}` } });
      expect(answer.status).toBe(403);
      expect(answer.body).not.toContain('<title>');
    });
  });

  describe('refuses requests its guard cannot read one way only, with 400', () => {
    const own = () => `127.0.0.1:${shell.port}`;
    const apiCall = (headers: string) =>
      `POST /api/call/getStatus HTTP/1.1\r\n${headers}Content-Type: application/json\r\nContent-Length: 0\r\n`;
    const secretHeader = () => `X-Keyport-Secret: ${shell.secret}\r\n`;

    /** 400, a sentence (in an envelope for the API), the connection closed, the core untouched. */
    function expectUnreadable(answer: Answer, api: boolean, sentence: RegExp): void {
      expect(answer.status).toBe(400);
      expect(answer.headers.connection).toBe('close');
      if (api) {
        expect(JSON.parse(answer.body)).toEqual({
          ok: false,
          error: { code: 'BAD_INPUT', message: expect.stringMatching(sentence) },
        });
      } else {
        expect(answer.headers['content-type']).toBe('text/plain; charset=utf-8');
        expect(answer.body).toMatch(sentence);
      }
      expect(answer.body).not.toContain('<title>');
      expect(fake.calls).toEqual([]);
    }

    it('two Host headers, its own first and a foreign one second (RFC 9112 §3.2)', async () => {
      const page = await sendRaw(shell, `GET / HTTP/1.1\r\nHost: ${own()}\r\nHost: evil.example\r\n`);
      expectUnreadable(page, false, /exactly one plain Host header/);
      const api = await sendRaw(shell, apiCall(`Host: ${own()}\r\nhost: evil.example\r\n${secretHeader()}`));
      expectUnreadable(api, true, /exactly one plain Host header/);
      // Its own Host twice is no less ambiguous to a proxy that joins them.
      const same = await sendRaw(shell, `GET / HTTP/1.1\r\nHost: ${own()}\r\nHOST: ${own()}\r\n`);
      expectUnreadable(same, false, /exactly one plain Host header/);
    });

    it.each([
      ['userinfo', () => `Host: user@${own()}\r\n`],
      ['a space inside', () => `Host: 127.0.0.1 :${shell.port}\r\n`],
      ['a list of hosts', () => `Host: ${own()},evil.example\r\n`],
      ['a path', () => `Host: ${own()}/x\r\n`],
      ['nothing', () => 'Host:\r\n'],
    ])('a Host with %s', async (_name, host) => {
      const answer = await sendRaw(shell, `GET / HTTP/1.1\r\n${host()}`);
      expectUnreadable(answer, false, /exactly one plain Host header/);
    });

    it('an HTTP/1.0 request without Host', async () => {
      expectUnreadable(await sendRaw(shell, 'GET / HTTP/1.0\r\n'), false, /exactly one plain Host header/);
    });

    it.each([
      ['Origin', () => `Origin: http://${own()}\r\nOrigin: http://evil.example\r\n`],
      ['Sec-Fetch-Site', () => 'Sec-Fetch-Site: same-origin\r\nSec-Fetch-Site: cross-site\r\n'],
      ['X-Keyport-Secret', () => secretHeader()],
    ])('an API call with %s twice', async (header, again) => {
      const answer = await sendRaw(shell, apiCall(`Host: ${own()}\r\n${secretHeader()}${again()}`));
      expectUnreadable(answer, true, new RegExp(`sends its ${header} header more than once`));
    });

    it.each([
      ['an absolute-form target naming another host', () => 'GET http://evil.example/ HTTP/1.1'],
      ['an absolute-form target naming the shell itself', () => `GET http://${own()}/ HTTP/1.1`],
      ['the asterisk form', () => 'OPTIONS * HTTP/1.1'],
    ])('%s', async (_name, line) => {
      const answer = await sendRaw(shell, `${line()}\r\nHost: ${own()}\r\n`);
      expectUnreadable(answer, false, /only answers requests for its own pages/);
    });

    it('still answers one plain Host, in any letter case', async () => {
      const answer = await sendRaw(shell, `GET / HTTP/1.1\r\nhOsT: LOCALHOST:${shell.port}\r\n`);
      expect(answer.status).toBe(200);
      expect(answer.body).toContain('<title>Keyport</title>');
    });
  });

  it('refuses non-JSON, broken JSON, oversized bodies, unknown methods and wrong verbs', async () => {
    const textPlain = await send(shell, {
      method: 'POST',
      path: '/api/call/getStatus',
      headers: { 'content-type': 'text/plain', 'x-keyport-secret': shell.secret },
      body: '{}',
    });
    expect(textPlain.status).toBe(415);
    expect(JSON.parse(textPlain.body)).toMatchObject({
      ok: false,
      error: { code: 'UNSUPPORTED_MEDIA_TYPE' },
    });

    const broken = await send(shell, {
      method: 'POST',
      path: '/api/call/signIn',
      headers: { 'content-type': 'application/json', 'x-keyport-secret': shell.secret },
      body: '{"email":',
    });
    expect(broken.status).toBe(400);
    expect(JSON.parse(broken.body)).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });

    const huge = await call(shell, 'browseCatalog', { q: 'x'.repeat(MAX_BODY_BYTES + 10) });
    expect(huge.status).toBe(413);
    expect(JSON.parse(huge.body)).toMatchObject({ ok: false, error: { code: 'PAYLOAD_TOO_LARGE' } });

    const unknown = await call(shell, '__proto__', undefined);
    expect(unknown.status).toBe(404);
    const alsoUnknown = await call(shell, 'close', undefined);
    expect(alsoUnknown.status).toBe(404);

    const get = await send(shell, {
      path: '/api/call/getStatus',
      headers: { 'x-keyport-secret': shell.secret },
    });
    expect(get.status).toBe(405);

    expect(fake.calls).toEqual([]);
  });

  it('serves the renderer with the CSP, nosniff and no CORS', async () => {
    const page = await send(shell, { path: '/' });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['access-control-allow-origin']).toBeUndefined();
    expect(page.body).toContain('<title>Keyport</title>');

    const script = await send(shell, { path: '/assets/app.js?v=1' });
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);

    const head = await send(shell, { method: 'HEAD', path: '/assets/nested/deep.css' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');

    expect((await send(shell, { method: 'POST', path: '/index.html' })).status).toBe(405);
  });

  it.each([
    '/../package.json',
    '/../../../../etc/passwd',
    '/%2e%2e/outside.txt',
    '/..%2foutside.txt',
    '/assets/..%2f..%2foutside.txt',
    '/assets%2f..%2f..%2foutside.txt',
    '/..%5coutside.txt',
    '/%2e%2e%2f%2e%2e%2fpackage.json',
    '/link-out.txt',
    '/.env',
    '/assets/',
    '/assets',
    '/index.html%00.js',
    '/%E0%A4%A',
  ])('does not serve %s', async (raw) => {
    const answer = await send(shell, { path: raw });
    expect(answer.status).toBe(404);
    expect(answer.body).not.toContain('OUTSIDE-SECRET');
    expect(answer.body).not.toContain('dotfile');
    expect(answer.body).not.toContain('"name": "keyport"');
    expect(answer.body).not.toContain('app.js'); // no directory listing
  });

  it('streams pushed events as NDJSON and unsubscribes when the core goes away', async () => {
    const event: AppEvent = {
      name: 'install-progress',
      payload: {
        softwareId: 'ascii-mandelbrot',
        phase: 'downloading',
        receivedBytes: 1024,
        totalBytes: 4096,
        bytesPerSecond: 2048,
        etaSeconds: 1.5,
      },
    };
    const received = await new Promise<unknown>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: shell.port,
          path: '/api/events',
          headers: { 'x-keyport-secret': shell.secret },
        },
        (res) => {
          expect(res.statusCode).toBe(200);
          expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
          let buffer = '';
          res.on('data', (chunk: Buffer) => {
            buffer += chunk.toString('utf8');
            const newline = buffer.indexOf('\n');
            if (newline >= 0) {
              resolve(JSON.parse(buffer.slice(0, newline)));
              req.destroy();
            }
          });
          // The subscription is made before the headers are flushed.
          expect(fake.listenerCount()).toBe(1);
          fake.emit(event);
        },
      );
      req.on('error', (error) => {
        if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(error);
      });
      req.end();
    });
    expect(received).toEqual(event);
    await expect.poll(() => fake.listenerCount()).toBe(0);
  });

  it('refuses the event stream without the secret, before subscribing', async () => {
    const answer = await send(shell, { path: '/api/events' });
    expect(answer.status).toBe(401);
    expect(fake.listenerCount()).toBe(0);
  });

  it('closes with an event stream still open', async () => {
    const other = await startWebShell({ core: fake.core, rendererDir });
    await new Promise<void>((resolve) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: other.port,
          path: '/api/events',
          headers: { 'x-keyport-secret': other.secret },
        },
        () => resolve(),
      );
      req.on('error', () => undefined);
      req.end();
    });
    await other.close();
    await expect.poll(() => fake.listenerCount()).toBe(0);
  });
});

describe('the renderer page', () => {
  it('carries the same CSP in its meta tag as the shells send', async () => {
    const html = await readFile(path.join(REPO_ROOT, 'renderer', 'index.html'), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html);
    expect(meta?.[1]).toBe(META_CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY.startsWith(META_CONTENT_SECURITY_POLICY)).toBe(true);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-(eval|inline)|https?:/);
  });
});
