/**
 * `npm run mock-server -- --port 8788 --host 127.0.0.1 --seed-demo`
 * Starts the mock provider (the real one on a throwaway SQLite, behind MSW's switchable
 * faults) over HTTP for UI work: prints its URL, the admin token,
 * the demo login and where to switch faults (`GET/PUT/DELETE /__mock/faults`).
 */
import { readCommandLine } from '../shared/command-line.ts';
import { onStopSignal } from '../shared/stop-signals.ts';
import { startMockServer } from './server.ts';

const USAGE = `Usage: npm run mock-server -- [options]
  --port N          port to listen on (default 8788)
  --host H          address to bind (default 127.0.0.1)
  --seed-demo       add the demo account, its second device and the demo catalog
  --admin-token T   admin bearer token (default KEYPORT_ADMIN_TOKEN, else a random one)
  --device-limit N  devices per account (default 5)
  --latency MS      start with MS milliseconds of latency on every response
  --help            this text
Faults at runtime: GET/PUT/DELETE /__mock/faults, e.g.
  curl -X PUT URL/__mock/faults -H 'content-type: application/json' -d '{"failNext":{"count":2,"path":"/v1/purchases"}}'
  fields: latencyMs, failNext {count, path?}, failures [{remaining, path}], dropDownload {afterBytes, remaining},
          corruptDownloads, expireTransactions`;

async function main(): Promise<void> {
  const cli = readCommandLine('keyport mock', USAGE, {
    port: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    'seed-demo': { type: 'boolean', default: false },
    'admin-token': { type: 'string' },
    'device-limit': { type: 'string' },
    latency: { type: 'string' },
    help: { type: 'boolean', default: false },
  });
  if (!cli) return;
  const { values, wholeNumber } = cli;
  const running = await startMockServer({
    port: wholeNumber('--port', values.port, 8788, 0),
    host: values.host,
    adminToken: values['admin-token'],
    settings: {
      deviceLimit: wholeNumber('--device-limit', values['device-limit'], 5, 1),
    },
  });
  const { mock, url } = running;
  mock.faults.setLatency(wholeNumber('--latency', values.latency, 0, 0));
  const demo = values['seed-demo'] ? await mock.seedDemo() : undefined;

  console.log(`\nKeyport MOCK provider (the real provider behind MSW faults) listening on ${url}`);
  console.log(`  admin token:  ${mock.adminToken}`);
  console.log(`  faults:       ${url}/__mock/faults`);
  if (demo) {
    console.log(`  demo login:   ${demo.email} / ${demo.password}`);
    console.log(
      `  demo catalog: ${demo.softwareIds.join(', ')} (second device: --simulate-device old-laptop)`,
    );
  }
  onStopSignal(() => void running.close().then(() => process.exit(0)));
}

main().catch((error: unknown) => {
  console.error(`keyport mock failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
