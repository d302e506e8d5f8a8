/**
 * The renderer's typed `ClientApi`, built on whatever bridge the shell provides (IPC in
 * Electron, loopback HTTP in the web shell). Failed calls reject with a `ClientError`
 * that keeps its code, so screens can branch on `error.code` and show `error.message`.
 */
import {
  CLIENT_METHODS,
  type ClientApi,
  type ClientBridge,
  type ClientEventSource,
  type ClientMethod,
} from './client-api.ts';
import { ClientError } from './client-errors.ts';

export function createClientProxy(bridge: ClientBridge): ClientApi & ClientEventSource {
  const call = async (method: ClientMethod, input: unknown): Promise<unknown> => {
    const envelope = await bridge.invoke(method, input);
    if (envelope.ok) return envelope.value;
    throw new ClientError(envelope.error.code, envelope.error.message);
  };
  const methods = Object.fromEntries(
    CLIENT_METHODS.map((method) => [method, (input?: unknown) => call(method, input)]),
  ) as unknown as ClientApi;
  return { ...methods, subscribe: (listener) => bridge.onEvent(listener) };
}
