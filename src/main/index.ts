/**
 * Electron composition root: wires the plain modules of src/main to Electron. Hosts the server in-process
 * (solo: 127.0.0.1, any free port, a fresh owner token per launch) or points the window at a team server,
 * as the settings say. No logic of its own beyond wiring: everything here is tested through its modules.
 */
import { app, BrowserWindow, dialog, ipcMain, Menu, Notification, screen, session, shell } from 'electron';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../../server/server-process.js';
import type { ConnectionInfo } from '../shared/ipc.js';
import { claimSingleInstance, installGracefulQuit } from './app-lifecycle.js';
import { appMenuTemplate } from './app-menu.js';
import { createDesktopApi } from './desktop-api.js';
import { chooseAudioFiles, confirmSettingsChange, nativeDialogs } from './dialogs.js';
import { registerIpcHandlers } from './ipc-validation.js';
import { embeddedServerConfig, ServerHost, unpackedAsarPath } from './server-host.js';
import { SettingsStore } from './settings-store.js';
import { TrackNotifier } from './track-notifier.js';
import { applySessionPolicy } from './session-policy.js';
import { openInBrowser } from './web-guards.js';
import { createSecureWindow, MIN_WINDOW_SIZE, mainWindowOptions } from './window-options.js';
import { loadWindowState, saveWindowState } from './window-state.js';

const SHUTDOWN_DEADLINE_MS = 8000;
const HELP_URL = 'https://github.com/veza-desktop/veza#readme';

const here = path.dirname(fileURLToPath(import.meta.url));
const preloadPath = path.join(here, '../preload/index.cjs');
const rendererDir = path.join(here, '../renderer');

function bundledFfmpeg(): string | null {
  try {
    const found = createRequire(import.meta.url)('ffmpeg-static') as string | null;
    return found ? unpackedAsarPath(found) : null;
  } catch {
    return null;
  }
}

async function launch(): Promise<void> {
  const userData = app.getPath('userData');
  const settingsStore = new SettingsStore(path.join(userData, 'settings.json'));
  const windowStateFile = path.join(userData, 'window-state.json');
  const host = new ServerHost({
    startServer,
    configFor: (settings) =>
      embeddedServerConfig(settings, {
        // VEZA_DATA_DIR lets the e2e suite and power users pick the solo data dir without the settings file.
        defaultDataDir: process.env.VEZA_DATA_DIR ?? path.join(userData, 'data'),
        rendererDir,
        ffmpegPath: bundledFfmpeg(),
        env: process.env,
      }),
  });
  const appOrigin = () => {
    const url = host.connection?.url;
    return url ? new URL(url).origin : null;
  };

  applySessionPolicy({
    app,
    session: session.defaultSession,
    shell,
    appOrigin,
    preloadPath,
    log: (message) => console.error(message),
  });
  const dialogs = nativeDialogs(dialog);

  let window: BrowserWindow | null = null;
  let notifier: TrackNotifier | null = null;
  const watchTracks = (connection: ConnectionInfo) => {
    notifier?.close();
    notifier = null;
    if (!connection.token || !Notification.isSupported()) return;
    notifier = new TrackNotifier({
      url: connection.url,
      token: connection.token,
      notify: ({ title, body }) => new Notification({ title, body }).show(),
    });
  };

  installGracefulQuit(app, {
    deadlineMs: SHUTDOWN_DEADLINE_MS,
    shutdown: async () => {
      notifier?.close();
      await host.stop();
    },
    onError: (error) => console.error('veza: shutdown failed', error),
  });

  const { settings, problem } = settingsStore.load();
  if (problem) console.warn(`veza: settings.json ignored (${problem}); starting in solo mode`);
  let connection: ConnectionInfo;
  try {
    connection = await host.start(settings);
  } catch (error) {
    // A team database that is down must not lock the user out of the app: fall back to solo for this launch.
    dialog.showErrorBox('Veza could not connect', `${(error as Error).message}\n\nStarting in Solo mode for now.`);
    connection = await host.start({ mode: 'solo', dataDir: null });
  }

  registerIpcHandlers(
    ipcMain,
    createDesktopApi({
      host,
      settingsStore,
      chooseAudioFiles: () => chooseAudioFiles(dialogs, window),
      confirmSettingsChange: (next) => confirmSettingsChange(dialogs, window, next),
      showInFolder: (fullPath) => shell.showItemInFolder(fullPath),
      appInfo: () => ({
        name: app.getName(),
        version: app.getVersion(),
        platform: process.platform,
        versions: { electron: process.versions.electron ?? '', chrome: process.versions.chrome ?? '', node: process.versions.node },
      }),
      onConnectionChanged: (next) => {
        watchTracks(next);
        void window?.loadURL(next.url);
      },
    }),
    { appOrigin, onRejected: (channel, reason) => console.warn(`veza: IPC ${channel} refused: ${reason}`) },
  );

  Menu.setApplicationMenu(
    Menu.buildFromTemplate(
      appMenuTemplate({
        platform: process.platform,
        appName: app.getName(),
        isDevelopment: !app.isPackaged,
        openDataFolder: () => void shell.openPath(host.dataDir ?? userData),
        openHelp: () => openInBrowser(shell, HELP_URL),
      }),
    ),
  );

  const mainWindow = createMainWindow(windowStateFile);
  window = mainWindow;
  mainWindow.on('closed', () => (window = null));
  watchTracks(connection);
  await mainWindow.loadURL(connection.url);
}

/** The one app window: secure preferences restated at the constructor, size and place remembered. */
function createMainWindow(windowStateFile: string): BrowserWindow {
  const state = loadWindowState(windowStateFile, screen.getAllDisplays().map((d) => d.workArea), MIN_WINDOW_SIZE);
  const mainWindow = createSecureWindow(
    (options) =>
      new BrowserWindow({
        ...options,
        // Restated at the constructor, so no options object can weaken them (and static checks see them).
        webPreferences: {
          ...options.webPreferences,
          contextIsolation: true,
          sandbox: true,
          nodeIntegration: false,
          webSecurity: true,
          disableBlinkFeatures: 'Auxclick',
        },
      }),
    mainWindowOptions(preloadPath, state?.bounds),
    preloadPath,
  );
  mainWindow.on('close', () => {
    if (mainWindow.isMinimized()) return;
    saveWindowState(windowStateFile, { bounds: mainWindow.getNormalBounds(), isMaximized: mainWindow.isMaximized() });
  });
  mainWindow.once('ready-to-show', () => {
    if (state?.isMaximized) mainWindow.maximize();
    mainWindow.show();
  });
  return mainWindow;
}

// Every renderer is sandboxed, whatever a future window's options say.
app.enableSandbox();

if (claimSingleInstance(app, () => focusMainWindow())) {
  app.on('window-all-closed', () => app.quit());
  process.once('SIGTERM', () => app.quit());
  process.once('SIGINT', () => app.quit());
  app
    .whenReady()
    .then(launch)
    .catch((error: unknown) => {
      console.error(error);
      dialog.showErrorBox('Veza could not start', (error as Error).message);
      app.exit(1);
    });
}

function focusMainWindow(): void {
  const [existing] = BrowserWindow.getAllWindows();
  if (!existing) return;
  if (existing.isMinimized()) existing.restore();
  existing.focus();
}
