/**
 * The provider PROCESS killed with SIGKILL in the middle of mixed load, then started
 * again on the same data folder (SQLite) or database (PostgreSQL). Nothing is flushed or
 * closed on the way down, so what the restarted provider knows is exactly what its
 * database made durable. What must hold:
 *
 * - every request that got a success answer before the kill ("acknowledged") is still
 *   there: purchases (registrations, audit events), transfers (history, audit events),
 *   license transaction IDs (single use), license keys (they verify against the JWKS);
 * - a request that got no answer happened wholly or not at all: a purchase in flight
 *   may add a copy, a transfer in flight may have moved its copy, nothing in between;
 * - every copy is registered on exactly one device: where its purchase put it, moved by
 *   its acknowledged transfers in order, then perhaps by the one transfer in flight;
 * - a retry with the same Idempotency-Key after the restart gets the first answer, and
 *   neither charges nor moves a second time;
 * - the restarted provider is ready, with the signing keys it had.
 *
 * Answers, counted, set the kill off, never a sleep: after KILL_AFTER acknowledged
 * requests the clients stop, a burst of requests goes out at once, and SIGKILL follows
 * the first answer to it, while the provider is still at work on the rest.
 * Each copy has at most one request in flight at a time (the clients take turns per
 * copy, as one user's app would), which is what lets the test know, for every copy,
 * the one place it may be after the restart besides where its last answer put it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLicense } from '../../shared/license/license.ts';
import type { Purchase, Registration, Transfer } from '../../shared/provider-api/schemas.ts';
import { randomDeviceId, smallPackage, type ApiResponse } from '../../test-support/provider-harness.ts';
import {
  startProviderProcess,
  type ProcessRequestOptions,
  type ProviderProcess,
} from '../../test-support/provider-process.ts';
import { createTestDatabase, testDatabaseKind, type TestDatabase } from '../../test-support/test-database.ts';

const databaseKind = testDatabaseKind();

const DEVICES = 6;
const PROGRAMS = 36;
const CLIENTS = 6;
/** After this many answered requests the load stops and the burst goes out. */
const KILL_AFTER = 80;
/** Requests sent at once at the end; the kill comes with the first answer to one of them. */
const BURST = 12;
/** How many of them are purchases (the rest are about copies already bought). */
const BURST_PURCHASES = 4;
/** What each client does, in turn (client i starts at step i): every kind comes up. */
const CYCLE = ['purchase', 'transfer', 'license', 'transfer', 'refresh', 'purchase', 'license'] as const;
type OperationKind = (typeof CYCLE)[number];

interface PurchaseAttempt {
  softwareId: string;
  deviceId: string;
  key: string;
  /** The first answer; undefined when none came (in flight at the kill). */
  answer?: { purchase: Purchase };
}

interface TransferAttempt {
  key: string;
  body: { softwareId: string; sourceDeviceId: string; destinationDeviceId: string };
  answer?: { transfer: Transfer };
}

/** A copy whose purchase was acknowledged, as its answers describe it. */
interface Copy {
  softwareId: string;
  copyId: string;
  purchasedOn: string;
  /** Where the last acknowledged purchase or transfer put it. */
  device: string;
  /** Acknowledged transfers, in the order they were made (one at a time per copy). */
  transfers: TransferAttempt[];
  /** The transfer that got no answer (the copy's last request before the kill). */
  inFlight?: TransferAttempt;
  /** A request of this copy is on its way: no other client touches it meanwhile. */
  busy: boolean;
}

interface IssuedKey {
  softwareId: string;
  deviceId: string;
  copyId: string;
  licenseKey: string;
  /** For a redeemed key: the transaction ID it was redeemed with. */
  transactionId?: string;
}

/** A transaction ID handed out before the kill whose redeem got no answer (or was never sent). */
interface OpenTransaction {
  softwareId: string;
  deviceId: string;
  copyId: string;
  transactionId: string;
}

interface LoadRecord {
  purchases: PurchaseAttempt[];
  copies: Copy[];
  keys: IssuedKey[];
  openTransactions: OpenTransaction[];
  acknowledged: Record<'purchase' | 'transfer' | 'request' | 'redeem' | 'refresh', number>;
  /** Requests sent that got no answer: they were on their way when the process died. */
  unanswered: number;
  /** Anything but the expected success before the kill: a defect, reported by the test. */
  unexpected: string[];
}

type Sent<T> = { answered: true; body: T } | { answered: false; sent: boolean };

interface AuditEvent {
  eventId: number;
  type: string;
  copyId: string | null;
  deviceId: string | null;
  data: Record<string, unknown>;
}

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

/**
 * Several clients of one account buy, move, license and refresh until KILL_AFTER
 * requests have been answered. Then they stop, a burst of requests goes out at once
 * (purchases, transfers, licenses, refreshes of copies nobody is using), and the
 * process gets SIGKILL as the first answer to the burst arrives: the rest of it is
 * still being worked on. Resolves once the process is gone.
 */
async function loadUntilKilled(
  provider: ProviderProcess,
  token: string,
  devices: string[],
  programs: string[],
): Promise<LoadRecord> {
  const record: LoadRecord = {
    purchases: [],
    copies: [],
    keys: [],
    openTransactions: [],
    acknowledged: { purchase: 0, transfer: 0, request: 0, redeem: 0, refresh: 0 },
    unanswered: 0,
    unexpected: [],
  };
  const unsold = [...programs];
  let answered = 0;
  let phase: 'load' | 'burst' | 'killed' = 'load';
  /** Read through a call: the phase changes while a request is on its way. */
  const current = () => phase;
  let killed: Promise<void> | undefined;
  let burst: Promise<unknown> = Promise.resolve();
  const kill = () => {
    phase = 'killed';
    killed ??= provider.kill('SIGKILL');
  };

  /** One request; success answers count towards the kill, anything else is recorded. */
  async function send<T>(
    kind: keyof LoadRecord['acknowledged'],
    route: string,
    options: ProcessRequestOptions,
    expected: number,
    inBurst: boolean,
  ): Promise<Sent<T>> {
    if (current() === 'killed') return { answered: false, sent: false };
    let response: ApiResponse;
    try {
      response = await provider.api('POST', route, {
        ...options,
        token,
        signal: AbortSignal.timeout(15_000),
      });
    } catch (error) {
      if (current() !== 'killed') {
        record.unexpected.push(`${kind}: no answer before the kill (${String(error)})`);
        kill();
      }
      record.unanswered++;
      return { answered: false, sent: true };
    }
    if (response.status !== expected) {
      record.unexpected.push(`${kind}: ${response.status} ${JSON.stringify(response.body)}`);
      kill();
      return { answered: false, sent: true };
    }
    record.acknowledged[kind]++;
    if (inBurst && current() === 'burst') kill();
    else if (++answered === KILL_AFTER && current() === 'load') startBurst();
    return { answered: true, body: response.body as T };
  }

  const idleCopies = () => record.copies.filter((copy) => !copy.busy);

  async function purchase(inBurst: boolean): Promise<boolean> {
    const softwareId = unsold.shift();
    if (softwareId === undefined) return false;
    const attempt: PurchaseAttempt = { softwareId, deviceId: pick(devices), key: randomUUID() };
    const sent = await send<{ purchase: Purchase }>(
      'purchase',
      '/v1/purchases',
      {
        body: { softwareId, deviceId: attempt.deviceId },
        headers: { 'idempotency-key': attempt.key },
      },
      201,
      inBurst,
    );
    if (!sent.answered && !sent.sent) return true; // never left: nobody bought it
    record.purchases.push(attempt);
    if (sent.answered) {
      attempt.answer = sent.body;
      record.copies.push({
        softwareId,
        copyId: sent.body.purchase.copyId,
        purchasedOn: attempt.deviceId,
        device: attempt.deviceId,
        transfers: [],
        busy: false,
      });
    }
    return true;
  }

  async function transfer(copy: Copy, inBurst: boolean): Promise<void> {
    const destinationDeviceId = pick(devices.filter((deviceId) => deviceId !== copy.device));
    const attempt: TransferAttempt = {
      key: randomUUID(),
      body: { softwareId: copy.softwareId, sourceDeviceId: copy.device, destinationDeviceId },
    };
    const sent = await send<{ transfer: Transfer }>(
      'transfer',
      '/v1/transfers',
      { body: attempt.body, headers: { 'idempotency-key': attempt.key } },
      201,
      inBurst,
    );
    if (sent.answered) {
      attempt.answer = sent.body;
      copy.transfers.push(attempt);
      copy.device = destinationDeviceId;
    } else if (sent.sent) {
      copy.inFlight = attempt;
    }
  }

  async function license(copy: Copy, inBurst: boolean): Promise<void> {
    const { softwareId, device: deviceId, copyId } = copy;
    const requested = await send<{ transactionId: string }>(
      'request',
      '/v1/licenses/requests',
      { body: { softwareId, deviceId } },
      201,
      inBurst,
    );
    if (!requested.answered) return;
    const { transactionId } = requested.body;
    const redeemed = await send<{ licenseKey: string }>(
      'redeem',
      '/v1/licenses/redeem',
      { body: { transactionId, deviceId } },
      200,
      inBurst,
    );
    if (redeemed.answered) {
      record.keys.push({ softwareId, deviceId, copyId, licenseKey: redeemed.body.licenseKey, transactionId });
    } else {
      record.openTransactions.push({ softwareId, deviceId, copyId, transactionId });
    }
  }

  async function refresh(copy: Copy, inBurst: boolean): Promise<void> {
    const { softwareId, device: deviceId, copyId } = copy;
    const refreshed = await send<{ licenseKey: string }>(
      'refresh',
      '/v1/licenses/refresh',
      { body: { softwareId, deviceId } },
      200,
      inBurst,
    );
    if (refreshed.answered) {
      record.keys.push({ softwareId, deviceId, copyId, licenseKey: refreshed.body.licenseKey });
    }
  }

  const copyWork = { transfer, license, refresh };

  /** One request (or request and redeem) about `copy`, which no one else touches meanwhile. */
  async function workOn(copy: Copy, kind: keyof typeof copyWork, inBurst: boolean): Promise<void> {
    copy.busy = true;
    await copyWork[kind](copy, inBurst);
    // A copy whose request got no answer stays busy: its state is what the test checks.
    if (current() === 'load') copy.busy = false;
  }

  /** One operation of `kind`, or another kind when this one has nothing to work on. */
  async function operate(kind: OperationKind): Promise<void> {
    if (kind === 'purchase' && (await purchase(false))) return;
    const idle = idleCopies();
    if (idle.length > 0) await workOn(pick(idle), kind === 'purchase' ? 'transfer' : kind, false);
    else if (!(await purchase(false))) await new Promise((resolve) => setImmediate(resolve));
  }

  function startBurst(): void {
    phase = 'burst';
    const work: Promise<unknown>[] = [];
    const kinds = ['transfer', 'license', 'transfer', 'refresh'] as const;
    for (const [i, copy] of idleCopies()
      .slice(0, BURST - BURST_PURCHASES)
      .entries()) {
      work.push(workOn(copy, kinds[i % kinds.length]!, true));
    }
    for (let i = 0; i < BURST_PURCHASES && unsold.length > 0; i++) work.push(purchase(true));
    if (work.length === 0) kill();
    burst = Promise.all(work);
  }

  async function client(index: number): Promise<void> {
    for (let step = index; current() === 'load'; step++) await operate(CYCLE[step % CYCLE.length]!);
  }

  await Promise.all(Array.from({ length: CLIENTS }, (_, index) => client(index)));
  await burst;
  await killed;
  return record;
}

/** The whole audit log, oldest first. */
async function allEvents(provider: ProviderProcess, adminToken: string): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  for (let cursor = 0; ;) {
    const page = await provider.api('GET', `/v1/admin/events?after=${cursor}&limit=500`, {
      token: adminToken,
    });
    expect(page.status).toBe(200);
    events.push(...(page.body.events as AuditEvent[]));
    if (page.body.events.length < 500) return events;
    cursor = page.body.nextAfter;
  }
}

describe(`the provider killed with SIGKILL under load, restarted on the same ${databaseKind} data`, () => {
  const adminToken = `kpa_crash_${randomBytes(16).toString('hex')}`;
  let dataDir: string;
  let database: TestDatabase | undefined;
  let first: ProviderProcess | undefined;
  let restarted: ProviderProcess;
  let token: string;
  let devices: string[];
  let jwksBeforeKill: unknown;
  let load: LoadRecord;
  /** What the restarted provider says, read before anything else is sent to it. */
  let after: {
    registrations: Registration[];
    transfers: Transfer[];
    events: AuditEvent[];
  };

  const start = (name: string) =>
    startProviderProcess({
      name,
      dataDir,
      args: [...(database ? ['--database-url', database.url] : []), '--device-limit', '1000'],
      env: { KEYPORT_ADMIN_TOKEN: adminToken, KEYPORT_RATE_LIMITS: 'off' },
    });
  const call = (method: string, route: string, options: ProcessRequestOptions = {}) =>
    restarted.api(method, route, { token, ...options });

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'keyport-crash-'));
    if (databaseKind === 'postgres') database = await createTestDatabase();
    first = await start('provider before the kill');

    const account = await first.api('POST', '/v1/accounts', {
      body: {
        email: `crash-${randomBytes(4).toString('hex')}@example.test`,
        password: 'killed and started again',
        displayName: 'Crash',
      },
    });
    expect(account.status).toBe(201);
    token = account.body.token;
    devices = Array.from({ length: DEVICES }, () => randomDeviceId());
    for (const [i, deviceId] of devices.entries()) {
      const enrolled = await first.api('POST', '/v1/devices', {
        token,
        body: { deviceId, name: `Device ${i}`, platform: 'linux' },
      });
      expect(enrolled.status, JSON.stringify(enrolled.body)).toBe(201);
    }
    const programs = Array.from({ length: PROGRAMS }, (_, i) => `crash-app-${i}`);
    const archive = await smallPackage('1.0.0');
    for (const softwareId of programs) {
      const created = await first.api('POST', '/v1/admin/software', {
        token: adminToken,
        body: {
          softwareId,
          name: softwareId,
          summary: 'Bought in a crash',
          priceCents: 300,
          currency: 'EUR',
        },
      });
      expect(created.status).toBe(201);
      const release = await first.api('POST', `/v1/admin/software/${softwareId}/releases`, {
        token: adminToken,
        raw: archive,
      });
      expect(release.status).toBe(201);
    }
    jwksBeforeKill = (await first.api('GET', '/v1/licenses/jwks')).body;

    load = await loadUntilKilled(first, token, devices, programs);

    restarted = await start('provider after the kill');
    const [registrations, transfers] = await Promise.all([
      call('GET', '/v1/registrations'),
      call('GET', '/v1/transfers'),
    ]);
    expect(registrations.status).toBe(200);
    expect(transfers.status).toBe(200);
    after = {
      registrations: registrations.body.registrations,
      transfers: transfers.body.transfers,
      events: await allEvents(restarted, adminToken),
    };
  }, 90_000);

  afterAll(async () => {
    await Promise.all([first?.stop(), restarted?.stop()]);
    await database?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('served every request until the kill, which came mid-load', () => {
    const summary = `acknowledged ${JSON.stringify(load.acknowledged)}, ${load.unanswered} unanswered`;
    expect(load.unexpected, summary).toEqual([]);
    expect(first!.process.signalCode).toBe('SIGKILL');
    const { purchase, transfer, request, redeem, refresh } = load.acknowledged;
    expect(purchase + transfer + request + redeem + refresh).toBeGreaterThanOrEqual(KILL_AFTER);
    for (const [kind, count] of Object.entries(load.acknowledged)) {
      expect(count, `acknowledged ${kind} requests`).toBeGreaterThan(0);
    }
  });

  it('is ready after the restart, with the signing keys it had', async () => {
    const ready = await restarted.api('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', database: databaseKind });
    expect((await restarted.api('GET', '/v1/licenses/jwks')).body).toEqual(jwksBeforeKill);
  });

  it('keeps every acknowledged purchase, and adds none that was not asked for', () => {
    const { registrations, events } = after;
    const acknowledged = load.purchases.filter((attempt) => attempt.answer);
    const inFlight = load.purchases.filter((attempt) => !attempt.answer);
    // One registration per copy, one copy per program.
    expect(new Set(registrations.map((r) => r.copyId)).size).toBe(registrations.length);
    expect(new Set(registrations.map((r) => r.softwareId)).size).toBe(registrations.length);
    expect(registrations.length).toBeGreaterThanOrEqual(acknowledged.length);
    expect(registrations.length).toBeLessThanOrEqual(acknowledged.length + inFlight.length);

    const purchased = events.filter((event) => event.type === 'registration.purchased');
    expect(purchased).toHaveLength(registrations.length);
    for (const { answer } of acknowledged) {
      const { purchaseId, copyId, softwareId } = answer!.purchase;
      expect(registrations.some((r) => r.copyId === copyId && r.softwareId === softwareId)).toBe(true);
      expect(purchased.filter((event) => event.data.purchaseId === purchaseId)).toEqual([
        expect.objectContaining({ copyId }),
      ]);
    }
    // A copy nobody heard of came from a purchase in flight, on the device it asked for.
    const known = new Set(acknowledged.map((attempt) => attempt.answer!.purchase.copyId));
    for (const registration of registrations.filter((r) => !known.has(r.copyId))) {
      const attempt = inFlight.find((a) => a.softwareId === registration.softwareId);
      expect(attempt, `${registration.softwareId} was never bought`).toBeDefined();
      expect(registration.deviceId).toBe(attempt!.deviceId);
    }
  });

  it('keeps every acknowledged transfer: each copy on one device, where its moves put it', () => {
    const { registrations, transfers, events } = after;
    const moves = events.filter((event) => event.type === 'registration.transferred');
    expect(moves).toHaveLength(transfers.length);
    const byId = new Map(transfers.map((t) => [t.transferId, t]));
    for (const copy of load.copies) {
      // The moves the database holds for this copy, in the order they were made.
      const made = moves
        .filter((event) => event.copyId === copy.copyId)
        .map((event) => ({
          transferId: event.data.transferId as string,
          sourceDeviceId: event.data.sourceDeviceId as string,
          destinationDeviceId: event.data.destinationDeviceId as string,
        }));
      const acknowledged = copy.transfers.map((attempt) => {
        const { transferId, sourceDeviceId, destinationDeviceId } = attempt.answer!.transfer;
        expect(byId.get(transferId), `transfer ${transferId} in the history`).toEqual(
          attempt.answer!.transfer,
        );
        return { transferId, sourceDeviceId, destinationDeviceId };
      });
      // Exactly the acknowledged moves, in order, then at most the one in flight.
      expect(made.slice(0, acknowledged.length)).toEqual(acknowledged);
      const extra = made.slice(acknowledged.length);
      if (copy.inFlight) {
        expect(extra.length).toBeLessThanOrEqual(1);
        if (extra.length === 1) {
          const { sourceDeviceId, destinationDeviceId } = copy.inFlight.body;
          expect(extra[0]).toEqual(expect.objectContaining({ sourceDeviceId, destinationDeviceId }));
        }
      } else {
        expect(extra).toEqual([]);
      }
      // It lives where the last move the database holds put it (or its purchase, if none).
      const device = made.at(-1)?.destinationDeviceId ?? copy.purchasedOn;
      expect(registrations.filter((r) => r.copyId === copy.copyId)).toEqual([
        expect.objectContaining({ softwareId: copy.softwareId, deviceId: device }),
      ]);
      const possible = [copy.device, ...(copy.inFlight ? [copy.inFlight.body.destinationDeviceId] : [])];
      expect(possible).toContain(device);
    }
    // Only copies of acknowledged purchases were ever moved.
    const known = new Set(load.copies.map((copy) => copy.copyId));
    expect(moves.filter((event) => !known.has(event.copyId!))).toEqual([]);
  });

  it('issued license keys that verify after the restart, from transaction IDs that stay used', async () => {
    const jwks = (await restarted.api('GET', '/v1/licenses/jwks')).body;
    for (const key of load.keys) {
      const claims = await verifyLicense(key.licenseKey, jwks, {
        softwareId: key.softwareId,
        deviceId: key.deviceId,
      });
      expect(claims.sub).toBe(key.copyId);
      if (key.transactionId) {
        const again = await call('POST', '/v1/licenses/redeem', {
          body: { transactionId: key.transactionId, deviceId: key.deviceId },
        });
        expect(again.status).toBe(409);
        expect(again.body.code).toBe('TRANSACTION_USED');
      }
    }
    // A transaction ID handed out before the kill is still known: redeemed or redeemable once.
    for (const open of load.openTransactions) {
      const redeemed = await call('POST', '/v1/licenses/redeem', {
        body: { transactionId: open.transactionId, deviceId: open.deviceId },
      });
      if (redeemed.status === 200) {
        const claims = await verifyLicense(redeemed.body.licenseKey, jwks, { deviceId: open.deviceId });
        expect(claims.sub).toBe(open.copyId);
      } else {
        expect(redeemed.status).toBe(409);
        expect(redeemed.body.code).toBe('TRANSACTION_USED');
      }
    }
    // A copy refreshes where it lives; on a device it left, a license it had there is revoked.
    for (const copy of load.copies) {
      const registration = after.registrations.find((r) => r.copyId === copy.copyId);
      expect(registration, `copy ${copy.copyId} of ${copy.softwareId} is registered`).toBeDefined();
      const device = registration!.deviceId;
      for (const deviceId of devices) {
        const refreshed = await call('POST', '/v1/licenses/refresh', {
          body: { softwareId: copy.softwareId, deviceId },
        });
        if (deviceId === device) {
          expect(refreshed.status).toBe(200);
          expect((await verifyLicense(refreshed.body.licenseKey, jwks, { deviceId })).sub).toBe(copy.copyId);
        } else {
          const hadKey = load.keys.some((k) => k.copyId === copy.copyId && k.deviceId === deviceId);
          expect(refreshed.status).toBe(403);
          expect(refreshed.body.code).toBe(hadKey ? 'LICENSE_REVOKED' : 'NOT_REGISTERED');
        }
      }
    }
  });

  it('answers a retry with the same Idempotency-Key with the first answer, charging and moving nothing twice', async () => {
    const registrations = async () =>
      ((await call('GET', '/v1/registrations')).body.registrations as Registration[]).toSorted((a, b) =>
        a.copyId.localeCompare(b.copyId),
      );
    const before = await registrations();
    const retryPurchase = (attempt: PurchaseAttempt) =>
      call('POST', '/v1/purchases', {
        body: { softwareId: attempt.softwareId, deviceId: attempt.deviceId },
        headers: { 'idempotency-key': attempt.key },
      });
    const retryTransfer = (attempt: TransferAttempt) =>
      call('POST', '/v1/transfers', { body: attempt.body, headers: { 'idempotency-key': attempt.key } });

    // Acknowledged purchases and transfers: replayed, nothing registered or moved.
    for (const attempt of load.purchases.filter((a) => a.answer)) {
      const retried = await retryPurchase(attempt);
      expect(retried.status).toBe(201);
      expect(retried.headers.get('idempotent-replayed')).toBe('true');
      expect(retried.body).toEqual(attempt.answer);
    }
    for (const attempt of load.copies.flatMap((copy) => copy.transfers)) {
      const retried = await retryTransfer(attempt);
      expect(retried.status).toBe(201);
      expect(retried.headers.get('idempotent-replayed')).toBe('true');
      expect(retried.body).toEqual(attempt.answer);
    }
    expect(await registrations()).toEqual(before);
    expect((await call('GET', '/v1/transfers')).body.transfers).toHaveLength(after.transfers.length);
    // Buying an owned program again under a new key is refused: still no second copy.
    const owned = load.purchases.find((a) => a.answer)!;
    const rebuy = await call('POST', '/v1/purchases', {
      body: { softwareId: owned.softwareId, deviceId: owned.deviceId },
      headers: { 'idempotency-key': randomUUID() },
    });
    expect(rebuy.status).toBe(409);
    expect(rebuy.body.code).toBe('ALREADY_REGISTERED');

    // Requests in flight at the kill: replayed if they happened, done now if they did not.
    for (const attempt of load.purchases.filter((a) => !a.answer)) {
      const registered = before.find((r) => r.softwareId === attempt.softwareId);
      const retried = await retryPurchase(attempt);
      expect(retried.status).toBe(201);
      expect(retried.headers.get('idempotent-replayed')).toBe(registered ? 'true' : null);
      if (registered) expect(retried.body.purchase.copyId).toBe(registered.copyId);
    }
    for (const copy of load.copies.filter((c) => c.inFlight)) {
      const moved = after.transfers.some(
        (t) =>
          t.copyId === copy.copyId &&
          !copy.transfers.some((acknowledged) => acknowledged.answer!.transfer.transferId === t.transferId),
      );
      const retried = await retryTransfer(copy.inFlight!);
      expect(retried.status).toBe(201);
      expect(retried.headers.get('idempotent-replayed')).toBe(moved ? 'true' : null);
    }
    // Now every program that was bought has exactly one copy, where its last move put it.
    const final = await registrations();
    expect(final.map((r) => r.softwareId).toSorted()).toEqual(
      load.purchases.map((a) => a.softwareId).toSorted(),
    );
    for (const copy of load.copies) {
      expect(final.find((r) => r.copyId === copy.copyId)?.deviceId).toBe(
        copy.inFlight?.body.destinationDeviceId ?? copy.device,
      );
    }
  });
});
