/**
 * A slow network between the app and the provider: an HTTP proxy that passes everything
 * through unchanged but meters package downloads to a fixed rate, the way a real
 * connection would. The app and provider stay real; only the wire gets slower, so an
 * install lasts long enough to see its progress.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlowLink {
  url: string;
  close(): Promise<void>;
}

const CHUNK = 64 * 1024;

async function meter(from: IncomingMessage, to: ServerResponse, bytesPerSecond: number): Promise<void> {
  const started = Date.now();
  let sent = 0;
  for await (const data of from) {
    const buffer = data as Buffer;
    for (let offset = 0; offset < buffer.length; offset += CHUNK) {
      const piece = buffer.subarray(offset, offset + CHUNK);
      if (!to.write(piece)) await new Promise((resolve) => to.once('drain', resolve));
      sent += piece.length;
      const due = started + (sent / bytesPerSecond) * 1000;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      if (to.destroyed) return;
    }
  }
  to.end();
}

export async function startSlowLink(target: string, options: { bytesPerSecond: number }): Promise<SlowLink> {
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const forwarded = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        if (req.url?.startsWith('/v1/downloads/')) {
          meter(answer, res, options.bytesPerSecond).catch(() => res.destroy());
        } else {
          answer.pipe(res);
        }
      },
    );
    forwarded.on('error', () => res.destroy());
    res.on('close', () => forwarded.destroy());
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
