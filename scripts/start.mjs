#!/usr/bin/env node
// `npm start`: build, then launch the desktop app. Where Electron's binary is missing (it downloads on
// first install, which some machines cannot do), say so plainly and point to the headless server.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const build = spawnSync('npx', ['electron-vite', 'build'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

let electronBinary;
try {
  electronBinary = createRequire(import.meta.url)('electron');
} catch (error) {
  console.error(
    '\nElectron cannot start on this machine: its binary is not installed ' +
      `(${error.message.split('\n')[0]}).\n` +
      'Run the same app in your browser instead:  npm run serve\n',
  );
  process.exit(1);
}
const result = spawnSync(electronBinary, ['.'], { stdio: 'inherit' });
process.exit(result.status ?? 1);
