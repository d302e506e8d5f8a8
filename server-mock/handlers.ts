/**
 * MSW handlers for the whole HTTP API v1 (DESIGN §3) plus `/__mock/faults`. Each
 * handler is the provider route of the same name (server/routes/*.ts): same auth, same
 * schemas from shared/api.ts, same status codes; the work itself is in state.ts.
 */
import type { HttpHandler } from 'msw';
import {
  CatalogPage,
  CatalogQuery,
  CreateAccountBody,
  CreateSoftwareBody,
  DeviceList,
  DeviceParams,
  DeviceResult,
  DownloadQuery,
  EnrolDeviceBody,
  EventList,
  EventsQuery,
  Health,
  IdempotencyHeaders,
  Jwks,
  LicenseRequestBody,
  LicenseRequestResult,
  LicenseResult,
  LoginBody,
  MeResult,
  ProvisionBody,
  ProvisionResult,
  PurchaseBody,
  PurchaseResult,
  RedeemBody,
  RefreshBody,
  RegistrationList,
  ReleaseCreated,
  RenameDeviceBody,
  SessionResult,
  SoftwareCreated,
  SoftwareParams,
  SoftwareResult,
  TransferBody,
  TransferList,
  TransferResult,
  PACKAGE_TYPES,
} from '../shared/api.ts';
import { downloadResponse } from './downloads.ts';
import { FaultUpdate } from './faults.ts';
import type { MockLicenseKeys } from './license-keys.ts';
import { mockProblem } from './problem.ts';
import { json, noContent, routeFactory, type RouteEnv } from './routing.ts';

/** `idempotent-replayed: true` on a replayed purchase or transfer, as the provider sends it. */
const replayHeader = (replayed: boolean): Record<string, string> =>
  replayed ? { 'idempotent-replayed': 'true' } : {};

export function createMockHandlers(env: RouteEnv & { keys: MockLicenseKeys }): HttpHandler[] {
  const route = routeFactory(env);
  const { registry, faults } = env;

  return [
    // ── health ─────────────────────────────────────────────────────────────────
    route({ method: 'get', path: '/healthz', auth: 'none', handle: () => json(Health, { status: 'ok' }) }),
    route({
      method: 'get',
      path: '/readyz',
      auth: 'none',
      handle: () => json(Health, { status: 'ready', database: 'memory' }),
    }),

    // ── accounts and sessions ──────────────────────────────────────────────────
    route({
      method: 'post',
      path: '/v1/accounts',
      auth: 'none',
      body: CreateAccountBody,
      handle: ({ body }) => json(SessionResult, registry.createAccount(body), 201),
    }),
    route({
      method: 'post',
      path: '/v1/sessions',
      auth: 'none',
      body: LoginBody,
      handle: ({ body }) => json(SessionResult, registry.signIn(body.email, body.password), 201),
    }),
    route({
      method: 'delete',
      path: '/v1/sessions/current',
      auth: 'user',
      handle: ({ session }) => {
        registry.signOut(session.sessionHash);
        return noContent();
      },
    }),
    route({
      method: 'get',
      path: '/v1/me',
      auth: 'user',
      handle: ({ session }) => json(MeResult, { user: session.user }),
    }),

    // ── devices ────────────────────────────────────────────────────────────────
    route({
      method: 'post',
      path: '/v1/devices',
      auth: 'user',
      body: EnrolDeviceBody,
      handle: ({ session, body }) => {
        const { status, device } = registry.enrolDevice(session.user.userId, body);
        return json(DeviceResult, { device }, status);
      },
    }),
    route({
      method: 'get',
      path: '/v1/devices',
      auth: 'user',
      handle: ({ session }) => json(DeviceList, { devices: registry.listDevices(session.user.userId) }),
    }),
    route({
      method: 'patch',
      path: '/v1/devices/:deviceId',
      auth: 'user',
      params: DeviceParams,
      body: RenameDeviceBody,
      handle: ({ session, params, body }) =>
        json(DeviceResult, {
          device: registry.renameDevice(session.user.userId, params.deviceId, body.name),
        }),
    }),
    route({
      method: 'delete',
      path: '/v1/devices/:deviceId',
      auth: 'user',
      params: DeviceParams,
      handle: ({ session, params }) => {
        registry.retireDevice(session.user.userId, params.deviceId);
        return noContent();
      },
    }),

    // ── catalog ────────────────────────────────────────────────────────────────
    route({
      method: 'get',
      path: '/v1/catalog',
      auth: 'none',
      query: CatalogQuery,
      handle: ({ query }) => json(CatalogPage, registry.catalogPage(query)),
    }),
    route({
      method: 'get',
      path: '/v1/catalog/:softwareId',
      auth: 'none',
      params: SoftwareParams,
      handle: ({ params }) => json(SoftwareResult, { software: registry.softwareDetail(params.softwareId) }),
    }),

    // ── purchases and registrations ────────────────────────────────────────────
    route({
      method: 'post',
      path: '/v1/purchases',
      auth: 'user',
      body: PurchaseBody,
      headers: IdempotencyHeaders,
      handle: ({ session, body, headers }) => {
        const result = registry.purchase(session.user.userId, body, headers['idempotency-key']);
        return json(PurchaseResult, result.body, result.status, replayHeader(result.replayed));
      },
    }),
    route({
      method: 'get',
      path: '/v1/registrations',
      auth: 'user',
      handle: ({ session }) =>
        json(RegistrationList, { registrations: registry.registrations(session.user.userId) }),
    }),

    // ── downloads ──────────────────────────────────────────────────────────────
    route({
      method: 'get',
      path: '/v1/downloads/:softwareId',
      auth: 'user',
      params: SoftwareParams,
      query: DownloadQuery,
      handle: ({ session, params, query, request }) => {
        const release = registry.downloadable(session.user.userId, params.softwareId, query.deviceId);
        return downloadResponse(params.softwareId, release, request, faults);
      },
    }),

    // ── licenses ───────────────────────────────────────────────────────────────
    route({
      method: 'get',
      path: '/v1/licenses/jwks',
      auth: 'none',
      handle: () => json(Jwks, env.keys.jwks, 200, { 'cache-control': 'public, max-age=300' }),
    }),
    route({
      method: 'post',
      path: '/v1/licenses/requests',
      auth: 'user',
      body: LicenseRequestBody,
      handle: ({ session, body }) =>
        json(LicenseRequestResult, registry.requestLicense(session.user.userId, body), 201),
    }),
    route({
      method: 'post',
      path: '/v1/licenses/redeem',
      auth: 'user',
      body: RedeemBody,
      handle: async ({ session, body }) =>
        json(LicenseResult, await registry.redeem(session.user.userId, body, faults.expiringTransactions)),
    }),
    route({
      method: 'post',
      path: '/v1/licenses/refresh',
      auth: 'user',
      body: RefreshBody,
      handle: async ({ session, body }) =>
        json(LicenseResult, await registry.refresh(session.user.userId, body)),
    }),

    // ── transfers ──────────────────────────────────────────────────────────────
    route({
      method: 'post',
      path: '/v1/transfers',
      auth: 'user',
      body: TransferBody,
      headers: IdempotencyHeaders,
      handle: ({ session, body, headers }) => {
        const result = registry.transfer(session.user.userId, body, headers['idempotency-key']);
        return json(TransferResult, result.body, result.status, replayHeader(result.replayed));
      },
    }),
    route({
      method: 'get',
      path: '/v1/transfers',
      auth: 'user',
      handle: ({ session }) => json(TransferList, { transfers: registry.transfers(session.user.userId) }),
    }),

    // ── admin ──────────────────────────────────────────────────────────────────
    route({
      method: 'post',
      path: '/v1/admin/provision',
      auth: 'admin',
      packageBodies: true,
      body: ProvisionBody,
      handle: ({ body }) => json(ProvisionResult, registry.provision(body), 201),
    }),
    route({
      method: 'post',
      path: '/v1/admin/software',
      auth: 'admin',
      packageBodies: true,
      body: CreateSoftwareBody,
      handle: ({ body }) => json(SoftwareCreated, { software: registry.createSoftware(body) }, 201),
    }),
    route({
      method: 'post',
      path: '/v1/admin/software/:softwareId/releases',
      auth: 'admin',
      packageBodies: true,
      params: SoftwareParams,
      handle: async ({ params, request, rawBody }) => {
        // JSON and text bodies parse fine but are not packages: the provider's 415.
        const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
        if (!PACKAGE_TYPES.includes(type)) {
          throw mockProblem(
            'UNSUPPORTED_MEDIA_TYPE',
            'send the .tar.gz as the body, with content-type application/gzip',
          );
        }
        const archive = Buffer.isBuffer(rawBody) ? rawBody : Buffer.alloc(0);
        return json(
          ReleaseCreated,
          { release: await registry.publishRelease(params.softwareId, archive) },
          201,
        );
      },
    }),
    route({
      method: 'get',
      path: '/v1/admin/events',
      auth: 'admin',
      query: EventsQuery,
      handle: ({ query }) => json(EventList, registry.events(query.after, query.limit)),
    }),

    // ── the mock's own controls (not part of the API) ───────────────────────────
    route({
      method: 'get',
      path: '/__mock/faults',
      auth: 'none',
      control: true,
      handle: () => Response.json(faults.snapshot()),
    }),
    route({
      method: 'put',
      path: '/__mock/faults',
      auth: 'none',
      control: true,
      body: FaultUpdate,
      handle: ({ body }) => Response.json(faults.apply(body)),
    }),
    route({
      method: 'delete',
      path: '/__mock/faults',
      auth: 'none',
      control: true,
      handle: () => {
        faults.reset();
        return Response.json(faults.snapshot());
      },
    }),
  ];
}
