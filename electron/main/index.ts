/**
 * The Electron main process (DESIGN §5): one sandboxed window showing the renderer from
 * out/renderer over file://, the core behind IPC, and nothing reachable from the
 * page except the `AppApi` methods.
 *
 * Startup failure (e.g. no keychain answers) does not end the app: the window opens and
 * every call answers the startup error, so the renderer shows the sentence with what to
 * do, and its "Try again" retries opening the core (see `bridge/recovering-core.ts`). A dialog
 * would say the same thing less usefully and leave no way to recover in place.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { app, BrowserWindow, ipcMain, session, shell, type IpcMainInvokeEvent, type Session } from 'electron';
import { CONTENT_SECURITY_POLICY } from '../bridge/content-security-policy.ts';
import { defaultProfileDir, parseAppOptions, type AppOptions } from '../core/app-options.ts';
import { createKeyportCore } from '../core/keyport-core.ts';
import { forwardAppEvents, registerAppIpc } from './ipc.ts';
import { createRecoveringCore } from '../bridge/recovering-core.ts';
import { externalLinkToOpen, isAppPageUrl, isAppResourceUrl, mainWindowOptions } from './window-security.ts';

// out/main/index.js → out/renderer, out/preload (the layout electron-vite builds).
const here = path.dirname(fileURLToPath(import.meta.url));
const rendererDir = path.join(here, '..', 'renderer');
const indexHtml = path.join(rendererDir, 'index.html');
const preloadPath = path.join(here, '..', 'preload', 'index.cjs');
const appPageUrl = pathToFileURL(indexHtml).href;
const rendererDirUrl = pathToFileURL(rendererDir).href;

app.setName('Keyport');
// Every renderer is sandboxed, whatever a window's own options say.
app.enableSandbox();

// The profile is known before anything starts: it decides where Chromium keeps its own
// state, and with it the single-instance lock, so two profiles ("two devices", DESIGN §5)
// can run side by side while a second launch of the same profile focuses the first.
// Parsed once: bad options are reported in the window (opening the core fails with them).
let appOptions: { ok: true; value: AppOptions } | { ok: false; error: unknown };
try {
  appOptions = { ok: true, value: parseAppOptions(process.argv.slice(1)) };
} catch (error) {
  appOptions = { ok: false, error };
}
const profileDir = appOptions.ok ? appOptions.value.profileDir : defaultProfileDir();
app.setPath('userData', path.join(profileDir, 'electron'));

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  run();
}

function run(): void {
  const core = createRecoveringCore(async () => {
    if (!appOptions.ok) throw appOptions.error;
    return createKeyportCore(appOptions.value, { program: 'app' });
  });
  void core.ready().then((error) => {
    if (error) console.error(`Keyport could not start its core (${error.code}): ${error.message}`);
  });

  let mainWindow: BrowserWindow | null = null;

  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.show();
    mainWindow.focus();
  });

  // Every web contents, including any a bug might create: no navigation away from the
  // app's page, no new windows (http(s) links go to the OS browser), no <webview>.
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (details) => {
      if (!isAppPageUrl(details.url, appPageUrl)) details.preventDefault();
    });
    contents.on('will-redirect', (details) => {
      if (!isAppPageUrl(details.url, appPageUrl)) details.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      const link = externalLinkToOpen(url);
      if (link) void shell.openExternal(link);
      return { action: 'deny' };
    });
  });

  const isTrustedSender = (event: IpcMainInvokeEvent): boolean => {
    const frame = event.senderFrame;
    return (
      mainWindow !== null &&
      !mainWindow.isDestroyed() &&
      event.sender === mainWindow.webContents &&
      frame !== null &&
      frame.parent === null &&
      isAppPageUrl(frame.url, appPageUrl)
    );
  };

  const createWindow = (): void => {
    const win = new BrowserWindow(mainWindowOptions(preloadPath));
    mainWindow = win;
    win.once('ready-to-show', () => win.show());
    const stopEvents = forwardAppEvents(core, (channel, payload) => {
      if (!win.isDestroyed()) win.webContents.send(channel, payload);
    });
    win.on('closed', () => {
      stopEvents();
      if (mainWindow === win) mainWindow = null;
    });
    void win.loadFile(indexHtml);
  };

  void app.whenReady().then(() => {
    hardenSession(session.defaultSession);
    registerAppIpc({
      ipcMain,
      core,
      isTrustedSender,
      onRefused: (method, event) =>
        console.warn(
          `Refused "${method}" from a frame that is not the Keyport window: ${event.senderFrame?.url}`,
        ),
    });
    createWindow();
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) createWindow();
    });
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  // Close the core (keychain handles, downloads in flight) before the process ends.
  let closing = false;
  app.on('will-quit', (event) => {
    if (closing) return;
    closing = true;
    event.preventDefault();
    void core
      .close()
      .catch((error: unknown) => console.error('Keyport core did not close cleanly:', error))
      .finally(() => app.quit());
  });
}

/** No remote content, no permissions, and the CSP on every page of the app. */
function hardenSession(ses: Session): void {
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.webRequest.onBeforeRequest((details, callback) => {
    const allowed =
      isAppResourceUrl(details.url, rendererDirUrl) ||
      details.url.startsWith('devtools:') ||
      details.url.startsWith('data:');
    if (!allowed) console.warn(`Blocked a request the Keyport window should not make: ${details.url}`);
    callback({ cancel: !allowed });
  });
  ses.webRequest.onHeadersReceived((details, callback) => {
    if (!isAppResourceUrl(details.url, rendererDirUrl)) {
      callback({ responseHeaders: details.responseHeaders });
      return;
    }
    callback({
      responseHeaders: {
        ...details.responseHeaders,
        'Content-Security-Policy': [CONTENT_SECURITY_POLICY],
        'X-Content-Type-Options': ['nosniff'],
      },
    });
  });
}
