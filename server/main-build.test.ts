import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_SERVER, type ServerProcess, spawnBuiltServer } from '../test/support/server-process.js';

const root = path.resolve(import.meta.dirname, '..');
const SERVERS = 20;
const AT_ONCE = 5;

describe('the built headless server (node out/main/server.js, as npm run serve and the systemd unit run it)', () => {
  beforeAll(() => {
    // `npm test` builds before vitest; a lone run of this file builds here.
    if (!fs.existsSync(BUILT_SERVER)) {
      execFileSync(process.execPath, [path.join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'], { cwd: root, stdio: 'ignore' });
    }
  }, 120_000);

  const started: ServerProcess[] = [];
  const start = () => {
    const server = spawnBuiltServer();
    started.push(server);
    return server;
  };
  /** As systemd's default KillMode=control-group does: the signal goes to every process of the group. */
  const signalGroup = (server: ServerProcess, signal: NodeJS.Signals) => {
    try {
      process.kill(-server.child.pid!, signal);
    } catch {
      // ESRCH: the group is gone already.
    }
  };
  afterEach(() => {
    for (const server of started.splice(0)) {
      signalGroup(server, 'SIGKILL');
      fs.rmSync(server.dataDir, { recursive: true, force: true });
    }
  });

  it('starts with plain node and serves the app page', async () => {
    const server = start();
    const url = await server.listening;
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Veza</title>');
    signalGroup(server, 'SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
  });

  it(`${SERVERS} SIGTERMs to the process group: ${SERVERS} exits 0 (never 143, never a signal)`, async () => {
    const stop = async (server: ServerProcess) => {
      await server.listening;
      signalGroup(server, 'SIGTERM');
      return server.exited;
    };
    const exits = [];
    for (let round = 0; round < SERVERS / AT_ONCE; round += 1) {
      exits.push(...(await Promise.all(Array.from({ length: AT_ONCE }, () => stop(start())))));
    }
    expect(exits).toEqual(Array(SERVERS).fill({ code: 0, signal: null }));
  }, 120_000);

  it('more SIGTERMs while stopping are ignored: still exit 0', async () => {
    const stopRepeatedly = async (server: ServerProcess) => {
      await server.listening;
      // One every 2 ms until it exits, so some surely land while it is stopping, however fast that is.
      const repeat = setInterval(() => signalGroup(server, 'SIGTERM'), 2);
      try {
        return await server.exited;
      } finally {
        clearInterval(repeat);
      }
    };
    const exits = await Promise.all(Array.from({ length: AT_ONCE }, () => stopRepeatedly(start())));
    expect(exits).toEqual(Array(AT_ONCE).fill({ code: 0, signal: null }));
  });
});
