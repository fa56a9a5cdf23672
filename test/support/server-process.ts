import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const repoRoot = path.resolve(import.meta.dirname, '../..');

export interface ServerProcess {
  child: ChildProcess;
  dataDir: string;
  /** Resolves with the URL from the `Veza listening on …` line. */
  listening: Promise<string>;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The build of the headless entry that `npm run serve` and the systemd unit run with node. */
export const BUILT_SERVER = path.join(repoRoot, 'out/main/server.js');

const newDataDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'veza-proc-'));

/**
 * Runs the headless entry from source (`server/main.ts`) in ONE process (`node --import tsx`, not the
 * tsx wrapper that forks a child) so signals and SIGKILL reach the server.
 */
export function spawnServer(env: Record<string, string> = {}, dataDir = newDataDir()): ServerProcess {
  return spawnNode(['--import', 'tsx', 'server/main.ts'], false, env, dataDir);
}

/** Runs BUILT_SERVER as the unit does: plain node, leading its own process group (signal it with -pid). */
export function spawnBuiltServer(env: Record<string, string> = {}, dataDir = newDataDir()): ServerProcess {
  return spawnNode([BUILT_SERVER], true, env, dataDir);
}

function spawnNode(args: string[], detached: boolean, env: Record<string, string>, dataDir: string): ServerProcess {
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    detached,
    env: { ...process.env, VEZA_DATA_DIR: dataDir, VEZA_PORT: '0', VEZA_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const listening = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /^Veza listening on (http:\/\/\S+)$/m.exec(out);
      if (match) resolve(match[1]!);
    });
    void exited.then(({ code }) => reject(new Error(`server exited with ${code} before listening: ${err}`)));
  });
  listening.catch(() => undefined);
  return { child, dataDir, listening, stdout: () => out, stderr: () => err, exited };
}
