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

export type Refusal = { status: 401 | 403; message: string };

export function checkHost(req: IncomingMessage, hosts: ReadonlySet<string>): Refusal | null {
  const host = req.headers.host?.toLowerCase();
  if (host === undefined || !hosts.has(host)) {
    return { status: 403, message: 'This address only answers to Keyport on this computer.' };
  }
  return null;
}

/** Origin and Sec-Fetch-Site, for requests to the API (pages load without them). */
export function checkCaller(
  req: IncomingMessage,
  hosts: ReadonlySet<string>,
  secret: string,
): Refusal | null {
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
