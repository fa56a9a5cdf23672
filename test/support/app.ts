import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { type App, buildApp } from '../../server/app.js';
import { type Config, loadConfig } from '../../server/config.js';

export const TEST_PORT = 4873;
export const TEST_HOST = `127.0.0.1:${TEST_PORT}`;

export interface TestApp {
  app: App;
  config: Config;
  /** `app.inject` with an allowed Host header unless the test sets one. */
  request(options: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/** A ready app on a temp data dir (SQLite unless the env says otherwise), no port opened. */
export async function makeTestApp(env: Record<string, string> = {}, overrides: Partial<Config> = {}): Promise<TestApp> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'veza-test-'));
  const config = loadConfig({ VEZA_DATA_DIR: dataDir, VEZA_PORT: String(TEST_PORT), VEZA_LOG_LEVEL: 'silent', ...env }, overrides);
  const app = await buildApp(config);
  await app.ready();
  return {
    app,
    config,
    request: (options) => app.inject({ ...options, headers: { host: TEST_HOST, ...options.headers } }),
    close: async () => {
      await app.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
