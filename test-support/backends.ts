/**
 * The provider the core's tests run against: the real one (Fastify + SQLite, in-process,
 * over real HTTP), with a way to publish real, runnable programs. (The MSW mock is that
 * same provider behind switchable faults; the fault tests use it directly.)
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SettingsOverrides } from '../server/app.ts';
import { startProvider } from './provider-harness.ts';
import { publishBuiltProgram } from './publish-program.ts';

export interface Backend {
  url: string;
  /** Publish a real, runnable demo program (it verifies its own license and prints the licensee). */
  publishProgram(softwareId: string, options?: { priceCents?: number; name?: string }): Promise<void>;
  /** Make a fresh account's email and password. */
  newAccount(): { email: string; password: string; displayName: string };
  close(): Promise<void>;
}

const RUNTIME = path.join(path.dirname(fileURLToPath(import.meta.url)), '../server/seed/programs/runtime.ts');

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

/** `settings`: the provider's, e.g. a small `deviceLimit`. */
export async function startBackend(settings?: SettingsOverrides): Promise<Backend> {
  const provider = await startProvider({ settings });
  return {
    url: provider.url,
    publishProgram: (id, options = {}) => adminPublish(provider.url, provider.adminToken, id, options),
    newAccount,
    close: () => provider.close(),
  };
}
