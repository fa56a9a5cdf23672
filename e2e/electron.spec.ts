/**
 * The desktop app end to end, in a real Electron: launch, automatic sign-in as the owner, upload a track,
 * play it. Runs wherever an Electron binary exists (`npm run build` first); elsewhere every test skips
 * and the reason is printed.
 */
import { _electron as electron, type ElectronApplication, expect, type Page, test } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import type { VezaBridge } from '../src/shared/ipc.js';

/** The page's globals as these tests use them (this file compiles without the DOM library). */
interface PageGlobals {
  veza?: VezaBridge;
  require?: unknown;
  open(url: string): unknown;
  location: { href: string };
  document: { querySelector(selector: string): { currentTime: number } | null };
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Finds the Electron binary without `require('electron')`, which tries to download it since Electron 45. */
function findElectron(): { binary: string } | { reason: string } {
  let packageDir: string;
  try {
    packageDir = path.dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  } catch {
    return { reason: 'the electron package is not installed' };
  }
  const pathFile = path.join(packageDir, 'path.txt');
  if (!fs.existsSync(pathFile)) return { reason: 'the Electron binary was never downloaded (node_modules/electron/path.txt missing)' };
  const binary = path.join(process.env.ELECTRON_OVERRIDE_DIST_PATH ?? path.join(packageDir, 'dist'), fs.readFileSync(pathFile, 'utf8').trim());
  if (!fs.existsSync(binary)) return { reason: `no Electron binary at ${binary}` };
  if (!fs.existsSync(path.join(root, 'out/main/index.js'))) return { reason: 'the app is not built (run npm run build)' };
  return { binary };
}

const found = findElectron();
if ('reason' in found) console.log(`[electron.spec] skipped: ${found.reason}`);

test.describe('desktop app', () => {
  test.skip('reason' in found, 'reason' in found ? found.reason : '');

  let app: ElectronApplication;
  let page: Page;
  let dataDir: string;
  let userData: string;

  test.beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'veza-e2e-data-'));
    userData = fs.mkdtempSync(path.join(os.tmpdir(), 'veza-e2e-user-'));
    app = await electron.launch({
      executablePath: (found as { binary: string }).binary,
      args: [root, `--user-data-dir=${userData}`, '--autoplay-policy=no-user-gesture-required'],
      env: { ...process.env, VEZA_DATA_DIR: dataDir, VEZA_LOG_LEVEL: 'warn' },
    });
    page = await app.firstWindow();
  });

  test.afterAll(async () => {
    await app?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(userData, { recursive: true, force: true });
  });

  test('the window is isolated, sandboxed and exposes only window.veza', async () => {
    const preferences = await app.evaluate(({ BrowserWindow }) => {
      const contents = BrowserWindow.getAllWindows()[0]!.webContents as unknown as { getLastWebPreferences(): Record<string, unknown> };
      return contents.getLastWebPreferences();
    });
    expect(preferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false });
    expect(await page.evaluate(() => typeof (globalThis as unknown as PageGlobals).require)).toBe('undefined');
    expect(await page.evaluate(() => Object.keys((globalThis as unknown as PageGlobals).veza ?? {}).sort())).toEqual(
      ['getAppInfo', 'getConnection', 'getSettings', 'pickAudioFiles', 'revealTrackFiles', 'setSettings'],
    );
    expect(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBe(1);
  });

  test('signs the owner in automatically', async () => {
    const connection = await page.evaluate(() => (globalThis as unknown as PageGlobals).veza!.getConnection());
    expect(connection).toMatchObject({ mode: 'solo', url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
    expect(connection.token).toBeTruthy();
    await expect(page.getByText(/signed in as/i)).toBeVisible();
  });

  test('uploads a track and plays it', async () => {
    const wav = path.join(dataDir, 'e2e-tone.wav');
    // A real, decodable file: 3 s of a 440 Hz tone (FFmpeg is required by the server anyway).
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=3', '-y', wav]);
    // The renderer's upload control (drop zone / file input), as a user would use it.
    await page.locator('input[type=file]').setInputFiles(wav);
    const row = page.getByRole('listitem').filter({ hasText: 'e2e-tone' });
    await expect(row).toBeVisible({ timeout: 30_000 });
    await expect(row.getByText(/ready/i)).toBeVisible({ timeout: 60_000 });
    await row.getByRole('button', { name: /play/i }).click();
    await expect
      .poll(() => page.evaluate(() => (globalThis as unknown as PageGlobals).document.querySelector('audio')?.currentTime ?? 0), { timeout: 20_000 })
      .toBeGreaterThan(0.5);
  });

  test('refuses navigation away from the app and new windows', async () => {
    const before = page.url();
    await page.evaluate(() => (globalThis as unknown as PageGlobals).open('https://example.com/'));
    await page.evaluate(() => {
      (globalThis as unknown as PageGlobals).location.href = 'file:///etc/passwd';
    });
    await expect.poll(() => page.url()).toBe(before);
    expect(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBe(1);
  });
});
