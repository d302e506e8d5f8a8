/**
 * The renderer's typed `AppApi`, built on whatever bridge the shell provides (IPC in
 * Electron, loopback HTTP in the web shell). Failed calls reject with a `AppError`
 * that keeps its code, so screens can branch on `error.code` and show `error.message`.
 */
import { APP_METHODS, type AppApi, type AppBridge, type AppEventSource, type AppMethod } from './app-api.ts';
import { AppError } from './app-errors.ts';

export function createAppProxy(bridge: AppBridge): AppApi & AppEventSource {
  const call = async (method: AppMethod, input: unknown): Promise<unknown> => {
    const envelope = await bridge.invoke(method, input);
    if (envelope.ok) return envelope.value;
    throw new AppError(envelope.error.code, envelope.error.message);
  };
  const methods = Object.fromEntries(
    APP_METHODS.map((method) => [method, (input?: unknown) => call(method, input)]),
  ) as unknown as AppApi;
  return { ...methods, subscribe: (listener) => bridge.onEvent(listener) };
}
