import fs from 'node:fs';
import path from 'node:path';
import type { ServerInfoFile } from '../src/shared/api.js';
import { type App, buildApp, ownerDisplayName } from './app.js';
import type { Config } from './config.js';
import { hashToken } from './infra/auth/tokens.js';

export interface RunningServer {
  app: App;
  url: string;
  ownerToken: string;
  /** Stops accepting, lets running work checkpoint, closes stores. Idempotent. */
  stop(): Promise<void>;
}

/** Writes a file readable by its owner only, atomically (readers never see half a file). */
function writePrivateFile(file: string, content: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, content, { mode: 0o600 });
  fs.chmodSync(temp, 0o600);
  fs.renameSync(temp, file);
}

/** Team instances may share a data dir: only the instance that wrote server.json removes it. */
function removeIfOurs(infoFile: string): void {
  try {
    const info = JSON.parse(fs.readFileSync(infoFile, 'utf8')) as ServerInfoFile;
    if (info.pid === process.pid) fs.rmSync(infoFile, { force: true });
  } catch {
    // missing or unreadable: nothing of ours to remove
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface LaunchTokenEntry {
  pid: number;
  hash: string;
}

/**
 * Which owner tokens this data dir's instances issued (hashes only). Team instances share the owner, so
 * a start cannot revoke every launch token as solo does; it revokes those of instances no longer running.
 */
function readLaunchTokens(file: string): LaunchTokenEntry[] {
  try {
    const entries: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    return Array.isArray(entries) ? entries.filter((entry): entry is LaunchTokenEntry => Number.isInteger(entry?.pid) && typeof entry?.hash === 'string') : [];
  } catch {
    return [];
  }
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Builds, listens, and publishes server.json. Shared by the headless entry and the Electron main
 * process, so both start the server the same way.
 */
export async function startServer(config: Config, options: { writeInfoFile?: boolean } = {}): Promise<RunningServer> {
  const app = await buildApp(config);
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  app.hostPolicy.bindPort(port);
  const url = `http://${urlHost(config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host)}:${port}`;
  const launchFile = path.join(config.dataDir, 'launch-tokens.json');
  const launches = readLaunchTokens(launchFile);
  const running = launches.filter((entry) => entry.pid !== process.pid && isRunning(entry.pid));
  const ownerToken = await app.accounts.issueOwnerToken({
    revokePrevious: config.mode === 'solo',
    revokeHashes: launches.filter((entry) => !running.includes(entry)).map((entry) => entry.hash),
    displayName: ownerDisplayName(),
  });
  writePrivateFile(launchFile, JSON.stringify([...running, { pid: process.pid, hash: hashToken(ownerToken) }]));

  const infoFile = path.join(config.dataDir, 'server.json');
  if (options.writeInfoFile !== false) {
    const info: ServerInfoFile = { url, pid: process.pid, mode: config.mode, owner_token: ownerToken };
    writePrivateFile(infoFile, `${JSON.stringify(info, null, 2)}\n`);
  }

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await app.close();
      if (options.writeInfoFile !== false) removeIfOurs(infoFile);
    })());
  return { app, url, ownerToken, stop };
}
