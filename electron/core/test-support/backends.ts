/**
 * The two providers the core's tests run against: the real one (Fastify + SQLite,
 * in-process, over real HTTP) and the MSW mock (over real HTTP too). The same suite runs
 * on both, so a difference in behaviour between them fails a test (contract parity).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startProvider } from '../../../server/test/harness.ts';
import { publishBuiltProgram } from './publish-program.ts';

export interface Backend {
  kind: 'provider' | 'mock';
  url: string;
  /** Publish a real, runnable demo program (it verifies its own license and prints the licensee). */
  publishProgram(softwareId: string, options?: { priceCents?: number; name?: string }): Promise<void>;
  /** Make a fresh account's email and password. */
  newAccount(): { email: string; password: string; displayName: string };
  close(): Promise<void>;
}

const RUNTIME = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../server/seed/programs/runtime.ts',
);

/** The demo "hello" program, made for `softwareId`: it refuses a license for anything else. */
async function helloProgramSource(softwareId: string, name: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'keyport-program-'));
  const source = path.join(dir, 'main.ts');
  await writeFile(
    source,
    `import { requireLicense } from ${JSON.stringify(RUNTIME)};\n` +
      `const claims = await requireLicense(${JSON.stringify(softwareId)}, ${JSON.stringify(name)});\n` +
      'console.log(`Hello! This copy (${claims.sub}) runs because this device holds its license.`);\n',
  );
  return source;
}

async function adminPublish(
  url: string,
  adminToken: string,
  softwareId: string,
  options: { priceCents?: number; name?: string },
): Promise<void> {
  const name = options.name ?? `Program ${softwareId}`;
  // The hello program checks its own softwareId; build it for this ID.
  const source = await helloProgramSource(softwareId, name);
  try {
    await publishBuiltProgram(url, adminToken, {
      softwareId,
      name,
      summary: `${name}, for tests`,
      priceCents: options.priceCents ?? 499,
      version: '1.0.0',
      source,
    });
  } finally {
    await rm(path.dirname(source), { recursive: true, force: true });
  }
}

function newAccount() {
  const tag = randomBytes(4).toString('hex');
  return {
    email: `user-${tag}@example.test`,
    password: `pw-${randomBytes(8).toString('hex')}`,
    displayName: `User ${tag}`,
  };
}

export async function startBackend(kind: Backend['kind']): Promise<Backend> {
  if (kind === 'provider') {
    const provider = await startProvider();
    return {
      kind,
      url: provider.url,
      publishProgram: (id, options = {}) => adminPublish(provider.url, provider.adminToken, id, options),
      newAccount,
      close: () => provider.close(),
    };
  }
  const { startMockServer } = await import('../../../server-mock/server.ts');
  const mock = await startMockServer();
  return {
    kind,
    url: mock.url,
    publishProgram: (id, options = {}) => adminPublish(mock.url, mock.adminToken, id, options),
    newAccount,
    close: () => mock.close(),
  };
}

export const BACKENDS: Backend['kind'][] = ['provider', 'mock'];
