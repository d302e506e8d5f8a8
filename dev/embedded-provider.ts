/**
 * The provider `npm start` runs in its own process: the real one (server/app.ts) on a
 * SQLite file under ./data/provider, with the demo account and catalog (seeding is
 * idempotent, so every start seeds).
 */
import { createServer } from 'node:net';
import { buildApp } from '../server/app.ts';
import { DEMO_ACCOUNT, seedDemo } from '../server/seed/demo.ts';

export interface EmbeddedProvider {
  url: string;
  /** Set when the asked-for port was taken and another was used. */
  portFallback: { wanted: number; used: number } | null;
  demoLogin: { email: string; password: string };
  close(): Promise<void>;
}

/** Whether a TCP port is free on host (there is a race until we listen; good enough here). */
function portIsFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

export async function startEmbeddedProvider(options: {
  dataDir: string;
  port: number;
  /** Fail instead of falling back to a free port when `port` is taken. */
  strictPort?: boolean;
  host?: string;
}): Promise<EmbeddedProvider> {
  const host = options.host ?? '127.0.0.1';
  const app = await buildApp({
    dataDir: options.dataDir,
    // The app's window is the interface here: only problems go to the terminal.
    logger: { level: process.env.LOG_LEVEL ?? 'warn' },
    settings: { rateLimits: { enabled: process.env.KEYPORT_RATE_LIMITS !== 'off' } },
  });
  try {
    await seedDemo(app.keyport);
    let port = options.port;
    let portFallback: EmbeddedProvider['portFallback'] = null;
    if (port !== 0 && !(await portIsFree(host, port))) {
      if (options.strictPort) throw new Error(`port ${port} on ${host} is taken by another program`);
      port = 0;
    }
    const address = await app.listen({ host, port });
    const url = address.replace(/\/+$/, '');
    const used = Number(new URL(url).port);
    if (port !== options.port) portFallback = { wanted: options.port, used };
    return {
      url,
      portFallback,
      demoLogin: { email: DEMO_ACCOUNT.email, password: DEMO_ACCOUNT.password },
      close: () => app.close(),
    };
  } catch (error) {
    await app.close();
    throw error;
  }
}
