import { test as base } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { type ServerProcess, spawnServer } from '../../test/support/server-process.js';

export interface VezaServer {
  url: string;
  ownerToken: string;
  process: ServerProcess;
}

/**
 * A headless Veza server started for each test file, on a free port with its own data dir.
 * `test.use({ serverEnv: { VEZA_HLS: 'false' } })` starts it with other settings.
 */
export const test = base.extend<object, { server: VezaServer; serverEnv: Record<string, string> }>({
  serverEnv: [{}, { option: true, scope: 'worker' }],
  server: [
    async ({ serverEnv }, use) => {
      const process = spawnServer(serverEnv);
      const url = await process.listening;
      const ownerToken = JSON.parse(fs.readFileSync(path.join(process.dataDir, 'server.json'), 'utf8')).owner_token as string;
      await use({ url, ownerToken, process });
      process.child.kill('SIGTERM');
      await process.exited;
      fs.rmSync(process.dataDir, { recursive: true, force: true });
    },
    { scope: 'worker' },
  ],
});

export { expect } from '@playwright/test';
