/**
 * The one Content-Security-Policy of the app's own pages, and the other response headers
 * both shells send with them. The Electron shell adds it to file:// responses, the web
 * shell to every response, and `renderer/index.html` carries the same policy in a meta
 * tag (a test keeps the two in step), so the page is locked down even where a header
 * cannot be attached.
 *
 * Everything is 'self': no inline script or style, no eval, no remote origin. The
 * renderer's only network peer is its own shell.
 */

/** Directives that also work in a `<meta http-equiv>` tag. */
export const META_CSP_DIRECTIVES: readonly string[] = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-src 'none'",
  "worker-src 'none'",
];

/** The header form adds what a meta tag cannot express (framing by other pages). */
export const CONTENT_SECURITY_POLICY = [...META_CSP_DIRECTIVES, "frame-ancestors 'none'"].join('; ');

/** The policy as the meta tag in `renderer/index.html` must spell it. */
export const META_CONTENT_SECURITY_POLICY = META_CSP_DIRECTIVES.join('; ');

/** Sent with every page and API answer of the web shell. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};
