/**
 * Electron composition root: hosts the server in-process (solo, 127.0.0.1, any free port,
 * a fresh owner token per launch) and opens one secure window on it. Logic lives in plain modules.
 */
import { app, BrowserWindow, ipcMain, shell } from 'electron';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../server/config.js';
import { type RunningServer, startServer } from '../../server/server-process.js';
import { type ConnectionInfo, IpcChannel } from '../shared/ipc.js';
import { insecurePreferences, isTrustedSender, mainWindowOptions } from './window-options.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const preloadPath = path.join(here, '../preload/index.cjs');

async function launch(): Promise<void> {
  const config = loadConfig(process.env, {
    host: '127.0.0.1',
    port: 0,
    rendererDir: path.join(here, '../renderer'),
    dataDir: process.env.VEZA_DATA_DIR ?? path.join(app.getPath('userData'), 'data'),
  });
  const server: RunningServer = await startServer(config);
  const appOrigin = new URL(server.url).origin;
  const connection: ConnectionInfo = { url: server.url, token: server.ownerToken };

  ipcMain.handle(IpcChannel.getConnection, (event) => {
    if (!isTrustedSender(event.senderFrame?.url, appOrigin)) throw new Error('untrusted sender');
    return connection;
  });

  const options = mainWindowOptions(preloadPath);
  const problems = insecurePreferences(options.webPreferences ?? {}, preloadPath);
  if (problems.length > 0) throw new Error(`insecure webPreferences: ${problems.join(', ')}`);
  const window = new BrowserWindow(options);
  window.webContents.on('will-navigate', (event, url) => {
    if (new URL(url).origin !== appOrigin) event.preventDefault();
  });
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  window.once('ready-to-show', () => window.show());
  await window.loadURL(server.url);

  let isQuitting = false;
  app.on('before-quit', (event) => {
    if (isQuitting) return;
    isQuitting = true;
    event.preventDefault();
    void server.stop().finally(() => app.quit());
  });
}

app.on('window-all-closed', () => app.quit());
app.whenReady().then(launch).catch((error: unknown) => {
  console.error(error);
  app.exit(1);
});
