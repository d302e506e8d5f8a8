/**
 * The one way Keyport's long-running commands (provider, mock, `npm start`, the web shell,
 * the installed app) hear Ctrl-C and SIGTERM: `handler` runs once, on the first of them.
 * Returns a function that stops listening (for a command that ends on its own first).
 */
export type StopSignal = 'SIGINT' | 'SIGTERM';

export function onStopSignal(handler: (signal: StopSignal) => void): () => void {
  const signals: StopSignal[] = ['SIGINT', 'SIGTERM'];
  const listener = (signal: StopSignal) => {
    unsubscribe();
    handler(signal);
  };
  const unsubscribe = () => {
    for (const signal of signals) process.off(signal, listener);
  };
  for (const signal of signals) process.on(signal, listener);
  return unsubscribe;
}
