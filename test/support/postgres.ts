import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.js';

export interface TestPostgres {
  /** Superuser URL of the `postgres` database. */
  url: string;
  port: number;
  stop(): void;
  /** Stops the server but keeps its data (fault tests); `start()` brings it back on the same port. */
  pause(): void;
  start(): void;
}

/** initdb/pg_ctl from PATH, else from Debian's versioned dir. */
function pgBinary(name: string): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (fs.existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  const debian = '/usr/lib/postgresql';
  if (fs.existsSync(debian)) {
    for (const version of fs.readdirSync(debian).sort().reverse()) {
      const candidate = path.join(debian, version, 'bin', name);
      if (fs.existsSync(candidate)) return candidate;
    }
  }
  throw new Error(`${name} not found: install PostgreSQL server binaries (apt-get install postgresql)`);
}

/** PostgreSQL refuses to run as root; as root we run it as the `postgres` system user. */
function runAsServerUser(command: string, args: string[], dir: string): void {
  const isRoot = process.getuid?.() === 0;
  if (isRoot) {
    const user = process.env.VEZA_TEST_PG_USER ?? 'postgres';
    execFileSync('chown', ['-R', user, dir]);
    execFileSync('runuser', ['-u', user, '--', command, ...args], { stdio: 'pipe' });
  } else {
    execFileSync(command, args, { stdio: 'pipe' });
  }
}

/**
 * A throwaway PostgreSQL on a free port in a temp dir, for one test run. With `keepIn` (benchmarks that
 * cache generated data) the server lives in that directory, is reused when it exists already, and
 * `stop()` keeps it.
 */
export async function startPostgres(keep: { keepIn?: string } = {}): Promise<TestPostgres> {
  const dir = keep.keepIn ?? fs.mkdtempSync(path.join(os.tmpdir(), 'veza-pg-'));
  const dataDir = path.join(dir, 'data');
  const port = await freePort();
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    fs.mkdirSync(dir, { recursive: true });
    runAsServerUser(pgBinary('initdb'), ['-D', dataDir, '-U', 'veza', '--auth=trust', '-E', 'UTF8', '--no-sync', '--locale=C'], dir);
  }
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
  const start = () => runAsServerUser(pgBinary('pg_ctl'), ['-D', dataDir, '-o', options, '-l', path.join(dir, 'log'), '-w', '-t', '30', 'start'], dir);
  const stopServer = (mode: 'fast' | 'immediate') => {
    try {
      runAsServerUser(pgBinary('pg_ctl'), ['-D', dataDir, '-m', mode, '-w', 'stop'], dir);
    } catch {
      // already stopped
    }
  };
  start();
  return {
    url: `postgres://veza@127.0.0.1:${port}/postgres`,
    port,
    start,
    pause: () => stopServer('fast'),
    stop: () => {
      if (keep.keepIn !== undefined) return stopServer('fast');
      stopServer('immediate');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh, empty database on the test server, so suites never see each other's rows. */
export async function createTestDatabase(serverUrl: string): Promise<string> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
