import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import { type Database, openDatabase } from './db/database.js';
import { openKeyValueStore } from './kv/index.js';
import type { KeyValueStore } from './kv/kv.port.js';

declare module 'fastify' {
  interface FastifyInstance {
    db: Database;
    kv: KeyValueStore;
  }
}

/** Opens the database and key-value store once; closing the app closes both. */
async function storesPlugin(app: FastifyInstance, { config }: { config: Config }) {
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const db = await openDatabase({ url: config.databaseUrl, sqlitePath: path.join(config.dataDir, 'veza.db'), log: app.log, synchronous: config.sqliteSynchronous });
  let kv: KeyValueStore;
  try {
    kv = await openKeyValueStore(config.redisUrl);
  } catch (error) {
    await db.close();
    throw error;
  }
  app.decorate('db', db);
  app.decorate('kv', kv);
  // Runs after every feature's own onClose (hooks run in reverse), so nothing writes into a closed store.
  app.addHook('onClose', async () => {
    await Promise.allSettled([db.close(), kv.close()]);
  });
}

export const stores = fp(storesPlugin, { name: 'stores' });
