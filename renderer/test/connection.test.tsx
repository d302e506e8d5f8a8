// @vitest-environment jsdom
/**
 * The window's word on its connections, which must always be the true one: the store
 * going away and coming back (the core reconnects by itself; the OS's online event and
 * focus ask at once; "cannot reach the store" errors go once it is back), the local app
 * not answering the web shell's window (the sidebar must not say Online; the window keeps
 * trying and recovers by itself), and no sentence shown with literal backticks.
 */
import { cleanup, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { dispatchAppCall } from '../../electron/bridge/app-dispatch.ts';
import type { KeyportCore } from '../../electron/core/keyport-core.ts';
import { App } from '../src/App.tsx';
import { resetStores } from '../src/stores/all-stores.ts';
import { ErrorNotice } from '../src/ui/Notices.tsx';
import { sentenceParts } from '../src/ui/Sentence.tsx';
import { createWebShellBridge, NOT_ANSWERING } from '../src/web-shell-bridge.ts';
import { startHarness, type Harness, type HarnessOptions } from './harness.tsx';

let h: Harness | null = null;

afterEach(async () => {
  await h?.close();
  h = null;
});

/** A signed-in, enrolled device with the app rendered on its library. */
async function openApp(options: HarnessOptions = {}): Promise<Harness> {
  h = await startHarness(options);
  await h.signUp();
  await h.enrol();
  return h;
}

const connection = () => screen.getByTestId('online').textContent;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const noBackticks = () => expect(document.body.textContent).not.toContain('`');

describe('when the store goes away and comes back', () => {
  it('goes back Online by itself and drops the stale "cannot reach the store" errors', async () => {
    const harness = await openApp({ reconnect: { firstDelayMs: 50, maxDelayMs: 200 } });
    harness.renderApp();
    await screen.findByTestId('library-empty');
    expect(connection()).toBe('Online');

    await harness.stopProvider();
    await harness.user.click(screen.getByRole('button', { name: 'Check for changes' }));
    expect((await screen.findByTestId('sync-error')).textContent).toMatch(/cannot reach the store/);
    expect(await screen.findByTestId('offline-banner')).toBeTruthy();
    expect(connection()).toBe('Offline');
    await harness.user.click(screen.getByTestId('nav-store'));
    expect((await screen.findByTestId('store-error')).textContent).toMatch(/cannot reach the store/);

    // From here on nobody touches anything.
    await harness.startProvider();
    await waitFor(() => expect(connection()).toBe('Online'), { timeout: 5000 });
    await waitFor(() => expect(screen.queryByTestId('offline-banner')).toBeNull());
    await waitFor(() => expect(screen.queryByTestId('store-error')).toBeNull());
    expect(await screen.findByTestId('store-empty')).toBeTruthy();
    await harness.user.click(screen.getByTestId('nav-library'));
    await screen.findByTestId('library-empty');
    expect(screen.queryByTestId('sync-error')).toBeNull();
  });

  for (const trigger of ['online', 'focus'] as const) {
    it(`asks again at once on the window's ${trigger} event`, async () => {
      // A backoff so long that only the event can explain coming back.
      const harness = await openApp({ reconnect: { firstDelayMs: 600_000, maxDelayMs: 600_000 } });
      harness.renderApp();
      await screen.findByTestId('library-empty');
      await harness.stopProvider();
      // The store screen, so the library's own focus check is not what asks.
      await harness.user.click(screen.getByTestId('nav-store'));
      expect((await screen.findByTestId('store-error')).textContent).toMatch(/cannot reach the store/);
      expect(connection()).toBe('Offline');

      await harness.startProvider();
      await pause(300);
      expect(connection()).toBe('Offline'); // nothing asks by itself this soon

      window.dispatchEvent(new Event(trigger));
      await waitFor(() => expect(connection()).toBe('Online'), { timeout: 3000 });
      await waitFor(() => expect(screen.queryByTestId('store-error')).toBeNull());
    });
  }
});

/**
 * The web shell's transport, in process: calls and the event stream reach `core` the way
 * the shell would answer them, until `kill()` — then, as when the app's process has gone,
 * the open stream ends (a clean stop) or breaks (a crash) and every request reaches
 * nothing — and again after `revive()`.
 */
function localApp(core: KeyportCore) {
  let up = true;
  const streams = new Set<{ controller: ReadableStreamDefaultController<Uint8Array>; stop: () => void }>();
  const encoder = new TextEncoder();
  const fetchImpl: typeof fetch = async (input, init) => {
    if (!up) throw new TypeError('Failed to fetch');
    const url = String(input);
    if (url === '/api/events') {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          const unsubscribe = core.subscribe((event) =>
            controller.enqueue(encoder.encode(`${JSON.stringify(event)}\n`)),
          );
          const stream = { controller, stop: unsubscribe };
          streams.add(stream);
          init?.signal?.addEventListener('abort', () => {
            unsubscribe();
            streams.delete(stream);
            controller.error(new DOMException('The stream was aborted.', 'AbortError'));
          });
        },
      });
      return new Response(body, { headers: { 'content-type': 'application/x-ndjson' } });
    }
    const method = decodeURIComponent(url.replace('/api/call/', ''));
    const text = typeof init?.body === 'string' ? init.body : '';
    const envelope = await dispatchAppCall(core, method, text ? JSON.parse(text) : undefined);
    return new Response(JSON.stringify(envelope), { headers: { 'content-type': 'application/json' } });
  };
  return {
    fetch: fetchImpl,
    kill(how: 'stop' | 'crash') {
      up = false;
      for (const stream of streams) {
        stream.stop();
        if (how === 'stop') stream.controller.close();
        else stream.controller.error(new TypeError('network error'));
      }
      streams.clear();
    },
    revive() {
      up = true;
    },
  };
}

describe('when the local app stops answering the window', () => {
  it('says Not answering instead of Online, keeps trying, and recovers by itself', async () => {
    const harness = await openApp();
    const app = localApp(harness.device.core);
    window.keyport = createWebShellBridge('the-launch-secret', app.fetch);
    harness.renderApp();
    await screen.findByTestId('library-empty');
    expect(connection()).toBe('Online');

    app.kill('stop');
    await waitFor(() => expect(connection()).toBe('Not answering'));
    expect(screen.getByTestId('this-device').textContent).toContain('Reconnecting…');
    expect(screen.queryByText('Online')).toBeNull();
    const banner = screen.getByTestId('not-answering-banner');
    expect(banner.textContent).toMatch(/keeps trying/);
    // What was tried meanwhile says why it failed, in words and without markup.
    await harness.user.click(screen.getByRole('button', { name: 'Check for changes' }));
    expect((await screen.findByTestId('sync-error')).textContent).toContain(NOT_ANSWERING);
    noBackticks();

    // The app is back; nobody presses anything.
    app.revive();
    await waitFor(() => expect(connection()).toBe('Online'), { timeout: 10_000 });
    expect(screen.queryByTestId('not-answering-banner')).toBeNull();
    await waitFor(() => expect(screen.queryByTestId('sync-error')).toBeNull());
    // Calls work again, events too.
    await harness.user.click(screen.getByRole('button', { name: 'Check for changes' }));
    await waitFor(() => expect(screen.getByTestId('sync-result').textContent).toMatch(/up to date/));
  });

  it('Try again in the banner reaches the app as soon as it is back', async () => {
    const harness = await openApp();
    const app = localApp(harness.device.core);
    window.keyport = createWebShellBridge('the-launch-secret', app.fetch);
    harness.renderApp();
    await screen.findByTestId('library-empty');
    app.kill('crash');
    const banner = await screen.findByTestId('not-answering-banner');
    app.revive();
    await harness.user.click(within(banner).getByRole('button', { name: 'Try again' }));
    await waitFor(() => expect(connection()).toBe('Online'), { timeout: 2000 });
  });
});

describe('sentences with commands in them', () => {
  afterEach(() => {
    cleanup();
    delete window.keyport;
    resetStores();
  });

  it('are split into text and code, an unpaired backtick dropped', () => {
    expect(sentenceParts('Check that `npm start` runs.')).toEqual([
      { code: false, text: 'Check that ' },
      { code: true, text: 'npm start' },
      { code: false, text: ' runs.' },
    ]);
    expect(sentenceParts('`a` and `b')).toEqual([
      { code: true, text: 'a' },
      { code: false, text: ' and ' },
      { code: false, text: 'b' },
    ]);
    expect(sentenceParts('No command here.')).toEqual([{ code: false, text: 'No command here.' }]);
  });

  it('show the command as code, never a literal backtick', () => {
    const view = render(
      <ErrorNotice
        error={{
          code: 'UNAUTHENTICATED',
          message: 'This window does not hold the key. Open Keyport from the link `npm start` printed.',
        }}
      />,
    );
    noBackticks();
    expect(view.container.querySelector('code')?.textContent).toBe('npm start');
  });

  it('show the command as code on the startup problem too (a window opened without its key)', async () => {
    window.keyport = createWebShellBridge(null);
    render(<App />);
    const problem = await screen.findByTestId('startup-problem');
    expect(problem.textContent).toContain('npm start');
    expect(problem.querySelector('code')?.textContent).toBe('npm start');
    noBackticks();
  });
});
