/**
 * The app's HTTP client for the provider, typed from the `shared/` schemas: every
 * response is parsed with the same zod schema the provider serialises with, and every
 * problem+json becomes a `AppError` with a sentence a person can act on.
 *
 * Retries are only made where a repeat cannot do harm: reads, and writes the provider
 * makes idempotent (purchases, transfers and recoveries carry an `Idempotency-Key`;
 * enrolment and lease refresh are idempotent by nature). Redeeming a transaction ID is never retried:
 * it is single-use, so a lost answer means starting the handshake again.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { z } from 'zod';
import {
  CatalogPage,
  DeviceList,
  DeviceResult,
  EnrolResult,
  LicenseRequestResult,
  LicenseResult,
  MeResult,
  ProviderJwks,
  PurchaseResult,
  RecognitionResult,
  RecoveryResult,
  RegistrationList,
  SessionResult,
  SoftwareResult,
  TransferList,
  TransferResult,
} from '../../shared/provider-api/schemas.ts';
import type {
  CreateAccountBody,
  EnrolDeviceBody,
  LicenseRequestBody,
  LoginBody,
  PurchaseBody,
  RecogniseBody,
  RecoverBody,
  RedeemBody,
  RefreshBody,
  TransferBody,
} from '../../shared/provider-api/schemas.ts';
import { AppError, appErrorFromProblem } from '../../shared/app-api/app-errors.ts';

export interface ProviderClientOptions {
  baseUrl: string;
  /** The session token to send, if any (read fresh on every request). */
  token: () => string | null;
  /** Told whether each request reached the provider. */
  onReachability?: (online: boolean) => void;
  fetch?: typeof fetch;
  /** Delays between retries, in ms; the number of entries is the number of retries. */
  retryDelays?: readonly number[];
  timeoutMs?: number;
}

interface RequestOptions<S extends z.ZodType> {
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  schema: S | null;
  idempotencyKey?: string;
  /** May this request be sent again after a network failure or a 502/503/504? */
  retry: boolean;
  auth?: boolean;
  /** Send this session token instead of the current one (ending a session never begun here). */
  token?: string;
}

// 500 too: for a request that is safe to repeat, a passing fault deserves a second try.
const RETRYABLE_STATUS = new Set([500, 502, 503, 504]);

export class ProviderClient {
  private readonly fetch: typeof fetch;
  private readonly retryDelays: readonly number[];

  constructor(private readonly options: ProviderClientOptions) {
    this.fetch = options.fetch ?? globalThis.fetch;
    this.retryDelays = options.retryDelays ?? [250, 1000];
  }

  get baseUrl(): string {
    return this.options.baseUrl;
  }

  /** Headers for requests made outside this client (the downloader). */
  authHeaders(token = this.options.token()): Record<string, string> {
    return token ? { authorization: `Bearer ${token}` } : {};
  }

  url(path: string, query?: Record<string, string | number | undefined>): string {
    const url = new URL(path, `${this.options.baseUrl}/`);
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    return url.toString();
  }

  // ── the API, one method per route (DESIGN §3) ─────────────────────────────
  createAccount(body: CreateAccountBody) {
    return this.request('POST', '/v1/accounts', { body, schema: SessionResult, retry: false, auth: false });
  }
  signIn(body: LoginBody) {
    return this.request('POST', '/v1/sessions', { body, schema: SessionResult, retry: false, auth: false });
  }
  /** The current session, or the one `token` names. */
  signOut(token?: string) {
    return this.request('DELETE', '/v1/sessions/current', { schema: null, retry: true, token });
  }
  me() {
    return this.request('GET', '/v1/me', { schema: MeResult, retry: true });
  }
  enrolDevice(body: EnrolDeviceBody) {
    return this.request('POST', '/v1/devices', { body, schema: EnrolResult, retry: true });
  }
  /** Which of the account's devices this not yet enrolled one most likely is (changes nothing). */
  recogniseDevice(body: RecogniseBody) {
    return this.request('POST', '/v1/devices/recognitions', { body, schema: RecognitionResult, retry: true });
  }
  listDevices() {
    return this.request('GET', '/v1/devices', { schema: DeviceList, retry: true });
  }
  renameDevice(deviceId: string, name: string) {
    return this.request('PATCH', `/v1/devices/${deviceId}`, {
      body: { name },
      schema: DeviceResult,
      retry: true,
    });
  }
  /** Not retried: a repeat after a lost answer would read as "unknown device". */
  retireDevice(deviceId: string) {
    return this.request('DELETE', `/v1/devices/${deviceId}`, { schema: null, retry: false });
  }
  /** Move every copy of `body.fromDeviceId` to `deviceId` and retire it (a hardware change). */
  recoverDevice(deviceId: string, body: RecoverBody, idempotencyKey: string) {
    return this.request('POST', `/v1/devices/${deviceId}/recover`, {
      body,
      schema: RecoveryResult,
      idempotencyKey,
      retry: true,
    });
  }
  catalog(query: { q?: string; cursor?: string; limit?: number }) {
    return this.request('GET', '/v1/catalog', { query, schema: CatalogPage, retry: true, auth: false });
  }
  software(softwareId: string) {
    return this.request('GET', `/v1/catalog/${softwareId}`, {
      schema: SoftwareResult,
      retry: true,
      auth: false,
    });
  }
  purchase(body: PurchaseBody, idempotencyKey: string) {
    return this.request('POST', '/v1/purchases', {
      body,
      schema: PurchaseResult,
      idempotencyKey,
      retry: true,
    });
  }
  registrations() {
    return this.request('GET', '/v1/registrations', { schema: RegistrationList, retry: true });
  }
  downloadUrl(softwareId: string, deviceId: string): string {
    return this.url(`/v1/downloads/${softwareId}`, { deviceId });
  }
  requestLicense(body: LicenseRequestBody) {
    return this.request('POST', '/v1/licenses/requests', { body, schema: LicenseRequestResult, retry: true });
  }
  redeem(body: RedeemBody) {
    return this.request('POST', '/v1/licenses/redeem', { body, schema: LicenseResult, retry: false });
  }
  refresh(body: RefreshBody) {
    return this.request('POST', '/v1/licenses/refresh', { body, schema: LicenseResult, retry: true });
  }
  jwks() {
    return this.request('GET', '/v1/licenses/jwks', { schema: ProviderJwks, retry: true, auth: false });
  }
  transfer(body: TransferBody, idempotencyKey: string) {
    return this.request('POST', '/v1/transfers', {
      body,
      schema: TransferResult,
      idempotencyKey,
      retry: true,
    });
  }
  transfers() {
    return this.request('GET', '/v1/transfers', { schema: TransferList, retry: true });
  }

  // ── the one way requests are made ─────────────────────────────────────────
  async request<S extends z.ZodType>(
    method: string,
    path: string,
    options: RequestOptions<S>,
  ): Promise<S extends z.ZodType ? z.infer<S> : never> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.auth !== false) Object.assign(headers, this.authHeaders(options.token));
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
    const attempts = options.retry ? this.retryDelays.length + 1 : 1;

    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await this.fetch(this.url(path, options.query), {
          method,
          headers,
          body: options.body === undefined ? undefined : JSON.stringify(options.body),
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
        });
      } catch {
        this.options.onReachability?.(false);
        if (attempt < attempts) {
          await sleep(this.retryDelays[attempt - 1] ?? 0);
          continue;
        }
        throw new AppError(
          'OFFLINE',
          `Keyport cannot reach the store at ${this.options.baseUrl}. Check your connection and try again.`,
        );
      }
      this.options.onReachability?.(true);
      if (RETRYABLE_STATUS.has(response.status) && attempt < attempts) {
        await response.body?.cancel();
        await sleep(this.retryDelays[attempt - 1] ?? 0);
        continue;
      }
      return (await this.read(response, options.schema)) as never;
    }
  }

  private async read(response: Response, schema: z.ZodType | null): Promise<unknown> {
    const text = await response.text();
    let body: unknown = null;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        body = null;
      }
    }
    if (!response.ok) throw appErrorFromProblem(response.status, body);
    if (schema === null) return undefined;
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      throw new AppError(
        'PROVIDER_ERROR',
        'The store answered in a form this version of Keyport does not understand. Update the app.',
      );
    }
    return parsed.data;
  }
}
