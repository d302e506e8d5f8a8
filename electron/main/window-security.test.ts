/** The Electron window's options and the URL rules the main process enforces. */
import { describe, expect, it } from 'vitest';
import {
  externalLinkToOpen,
  isAppPageUrl,
  isAppResourceUrl,
  mainWindowOptions,
  WINDOW_WEB_PREFERENCES,
} from './window-security.ts';

describe('window security', () => {
  const page = 'file:///opt/Keyport/resources/app.asar/out/renderer/index.html';

  it('knows its own page, whatever the fragment', () => {
    expect(isAppPageUrl(`${page}#library`, page)).toBe(true);
    expect(isAppPageUrl('file:///opt/Keyport/resources/app.asar/out/renderer/other.html', page)).toBe(false);
    expect(isAppPageUrl('https://example.com/index.html', page)).toBe(false);
    expect(isAppPageUrl('not a url', page)).toBe(false);
  });

  it('allows only files inside the renderer folder', () => {
    const dir = 'file:///opt/Keyport/resources/app.asar/out/renderer';
    expect(isAppResourceUrl(`${dir}/assets/index.js`, dir)).toBe(true);
    expect(isAppResourceUrl(`${dir}/../main/index.js`, dir)).toBe(false);
    expect(isAppResourceUrl(`${dir}-evil/x.js`, dir)).toBe(false);
    expect(isAppResourceUrl('https://example.com/x.js', dir)).toBe(false);
  });

  it('opens only plain http(s) links outside', () => {
    expect(externalLinkToOpen('https://keyport.dev/help')).toBe('https://keyport.dev/help');
    expect(externalLinkToOpen('file:///etc/passwd')).toBeNull();
    expect(externalLinkToOpen('javascript:alert(1)')).toBeNull();
    expect(externalLinkToOpen('ms-settings:privacy')).toBeNull();
    expect(externalLinkToOpen('https://user@evil.example/')).toBeNull();
  });

  it('creates the window isolated, sandboxed and without Node.js', () => {
    const options = mainWindowOptions('/app/out/preload/index.cjs');
    expect(options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
      preload: '/app/out/preload/index.cjs',
    });
    expect(WINDOW_WEB_PREFERENCES.allowRunningInsecureContent).toBe(false);
  });
});
