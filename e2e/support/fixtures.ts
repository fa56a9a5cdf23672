import { test as base } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { type ServerProcess, spawnServer } from '../../test/support/server-process.js';

interface VezaServer {
  url: string;
  ownerToken: string;
  process: ServerProcess;
}

/** A headless Veza server started for each test file, on a free port with its own data dir. */
export const test = base.extend<object, { server: VezaServer }>({
  server: [
    // eslint-disable-next-line no-empty-pattern -- Playwright requires the destructuring form
    async ({}, use) => {
      const process = spawnServer();
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
