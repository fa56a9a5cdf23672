#!/usr/bin/env node
/**
 * `npm start`: builds with electron-vite and launches Electron. Where the Electron binary is missing
 * (its download is blocked, as on offline CI machines) it says so plainly and exits non-zero.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/**
 * Path of the Electron binary, or the reason there is none. Reads what `require('electron')` reads, without
 * requiring it: since Electron 45 that require tries to download the binary on the spot.
 */
function electronBinary() {
  let packageDir;
  try {
    packageDir = path.dirname(require.resolve('electron/package.json'));
  } catch {
    return { reason: 'the electron package is not installed' };
  }
  const pathFile = path.join(packageDir, 'path.txt');
  if (!fs.existsSync(pathFile)) return { reason: 'its binary was never downloaded (node_modules/electron/path.txt is missing)' };
  const relative = fs.readFileSync(pathFile, 'utf8').trim();
  const distDir = process.env.ELECTRON_OVERRIDE_DIST_PATH ?? path.join(packageDir, 'dist');
  const binary = path.join(distDir, relative);
  return fs.existsSync(binary) ? { binary } : { reason: `the Electron binary is not at ${binary}` };
}

const build = spawnSync('npx', ['electron-vite', 'build'], { stdio: 'inherit', shell: process.platform === 'win32' });
if (build.status !== 0) process.exit(build.status ?? 1);

const found = electronBinary();
if (!found.binary) {
  console.error(`\nElectron cannot start here: ${found.reason}.`);
  console.error('Its binary is downloaded on install (node node_modules/electron/install.js), which needs network.');
  console.error('To use Veza without Electron, run the same server headless: npm run serve');
  process.exit(1);
}
const app = spawnSync(found.binary, ['.', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(app.status ?? 1);
