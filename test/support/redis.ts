import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitFor } from './free-port.js';

export interface TestRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** Kills the server but keeps the port (fault tests); `start()` brings it back. */
  pause(): Promise<void>;
  start(): Promise<void>;
  /** SIGSTOP / SIGCONT: connections stay open and nothing answers (a hung host, a long GC pause). */
  freeze(): void;
  thaw(): void;
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setTimeout(500);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** A throwaway redis-server on a free port, no persistence. */
export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'veza-redis-'));
  let child: ChildProcess | null = null;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
      stdio: 'ignore',
    });
    const spawned = child;
    spawned.once('error', () => undefined);
    await waitFor(() => spawned.exitCode === null && ping(port), { what: `redis-server on port ${port} (is redis-server installed?)` });
  };
  const pause = async () => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGKILL');
    });
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    pause,
    freeze: () => void child?.kill('SIGSTOP'),
    thaw: () => void child?.kill('SIGCONT'),
    stop: async () => {
      (child as ChildProcess | null)?.kill('SIGCONT');
      await pause();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
