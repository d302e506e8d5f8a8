/**
 * The built renderer, served read-only: files inside `rendererDir` and nothing else. No
 * directory listings, no dotfiles, no way out through "..", encoded slashes or links.
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** A servable file: its real path, and its size when it was found. */
export interface StaticFile {
  path: string;
  size: number;
}

/**
 * The file a request path names, or null when it names nothing servable. `/` is the
 * page itself; every other path must be a regular file below `rootReal` (a realpath).
 */
export async function resolveStaticFile(rootReal: string, pathname: string): Promise<StaticFile | null> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded === '/' || decoded === '') decoded = '/index.html';
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const segments = decoded.split('/').filter((segment) => segment !== '');
  // "..", "." and dotfiles are never part of a built renderer's URLs.
  if (segments.some((segment) => segment.startsWith('.'))) return null;
  const candidate = path.resolve(rootReal, ...segments);
  if (!isInside(rootReal, candidate)) return null;
  try {
    // A link inside the folder must not lead out of it.
    const real = await realpath(candidate);
    if (!isInside(rootReal, real)) return null;
    const info = await stat(real);
    return info.isFile() ? { path: real, size: info.size } : null;
  } catch {
    return null;
  }
}

function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

export async function serveStaticFile(
  req: IncomingMessage,
  res: ServerResponse,
  file: StaticFile,
  headers: Readonly<Record<string, string>>,
): Promise<void> {
  const type = CONTENT_TYPES[path.extname(file.path).toLowerCase()] ?? 'application/octet-stream';
  res.writeHead(200, {
    ...headers,
    'Content-Type': type,
    'Content-Length': String(file.size),
    // Hashed assets could be cached for long, but the page itself must never be stale
    // after a rebuild; a loopback server is fast enough to skip caching altogether.
    'Cache-Control': 'no-cache',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  await new Promise<void>((resolve) => {
    const stream = createReadStream(file.path);
    stream.on('error', () => {
      res.destroy();
      resolve();
    });
    stream.on('end', () => resolve());
    stream.pipe(res);
  });
}
