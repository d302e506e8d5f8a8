// @vitest-environment jsdom
/**
 * The store: loading, empty, error and the shelf (prices, search, paging), a program's
 * detail page, and buying for this device (paid, free, a failing store, offline, a copy
 * the user already owns elsewhere), against the MSW mock through the real core.
 */
import { randomBytes } from 'node:crypto';
import { screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { formatBytes } from '../../shared/format.ts';
import type { AppInput } from '../../shared/app-api/app-api.ts';
import { startHarness, type Account, type Harness } from './harness.tsx';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the store', () => {
  let h: Harness;
  let account: Account;
  beforeEach(async () => {
    h = await startHarness();
    account = await h.signUp();
    await h.enrol('Studio PC');
  });
  afterEach(() => h.close());

  const publish = (softwareId: string, name: string, priceCents = 499, version = '1.0.0') =>
    h.publish({ softwareId, name, summary: `${name} does things.`, priceCents, version });

  async function openStore() {
    h.renderApp();
    await h.user.click(await screen.findByTestId('nav-store'));
    return screen.findByTestId('store-screen');
  }

  const card = (softwareId: string) => screen.findByTestId(`store-item-${softwareId}`);
  const searchbox = () => screen.getByRole('searchbox', { name: 'Search the store' });

  async function openDetail(softwareId: string, name: string) {
    await h.user.click(within(await card(softwareId)).getByRole('button', { name }));
    const detail = await screen.findByTestId('software-detail');
    await within(detail).findByRole('heading', { level: 1, name });
    return detail;
  }

  async function openBuyDialog(softwareId: string, name: string, buyLabel: string) {
    const detail = await openDetail(softwareId, name);
    await h.user.click(within(detail).getByRole('button', { name: buyLabel }));
    return screen.findByTestId('buy-dialog');
  }

  it('shows card placeholders while the catalog loads, then the programs', async () => {
    await publish('sketchpad', 'Sketchpad');
    h.mock.faults.setLatency(600);
    await openStore();
    const skeleton = await screen.findByTestId('store-skeleton');
    expect(skeleton.getAttribute('role')).toBe('status');
    expect(skeleton.textContent).toContain('Loading the store…');
    expect(screen.queryByTestId('store-item-sketchpad')).toBeNull();
    h.mock.faults.setLatency(0);
    expect(await card('sketchpad')).toBeTruthy();
    expect(screen.queryByTestId('store-skeleton')).toBeNull();
  });

  it('says the store is empty when nothing is published', async () => {
    await openStore();
    const empty = await screen.findByTestId('store-empty');
    expect(within(empty).getByRole('heading', { name: 'The store is empty' })).toBeTruthy();
    expect(screen.queryByTestId('store-grid')).toBeNull();
  });

  it('explains a failed load in a sentence and loads on Try again', async () => {
    await publish('sketchpad', 'Sketchpad');
    h.mock.faults.failNext(2, '/v1/catalog'); // the first try and the core's retry
    await openStore();
    const error = await screen.findByTestId('store-error');
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.textContent).toMatch(/The store had a problem/);
    expect(error.textContent).not.toMatch(/\b500\b|Error:/);
    await h.user.click(within(error).getByRole('button', { name: 'Try again' }));
    expect(await card('sketchpad')).toBeTruthy();
    expect(screen.queryByTestId('store-error')).toBeNull();
  });

  it('shows each program as a card with its price, Free for free ones', async () => {
    await publish('sketchpad', 'Sketchpad', 499);
    await publish('hello-free', 'Hello Free', 0);
    await openStore();
    const paid = await card('sketchpad');
    expect(within(paid).getByTestId('store-item-price').textContent).toBe('$4.99');
    expect(within(paid).getByRole('heading', { name: 'Sketchpad' })).toBeTruthy();
    expect(paid.textContent).toContain('Sketchpad does things.');
    expect(paid.textContent).toContain('v1.0.0');
    const free = await card('hello-free');
    expect(within(free).getByTestId('store-item-price').textContent).toBe('Free');
    expect(screen.getByRole('heading', { level: 2, name: 'All programs' })).toBeTruthy();
    expect(screen.getByTestId('store-count').textContent).toBe('2 programs');
    expect(within(paid).queryByText('Owned')).toBeNull();
  });

  it('filters by what is typed, and says so when nothing matches (Clear search brings all back)', async () => {
    await publish('alpha-draw', 'Alpha Draw');
    await publish('beta-notes', 'Beta Notes');
    await publish('gamma-tracker', 'Gamma Tracker');
    await openStore();
    await card('gamma-tracker');

    await h.user.type(searchbox(), 'notes');
    await screen.findByRole('heading', { level: 2, name: 'Results for "notes"' });
    expect(screen.getByTestId('store-item-beta-notes')).toBeTruthy();
    expect(screen.queryByTestId('store-item-alpha-draw')).toBeNull();
    expect(screen.queryByTestId('store-item-gamma-tracker')).toBeNull();

    await h.user.clear(searchbox());
    await h.user.type(searchbox(), 'zebra');
    await screen.findByRole('heading', { name: 'Nothing matches "zebra"' });
    const none = screen.getByTestId('store-no-results');
    expect(screen.queryByTestId('store-item-beta-notes')).toBeNull();

    await h.user.click(within(none).getByRole('button', { name: 'Clear search' }));
    expect((searchbox() as HTMLInputElement).value).toBe('');
    expect(await card('alpha-draw')).toBeTruthy();
    expect(screen.getByTestId('store-item-beta-notes')).toBeTruthy();
    expect(screen.getByTestId('store-item-gamma-tracker')).toBeTruthy();
    expect(screen.queryByTestId('store-no-results')).toBeNull();
  });

  it('does not let a late answer to an older search overwrite a newer one', async () => {
    await publish('alpha-draw', 'Alpha Draw');
    await publish('beta-notes', 'Beta Notes');
    await openStore();
    await card('beta-notes');

    // Hold the answer to "alpha" until the search for "beta" has been answered.
    let releaseAlpha!: () => void;
    const alphaHeld = new Promise<void>((resolve) => (releaseAlpha = resolve));
    let alphaAnswered: Promise<unknown> | undefined;
    const browse = h.device.core.browseCatalog.bind(h.device.core);
    vi.spyOn(h.device.core, 'browseCatalog').mockImplementation((input: AppInput<'browseCatalog'>) => {
      if (input.q !== 'alpha') return browse(input);
      alphaAnswered = alphaHeld.then(() => browse(input));
      return alphaAnswered as ReturnType<typeof browse>;
    });

    await h.user.type(searchbox(), 'alpha');
    await waitFor(() => expect(alphaAnswered).toBeDefined());
    await h.user.clear(searchbox());
    await h.user.type(searchbox(), 'beta');
    await screen.findByRole('heading', { level: 2, name: 'Results for "beta"' });
    expect(screen.queryByTestId('store-item-alpha-draw')).toBeNull();

    releaseAlpha();
    await alphaAnswered;
    await sleep(50); // past the store's handling of the late answer
    expect(screen.getByRole('heading', { level: 2, name: 'Results for "beta"' })).toBeTruthy();
    expect(screen.getByTestId('store-item-beta-notes')).toBeTruthy();
    expect(screen.queryByTestId('store-item-alpha-draw')).toBeNull();
    expect((searchbox() as HTMLInputElement).value).toBe('beta');
  });

  it('shows the catalog a page at a time, with Show more', async () => {
    await Promise.all(
      Array.from({ length: 25 }, (_, i) => {
        const n = String(i + 1).padStart(2, '0');
        return publish(`program-${n}`, `Program ${n}`);
      }),
    );
    await openStore();
    await card('program-24');
    expect(screen.queryByTestId('store-item-program-25')).toBeNull();
    expect(within(screen.getByTestId('store-grid')).getAllByRole('listitem')).toHaveLength(24);
    expect(screen.getByTestId('store-count').textContent).toBe('24+ programs');

    await h.user.click(screen.getByRole('button', { name: 'Show more' }));
    expect(await card('program-25')).toBeTruthy();
    expect(within(screen.getByTestId('store-grid')).getAllByRole('listitem')).toHaveLength(25);
    expect(screen.getByTestId('store-count').textContent).toBe('25 programs');
    expect(screen.queryByRole('button', { name: 'Show more' })).toBeNull();
  });

  it('opens a detail page with version, size, price and releases, and Back returns focus to the card', async () => {
    await h.publish({ softwareId: 'sketchpad', name: 'Sketchpad', priceCents: 499, version: '1.0.0' });
    await sleep(5); // so the two releases have different publication times
    await h.publish({
      softwareId: 'sketchpad',
      version: '1.1.0',
      files: { 'brushes.bin': randomBytes(150_000) },
    });
    const { releases } = await h.device.core.getSoftware({ softwareId: 'sketchpad' });
    const newest = releases.find((release) => release.version === '1.1.0')!;
    await openStore();

    const detail = await openDetail('sketchpad', 'Sketchpad');
    const title = within(detail).getByRole('heading', { level: 1, name: 'Sketchpad' });
    expect(document.activeElement).toBe(title);
    expect(within(detail).getByTestId('detail-version').textContent).toBe('1.1.0');
    expect(within(detail).getByTestId('detail-size').textContent).toBe(formatBytes(newest.sizeBytes));
    expect(within(detail).getByTestId('detail-size').textContent).toMatch(/KB$/);
    expect(within(detail).getByTestId('detail-price').textContent).toBe('$4.99');
    const list = await within(detail).findByTestId('release-list');
    const rows = within(list).getAllByRole('listitem');
    expect(rows.map((row) => row.querySelector('strong')?.textContent)).toEqual([
      'Version 1.1.0',
      'Version 1.0.0',
    ]);
    expect(within(rows[0]!).getByText('Latest')).toBeTruthy();
    expect(within(rows[1]!).queryByText('Latest')).toBeNull();

    await h.user.click(within(detail).getByRole('button', { name: /Back to store/ }));
    expect(screen.queryByTestId('software-detail')).toBeNull();
    const open = within(await card('sketchpad')).getByRole('button', { name: 'Sketchpad' });
    expect(document.activeElement).toBe(open);
  });

  it('buys for this device: the confirmation names it, then it is yours and Owned', async () => {
    await publish('sketchpad', 'Sketchpad', 499);
    const { device } = await h.device.core.getStatus();
    await openStore();

    const dialog = await openBuyDialog('sketchpad', 'Sketchpad', 'Buy — $4.99');
    expect(dialog.getAttribute('role')).toBe('dialog');
    expect(within(dialog).getByRole('heading', { name: 'Buy Sketchpad?' })).toBeTruthy();
    expect(dialog.textContent).toMatch(/You will be charged \$4\.99, once/);
    expect(within(dialog).getByTestId('buy-device-name').textContent).toBe('Studio PC');
    expect(within(dialog).getByTestId('buy-device').textContent).toContain(`(ID ${device.shortId})`);
    expect(await h.device.core.getLibrary()).toEqual([]);

    await h.user.click(within(dialog).getByRole('button', { name: 'Confirm purchase' }));
    const done = await screen.findByRole('dialog', { name: 'Sketchpad is yours' });
    expect(within(done).getByTestId('buy-success').textContent).toMatch(
      /registered to Studio PC\. Install it from your library\.Charged \$4\.99\./,
    );

    await h.user.click(within(done).getByRole('button', { name: 'Keep browsing' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    const item = await card('sketchpad');
    await within(item).findByText('Owned');
    expect(await h.device.core.getLibrary()).toMatchObject([
      { softwareId: 'sketchpad', state: 'ready-to-install', registeredDeviceName: 'Studio PC' },
    ]);

    // Its detail page now says where it is instead of offering to buy it again.
    const detail = await openDetail('sketchpad', 'Sketchpad');
    expect(within(detail).getByTestId('detail-registered').textContent).toBe(
      'Registered to Studio PC (this device)',
    );
    expect(within(detail).queryByTestId('buy-button')).toBeNull();
  });

  it('gets a free program without a price, then leads to the library', async () => {
    await publish('hello-free', 'Hello Free', 0);
    await openStore();
    expect(within(await card('hello-free')).getByTestId('store-item-price').textContent).toBe('Free');

    const detail = await openDetail('hello-free', 'Hello Free');
    expect(within(detail).getByTestId('detail-price').textContent).toBe('Free');
    expect(within(detail).getByTestId('buy-button').textContent).toBe('Get — Free');
    await h.user.click(within(detail).getByTestId('buy-button'));
    const dialog = await screen.findByRole('dialog', { name: 'Get Hello Free?' });
    expect(dialog.textContent).toMatch(/It is free: nothing will be charged/);
    expect(dialog.textContent).not.toMatch(/\$/);

    await h.user.click(within(dialog).getByRole('button', { name: 'Confirm — get it free' }));
    const done = await screen.findByRole('dialog', { name: 'Hello Free is yours' });
    expect(done.textContent).toContain('Nothing was charged.');
    expect(done.textContent).not.toMatch(/\$|Charged/);

    await h.user.click(within(done).getByRole('button', { name: 'Go to library' }));
    expect(await screen.findByTestId('library-hello-free')).toBeTruthy();
    expect(screen.queryByTestId('store-screen')).toBeNull();
  });

  it('explains a failed purchase in the dialog and buys on a second try', async () => {
    await publish('sketchpad', 'Sketchpad', 499);
    await openStore();
    const dialog = await openBuyDialog('sketchpad', 'Sketchpad', 'Buy — $4.99');
    h.mock.faults.failNext(2, '/v1/purchases'); // the first try and the core's retry

    await h.user.click(within(dialog).getByRole('button', { name: 'Confirm purchase' }));
    const error = await within(dialog).findByTestId('buy-error');
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.textContent).toMatch(/The store had a problem/);
    expect(error.textContent).not.toMatch(/\b500\b|Error:/);
    expect(await h.device.core.getLibrary()).toEqual([]);

    await h.user.click(within(dialog).getByRole('button', { name: 'Confirm purchase' }));
    expect(await screen.findByRole('dialog', { name: 'Sketchpad is yours' })).toBeTruthy();
    expect(screen.queryByTestId('buy-error')).toBeNull();
    expect((await h.device.core.getLibrary()).map((item) => item.softwareId)).toEqual(['sketchpad']);
  });

  it('offline: buying says the store cannot be reached, the banner shows, the catalog stays', async () => {
    await publish('sketchpad', 'Sketchpad', 499);
    await publish('tracker', 'Tracker', 900);
    await openStore();
    await card('tracker');
    const dialog = await openBuyDialog('sketchpad', 'Sketchpad', 'Buy — $4.99');

    const { server } = h;
    await server.close();
    server.close = () => Promise.resolve(); // closed already when the harness closes

    await h.user.click(within(dialog).getByRole('button', { name: 'Confirm purchase' }));
    const error = await within(dialog).findByTestId('buy-error');
    expect(error.textContent).toMatch(/cannot reach the store/);
    expect(await screen.findByTestId('offline-banner')).toBeTruthy();
    expect(screen.getByTestId('online').textContent).toBe('Offline');

    await h.user.keyboard('{Escape}');
    await h.user.click(screen.getByRole('button', { name: /Back to store/ }));
    expect(await card('sketchpad')).toBeTruthy();
    expect(screen.getByTestId('store-item-tracker')).toBeTruthy();

    // Coming back to the store asks again; the failure is said, and the shelves stay full.
    await h.user.click(screen.getByTestId('nav-library'));
    await h.user.click(screen.getByTestId('nav-store'));
    const storeError = await screen.findByTestId('store-error');
    expect(storeError.textContent).toMatch(/cannot reach the store/);
    expect(screen.getByTestId('store-item-sketchpad')).toBeTruthy();
    expect(screen.getByTestId('store-item-tracker')).toBeTruthy();
  });

  it('shows a copy bought on another device as Owned, registered there', async () => {
    await publish('tracker', 'Tracker', 900);
    const other = await h.otherDevice(account, 'Old laptop');
    await other.core.buy({ softwareId: 'tracker' });
    await openStore();

    const item = await card('tracker');
    await within(item).findByText('Owned');
    const detail = await openDetail('tracker', 'Tracker');
    expect(within(detail).getByTestId('detail-registered').textContent).toBe('Registered to Old laptop');
    expect(within(detail).queryByTestId('buy-button')).toBeNull();
    expect(within(detail).getByRole('button', { name: 'Go to library' })).toBeTruthy();
  });

  it('catches up when a purchase finds the copy already owned on another device', async () => {
    await publish('tracker', 'Tracker', 900);
    const other = await h.otherDevice(account, 'Old laptop');
    await openStore();
    const dialog = await openBuyDialog('tracker', 'Tracker', 'Buy — $9.00');
    // Bought elsewhere after this window loaded the library.
    await other.core.buy({ softwareId: 'tracker' });

    await h.user.click(within(dialog).getByRole('button', { name: 'Confirm purchase' }));
    const error = await within(dialog).findByTestId('buy-error');
    expect(error.getAttribute('data-code')).toBe('ALREADY_REGISTERED');
    expect(error.textContent).toMatch(/You already own this copy; it is in your library\./);
    // The library is reloaded, so the page behind the dialog says where the copy is.
    const registered = await screen.findByTestId('detail-registered');
    expect(registered.textContent).toBe('Registered to Old laptop');
    expect(screen.queryByTestId('buy-button')).toBeNull();
  });
});
