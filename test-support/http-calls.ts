/**
 * Helpers for the mock's own tests: raw HTTP against a running mock, and a signed-in
 * buyer with an enrolled device and one purchased program.
 */
import { randomBytes } from 'node:crypto';

export interface HttpResult {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read fields of whatever JSON came back
  body: any;
}

export async function call(
  url: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<HttpResult> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] ??= 'application/json';
  const response = await fetch(`${url}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const type = response.headers.get('content-type') ?? '';
  const body = type.includes('json') ? await response.json() : Buffer.from(await response.arrayBuffer());
  return { status: response.status, headers: response.headers, body };
}

export const randomDeviceId = (): string => randomBytes(32).toString('hex');

/** A new account with one enrolled device that owns `softwareId`. */
export async function buyer(url: string, softwareId: string): Promise<{ token: string; deviceId: string }> {
  const account = await call(url, 'POST', '/v1/accounts', {
    body: {
      email: `buyer-${randomBytes(4).toString('hex')}@mock.test`,
      password: 'buyer password',
      displayName: 'Buyer',
    },
  });
  const token = account.body.token as string;
  const deviceId = randomDeviceId();
  const enrolled = await call(url, 'POST', '/v1/devices', {
    token,
    body: { deviceId, name: 'Test PC', platform: 'linux' },
  });
  const bought = await call(url, 'POST', '/v1/purchases', { token, body: { softwareId, deviceId } });
  if (account.status !== 201 || enrolled.status !== 201 || bought.status !== 201) {
    throw new Error(`buyer setup failed: ${account.status} ${enrolled.status} ${bought.status}`);
  }
  return { token, deviceId };
}
