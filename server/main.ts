/**
 * Headless entry (`npm run serve` runs its build, out/main/server.js, with node): config from the
 * environment, listen, server.json, and a clean exit on SIGTERM/SIGINT. Everything else lives in app.ts
 * so the Electron main process runs the same server.
 */
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from './config.js';
import type { RunningServer } from './server-process.js';

const SHUTDOWN_DEADLINE_MS = 4500;
// Built, this file is out/main/server.js beside out/renderer; run from source (tsx) it is server/main.ts.
const RENDERER_FROM_HERE = import.meta.url.endsWith('.ts') ? '../out/renderer' : '../renderer';

function fail(message: string, code: number): never {
  process.stderr.write(`veza: ${message}\n`);
  process.exit(code);
}

function describeStartupError(error: unknown, host: string, port: number): string {
  if (error instanceof ConfigError) return error.message;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return `VEZA_PORT: ${host}:${port} is already in use (set another port, or 0 for any free port)`;
  if (code === 'EADDRNOTAVAIL') return `VEZA_HOST: ${host} is not an address of this machine`;
  if (code === 'EACCES') return `cannot listen on ${host}:${port} or write the data dir (permission denied)`;
  return `cannot start: ${(error as Error).message}`;
}

async function main() {
  // Signals are heard from the first instant: one during start-up waits for the start, then stops cleanly.
  let starting: Promise<RunningServer> | undefined = undefined;
  let isStopping = false;
  const shutdown = (signal: string) => {
    if (isStopping) return;
    isStopping = true;
    setTimeout(() => fail('shutdown took too long, exiting', 1), SHUTDOWN_DEADLINE_MS).unref();
    if (!starting) return process.exit(0);
    starting
      .then((server) => {
        server.app.log.info({ signal }, 'shutting down');
        return server.stop();
      })
      .then(
        () => process.exit(0),
        (error: unknown) => fail(`shutdown failed: ${(error as Error).message}`, 1),
      );
  };
  // `on`, not `once`: a second signal while stopping (systemd signals the whole group) must not kill us.
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  let config;
  try {
    config = loadConfig(process.env, {
      rendererDir: process.env.VEZA_RENDERER_DIR ?? fileURLToPath(new URL(RENDERER_FROM_HERE, import.meta.url)),
    });
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message, 2);
    throw error;
  }

  // Loaded only now: the server's module graph takes a while, and a signal may already be on its way.
  starting = import('./server-process.js').then(({ startServer }) => startServer(config));
  const server = await starting.catch((error: unknown) => {
    if (isStopping) process.exit(0);
    return fail(describeStartupError(error, config.host, config.port), 1);
  });
  if (isStopping) return;
  process.stdout.write(`Veza listening on ${server.url}\n`);
  // The owner's one-click sign-in: the token rides in the fragment, which browsers never send to servers.
  if (process.stdout.isTTY) process.stdout.write(`Open as owner: ${server.url}/#owner_token=${server.ownerToken}\n`);
}

void main();
