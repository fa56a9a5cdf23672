import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../test/support/free-port.js';
import { claimSingleInstance, installGracefulQuit } from './app-lifecycle.js';

/** Stands in for Electron's `app`: the quit protocol is events plus quit()/exit(). */
class FakeApp extends EventEmitter {
  quits = 0;
  exitCode: number | null = null;
  constructor(private readonly hasLock = true) {
    super();
  }
  requestSingleInstanceLock() {
    return this.hasLock;
  }
  quit() {
    this.quits++;
    const event = { isPrevented: false, preventDefault() { this.isPrevented = true; } };
    this.emit('before-quit', event);
    return event;
  }
  exit(code: number) {
    this.exitCode = code;
  }
}

describe('claimSingleInstance', () => {
  it('the first instance keeps running and focuses its window on a second launch', () => {
    const app = new FakeApp(true);
    let focused = 0;
    expect(claimSingleInstance(app, () => focused++)).toBe(true);
    app.emit('second-instance');
    expect(focused).toBe(1);
    expect(app.quits).toBe(0);
  });

  it('a second instance quits at once', () => {
    const app = new FakeApp(false);
    expect(claimSingleInstance(app, () => undefined)).toBe(false);
    expect(app.quits).toBe(1);
  });
});

describe('installGracefulQuit', () => {
  it('holds the quit until the server has shut down, then quits for real', async () => {
    const app = new FakeApp();
    let finish!: () => void;
    let shutdowns = 0;
    installGracefulQuit(app, { deadlineMs: 5000, onError: () => undefined, shutdown: () => (shutdowns++, new Promise<void>((r) => (finish = r))) });
    expect(app.quit().isPrevented).toBe(true);
    expect(app.quit().isPrevented).toBe(true); // a second Cmd+Q while stopping does not start a second shutdown
    expect(shutdowns).toBe(1);
    finish();
    await waitFor(() => app.quits === 3 || undefined, { what: 'final quit' });
    expect(app.exitCode).toBeNull();
  });

  it('exits with code 1 when the shutdown fails', async () => {
    const app = new FakeApp();
    const errors: unknown[] = [];
    installGracefulQuit(app, { deadlineMs: 5000, onError: (e) => errors.push(e), shutdown: async () => Promise.reject(new Error('db close failed')) });
    app.quit();
    await waitFor(() => app.exitCode === 1 || undefined, { what: 'exit' });
    expect(String(errors[0])).toContain('db close failed');
  });

  it('exits when the shutdown overruns its deadline', async () => {
    const app = new FakeApp();
    const errors: unknown[] = [];
    installGracefulQuit(app, { deadlineMs: 50, onError: (e) => errors.push(e), shutdown: () => new Promise<void>(() => undefined) });
    app.quit();
    await waitFor(() => app.exitCode === 1 || undefined, { what: 'exit' });
    expect(String(errors[0])).toContain('longer than 50 ms');
  });
});
