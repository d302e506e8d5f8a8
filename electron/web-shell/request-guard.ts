/**
 * Who may talk to the web shell. Any page the user visits can make their browser send
 * requests to 127.0.0.1, so the loopback address alone proves nothing. Three checks:
 *
 * - Host must be the exact loopback host:port the shell listens on. A page on
 *   evil.example that re-points its DNS name at 127.0.0.1 (DNS rebinding) still sends
 *   `Host: evil.example`, and is refused.
 * - Origin, when the browser sends one, must be the shell's own origin. Nothing is ever
 *   answered with CORS headers either, so a foreign page cannot read a response.
 * - Every API request carries the per-launch secret in a header. Only the window opened
 *   with the launch URL knows it; a custom header also forces a CORS preflight, which a
 *   foreign page cannot pass.
 *
 * And a request the checks cannot read one way only is refused (400) before they run: a
 * header they read sent twice, a Host that is not a plain host[:port]. Node keeps the first
 * of two Host headers and joins two Origins with ", ", while a proxy, a cache or the
 * browser may go by the other value; a check must never pass on one reading of a request
 * that is acted on by another.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { WEB_SHELL_SECRET_HEADER } from '../../shared/app-api/app-api.ts';

/** 256 random bits, URL-safe, for the launch URL's fragment. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** Constant-time comparison that does not leak the secret's length either. */
export function secretMatches(given: string | undefined, secret: string): boolean {
  if (typeof given !== 'string') return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(secret).digest();
  return timingSafeEqual(a, b);
}

/** The Host values a loopback listener answers to: `127.0.0.1:PORT` and `localhost:PORT`. */
export function allowedHosts(host: string, port: number): Set<string> {
  const hosts = new Set<string>();
  if (host === '::1') hosts.add(`[::1]:${port}`);
  else hosts.add(`${host}:${port}`);
  hosts.add(`localhost:${port}`);
  return hosts;
}

export type Refusal = { status: 400 | 401 | 403; message: string };

/** How often a header was sent: `rawHeaders` keeps every line as it came, names in any case. */
function timesSent(req: IncomingMessage, name: string): number {
  return req.rawHeaders.filter((field, i) => i % 2 === 0 && field.toLowerCase() === name).length;
}

/**
 * host[:port] and nothing else: a name of letters, digits, dots and dashes, or a bracketed
 * IPv6 address. No userinfo ("a@b"), no spaces or commas (a list of hosts), no path.
 */
const PLAIN_HOST = /^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::[0-9]*)?$/i;

export function checkHost(req: IncomingMessage, hosts: ReadonlySet<string>): Refusal | null {
  // RFC 9112 §3.2: a request without Host, with two, or with an invalid one is answered 400.
  const host = req.headers.host;
  if (timesSent(req, 'host') !== 1 || host === undefined || !PLAIN_HOST.test(host)) {
    return {
      status: 400,
      message: 'Keyport cannot tell where this request was sent: it needs exactly one plain Host header.',
    };
  }
  if (!hosts.has(host.toLowerCase())) {
    return { status: 403, message: 'This address only answers to Keyport on this computer.' };
  }
  return null;
}

/** The headers checkCaller reads: each must come once (Node would join repeats with ", "). */
const CALLER_HEADERS = ['origin', 'sec-fetch-site', WEB_SHELL_SECRET_HEADER];

/** Origin and Sec-Fetch-Site, for requests to the API (pages load without them). */
export function checkCaller(
  req: IncomingMessage,
  hosts: ReadonlySet<string>,
  secret: string,
): Refusal | null {
  // A repeated Origin joined with ", " happens to fail the comparison below; refuse it as
  // unreadable rather than lean on that.
  const repeated = CALLER_HEADERS.find((name) => timesSent(req, name) > 1);
  if (repeated) {
    const header = repeated.replace(/(^|-)[a-z]/g, (letter) => letter.toUpperCase());
    return {
      status: 400,
      message: `This request sends its ${header} header more than once, so Keyport cannot tell who sent it.`,
    };
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !Array.from(hosts, (h) => `http://${h}`).includes(origin.toLowerCase())) {
    return { status: 403, message: 'Other web pages may not use Keyport.' };
  }
  // A browser's own word on where the request comes from; absent outside browsers.
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    return { status: 403, message: 'Other web pages may not use Keyport.' };
  }
  const given = req.headers[WEB_SHELL_SECRET_HEADER];
  if (!secretMatches(Array.isArray(given) ? undefined : given, secret)) {
    return {
      status: 401,
      message:
        'This window does not hold the key of this Keyport session. Open Keyport from the link `npm start` printed.',
    };
  }
  return null;
}
