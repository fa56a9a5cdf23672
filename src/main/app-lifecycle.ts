/** Process-level behaviour of the app: one instance, and a quit that lets the server shut down cleanly. */

interface SingleInstanceApp {
  requestSingleInstanceLock(): boolean;
  on(event: 'second-instance', listener: () => void): unknown;
  quit(): void;
}

/**
 * Two instances would open the same SQLite file and data dir. The second launch quits at once and the
 * first one brings its window forward. Returns false in the instance that must quit.
 */
export function claimSingleInstance(app: SingleInstanceApp, focusExistingWindow: () => void): boolean {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return false;
  }
  app.on('second-instance', focusExistingWindow);
  return true;
}

interface QuittableApp {
  on(event: 'before-quit', listener: (event: { preventDefault(): void }) => void): unknown;
  quit(): void;
  exit(code: number): void;
}

export interface GracefulQuitOptions {
  /** Stops accepting, checkpoints running transcodes and closes the stores. */
  shutdown(): Promise<void>;
  /** A stuck shutdown must not keep a zombie app alive. */
  deadlineMs: number;
  onError(error: unknown): void;
}

/**
 * Holds the first quit until the server has shut down, then quits for real. A shutdown that fails or
 * overruns its deadline ends the process with exit code 1.
 */
export function installGracefulQuit(app: QuittableApp, options: GracefulQuitOptions): void {
  let state: 'running' | 'stopping' | 'stopped' = 'running';
  app.on('before-quit', (event) => {
    if (state === 'stopped') return;
    event.preventDefault();
    if (state === 'stopping') return;
    state = 'stopping';
    let timer: NodeJS.Timeout | undefined;
    const overrun = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`shutdown took longer than ${options.deadlineMs} ms`)), options.deadlineMs);
    });
    Promise.race([options.shutdown(), overrun]).then(
      () => {
        clearTimeout(timer);
        state = 'stopped';
        app.quit();
      },
      (error: unknown) => {
        clearTimeout(timer);
        options.onError(error);
        state = 'stopped';
        app.exit(1);
      },
    );
  });
}
