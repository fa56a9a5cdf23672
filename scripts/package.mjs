#!/usr/bin/env node
/**
 * Builds installers: electron-vite build → better-sqlite3 rebuilt for Electron's ABI → electron-builder
 * (npmRebuild: false, fuses flipped) → better-sqlite3 rebuilt back for Node so tests and `npm run serve`
 * keep working. Needs network (Electron and its headers are downloaded) and Node ≥ 22.12 (Electron 45's
 * tooling). Usage: npm run dist -- --linux | --mac | --win  (extra arguments go to electron-builder)
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const electronVersion = require('electron/package.json').version;
const builderArgs = process.argv.slice(2);

function run(command, args) {
  console.log(`\n> ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.status !== 0) {
    console.error(`\n${command} failed (exit ${result.status ?? result.signal}).`);
    return false;
  }
  return true;
}

let ok = run('npx', ['electron-vite', 'build']);
ok &&= run('npx', ['@electron/rebuild', '--force', '--only', 'better-sqlite3', '--version', electronVersion]);
ok &&= run('npx', ['electron-builder', '--config', 'electron-builder.yml', '--publish', 'never', ...builderArgs]);
// Always put the Node build back, even after a failure, so the test suite is not left with Electron's ABI.
const restored = run('npm', ['rebuild', 'better-sqlite3']);
process.exit(ok && restored ? 0 : 1);
