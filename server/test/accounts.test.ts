/**
 * Accounts and sessions over real HTTP (DESIGN §3): POST /v1/accounts, POST /v1/sessions,
 * DELETE /v1/sessions/current, GET /v1/me — success, every documented error, the login
 * rate limit with Retry-After, sign-out and the 30-day session expiry on the test clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createUser,
  randomDeviceId,
  startProvider,
  type TestProvider,
} from '../../test-support/provider-harness.ts';
import {
  expectProblem,
  expectUnauthenticated,
  expectValidation,
} from '../../test-support/problem-assertions.ts';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

describe('accounts and sessions', () => {
  let provider: TestProvider;
  beforeAll(async () => {
    provider = await startProvider();
  });
  afterAll(() => provider.close());

  describe('POST /v1/accounts', () => {
    it('creates an account, signs it in and answers 201 {user, token}', async () => {
      const response = await provider.api('POST', '/v1/accounts', {
        body: { email: 'Grace.Hopper@Example.test', password: 'cobol-forever', displayName: 'Grace' },
      });
      expect(response.status).toBe(201);
      expect(response.body.user).toEqual({
        userId: expect.stringMatching(/^usr_/),
        email: 'grace.hopper@example.test',
        displayName: 'Grace',
        createdAt: provider.clock.now().toISOString(),
      });
      expect(response.body.token).toMatch(/^kps_[A-Za-z0-9_-]{40,}$/);
      const me = await provider.api('GET', '/v1/me', { token: response.body.token });
      expect(me.status).toBe(200);
      expect(me.body.user).toEqual(response.body.user);
    });

    it('refuses a second account with the same email, whatever its case: 409 EMAIL_TAKEN', async () => {
      const first = await createUser(provider, 'taken');
      const again = await provider.api('POST', '/v1/accounts', {
        body: { email: first.email.toUpperCase(), password: 'another-password', displayName: 'Copycat' },
      });
      expectProblem(again, 409, 'EMAIL_TAKEN');
      // The original account keeps its password.
      const login = await provider.api('POST', '/v1/sessions', {
        body: { email: first.email, password: first.password },
      });
      expect(login.status).toBe(201);
      expect(login.body.user.displayName).toBe('taken');
    });

    it('refuses invalid bodies with 400 VALIDATION naming the field', async () => {
      const good = { email: 'valid@example.test', password: 'long-enough', displayName: 'Val' };
      expectValidation(
        await provider.api('POST', '/v1/accounts', { body: { ...good, email: 'not-an-email' } }),
        'body.email',
      );
      expectValidation(
        await provider.api('POST', '/v1/accounts', { body: { ...good, password: 'short' } }),
        'body.password',
      );
      expectValidation(
        await provider.api('POST', '/v1/accounts', { body: { email: good.email, password: good.password } }),
        'body.displayName',
      );
      expectValidation(
        await provider.api('POST', '/v1/accounts', { body: { ...good, displayName: '   ' } }),
        'body.displayName',
      );
      expectValidation(await provider.api('POST', '/v1/accounts', { body: { ...good, admin: true } }));
      expectValidation(
        await provider.api('POST', '/v1/accounts', {
          rawBody: '{"email": ',
          headers: { 'content-type': 'application/json' },
        }),
      );
      // None of them created the account.
      const login = await provider.api('POST', '/v1/sessions', {
        body: { email: good.email, password: good.password },
      });
      expectProblem(login, 401, 'BAD_CREDENTIALS');
    });

    it('refuses a body over the JSON limit with 413 PAYLOAD_TOO_LARGE', async () => {
      const response = await provider.api('POST', '/v1/accounts', {
        body: { email: 'big@example.test', password: 'long-enough', displayName: 'x'.repeat(70 * 1024) },
      });
      expectProblem(response, 413, 'PAYLOAD_TOO_LARGE');
    });

    it('refuses a body that is not JSON with 415 UNSUPPORTED_MEDIA_TYPE', async () => {
      const response = await provider.api('POST', '/v1/accounts', {
        rawBody: '<account><email>x@example.test</email></account>',
        headers: { 'content-type': 'application/xml' },
      });
      expectProblem(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
    });
  });

  describe('POST /v1/sessions', () => {
    it('signs in with the right password (email case-insensitive): 201 {user, token}', async () => {
      const account = await createUser(provider, 'signin');
      const response = await provider.api('POST', '/v1/sessions', {
        body: { email: account.email.toUpperCase(), password: account.password },
      });
      expect(response.status).toBe(201);
      expect(response.body.user).toEqual(account.user);
      expect(response.body.token).toMatch(/^kps_/);
      // A new session, distinct from the one account creation gave.
      expect(response.body.token).not.toBe(account.token);
      const me = await provider.api('GET', '/v1/me', { token: response.body.token });
      expect(me.body.user.userId).toBe(account.user.userId);
    });

    it('refuses a wrong password, an unknown email and a password-less account: 401 BAD_CREDENTIALS', async () => {
      const account = await createUser(provider, 'wrongpw');
      expectProblem(
        await provider.api('POST', '/v1/sessions', {
          body: { email: account.email, password: `${account.password}x` },
        }),
        401,
        'BAD_CREDENTIALS',
      );
      expectProblem(
        await provider.api('POST', '/v1/sessions', {
          body: { email: 'nobody-here@example.test', password: account.password },
        }),
        401,
        'BAD_CREDENTIALS',
      );
      // A retailer-provisioned account without a password cannot be signed into at all.
      const provisioned = await provider.api('POST', '/v1/admin/provision', {
        token: provider.adminToken,
        body: {
          email: 'no-password@example.test',
          displayName: 'NoPw',
          devices: [{ deviceId: randomDeviceId(), name: 'Till', platform: 'linux' }],
        },
      });
      expect(provisioned.status).toBe(201);
      expectProblem(
        await provider.api('POST', '/v1/sessions', {
          body: { email: 'no-password@example.test', password: 'anything-at-all' },
        }),
        401,
        'BAD_CREDENTIALS',
      );
    });

    it('refuses a body without a password with 400 VALIDATION', async () => {
      expectValidation(
        await provider.api('POST', '/v1/sessions', { body: { email: 'a@example.test' } }),
        'body.password',
      );
    });

    it('locks an email after 5 failed sign-ins: 429 RATE_LIMITED with Retry-After, even for the right password, until the window passes', async () => {
      const account = await createUser(provider, 'locked');
      const other = await createUser(provider, 'bystander');
      const wrong = { email: account.email, password: 'wrong-password' };
      for (let attempt = 1; attempt <= 5; attempt++) {
        expectProblem(await provider.api('POST', '/v1/sessions', { body: wrong }), 401, 'BAD_CREDENTIALS');
      }
      const right = { email: account.email, password: account.password };
      const refused = await provider.api('POST', '/v1/sessions', { body: right });
      expectProblem(refused, 429, 'RATE_LIMITED');
      expect(refused.headers.get('retry-after')).toBe(String(15 * 60));
      // The same lock whatever the email's case.
      const shouted = await provider.api('POST', '/v1/sessions', {
        body: { ...right, email: account.email.toUpperCase() },
      });
      expectProblem(shouted, 429, 'RATE_LIMITED');

      // Another email is not affected.
      const bystander = await provider.api('POST', '/v1/sessions', {
        body: { email: other.email, password: other.password },
      });
      expect(bystander.status).toBe(201);

      // One second before the window ends: still locked, and Retry-After counts down.
      provider.clock.advance(15 * MINUTE - 1000);
      const almost = await provider.api('POST', '/v1/sessions', { body: right });
      expectProblem(almost, 429, 'RATE_LIMITED');
      expect(almost.headers.get('retry-after')).toBe('1');

      provider.clock.advance(1000);
      const recovered = await provider.api('POST', '/v1/sessions', { body: right });
      expect(recovered.status).toBe(201);
      expect(recovered.body.user.userId).toBe(account.user.userId);
    });

    it('forgets earlier failures after a successful sign-in', async () => {
      const account = await createUser(provider, 'forgiven');
      const wrong = { email: account.email, password: 'wrong-password' };
      const right = { email: account.email, password: account.password };
      for (let attempt = 1; attempt <= 4; attempt++) {
        expectProblem(await provider.api('POST', '/v1/sessions', { body: wrong }), 401, 'BAD_CREDENTIALS');
      }
      expect((await provider.api('POST', '/v1/sessions', { body: right })).status).toBe(201);
      for (let attempt = 1; attempt <= 4; attempt++) {
        expectProblem(await provider.api('POST', '/v1/sessions', { body: wrong }), 401, 'BAD_CREDENTIALS');
      }
      expect((await provider.api('POST', '/v1/sessions', { body: right })).status).toBe(201);
      // The success reset the count: five new failures in a row are needed to lock again.
      for (let attempt = 1; attempt <= 5; attempt++) {
        expectProblem(await provider.api('POST', '/v1/sessions', { body: wrong }), 401, 'BAD_CREDENTIALS');
      }
      expectProblem(await provider.api('POST', '/v1/sessions', { body: right }), 429, 'RATE_LIMITED');
    });
  });

  describe('DELETE /v1/sessions/current', () => {
    it('signs out: 204, and that token no longer works while the other sessions do', async () => {
      const account = await createUser(provider, 'signout');
      const second = await provider.api('POST', '/v1/sessions', {
        body: { email: account.email, password: account.password },
      });
      expect(second.status).toBe(201);

      const out = await provider.api('DELETE', '/v1/sessions/current', { token: account.token });
      expect(out.status).toBe(204);
      expect((out.body as Buffer).length).toBe(0);

      expectUnauthenticated(await provider.api('GET', '/v1/me', { token: account.token }));
      expectUnauthenticated(await provider.api('DELETE', '/v1/sessions/current', { token: account.token }));
      const stillIn = await provider.api('GET', '/v1/me', { token: second.body.token });
      expect(stillIn.status).toBe(200);
      expect(stillIn.body.user.userId).toBe(account.user.userId);
    });

    it('answers 401 UNAUTHENTICATED without a session token', async () => {
      expectUnauthenticated(await provider.api('DELETE', '/v1/sessions/current'));
      expectUnauthenticated(
        await provider.api('DELETE', '/v1/sessions/current', { token: 'kps_not-a-real-token' }),
      );
    });
  });

  describe('GET /v1/me', () => {
    it('returns the signed-in user', async () => {
      const account = await createUser(provider, 'me');
      const me = await provider.api('GET', '/v1/me', { token: account.token });
      expect(me.status).toBe(200);
      expect(me.body).toEqual({ user: account.user });
    });

    it('answers 401 UNAUTHENTICATED without a header, with an unknown token, another scheme or the admin token', async () => {
      const account = await createUser(provider, 'me-unauth');
      expectUnauthenticated(await provider.api('GET', '/v1/me'));
      expectUnauthenticated(await provider.api('GET', '/v1/me', { token: `${account.token}x` }));
      expectUnauthenticated(
        await provider.api('GET', '/v1/me', { headers: { authorization: `Basic ${account.token}` } }),
      );
      expectUnauthenticated(await provider.api('GET', '/v1/me', { token: provider.adminToken }));
    });

    // Last in this file: it moves the clock a month on.
    it('ends a session 30 days after sign-in', async () => {
      const account = await createUser(provider, 'expiry');
      provider.clock.advance(30 * DAY - 1000);
      expect((await provider.api('GET', '/v1/me', { token: account.token })).status).toBe(200);
      provider.clock.advance(1000);
      expectUnauthenticated(await provider.api('GET', '/v1/me', { token: account.token }));
      // Signing in again gives a fresh 30 days.
      const again = await provider.api('POST', '/v1/sessions', {
        body: { email: account.email, password: account.password },
      });
      expect(again.status).toBe(201);
      expect((await provider.api('GET', '/v1/me', { token: again.body.token })).status).toBe(200);
    });
  });
});

describe('account creation rate limit', () => {
  let provider: TestProvider;
  beforeAll(async () => {
    provider = await startProvider({
      settings: { rateLimits: { accountsPerAddress: { max: 2, windowSeconds: 3600 } } },
    });
  });
  afterAll(() => provider.close());

  it('refuses more new accounts per address than allowed: 429 RATE_LIMITED with Retry-After, then recovers', async () => {
    await createUser(provider, 'first');
    await createUser(provider, 'second');
    const body = { email: 'third@example.test', password: 'long-enough', displayName: 'Third' };
    const refused = await provider.api('POST', '/v1/accounts', { body });
    expectProblem(refused, 429, 'RATE_LIMITED');
    expect(refused.headers.get('retry-after')).toBe('3600');
    provider.clock.advance(3600 * 1000);
    expect((await provider.api('POST', '/v1/accounts', { body })).status).toBe(201);
  });
});
