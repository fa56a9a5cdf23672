/**
 * Main answers IPC only after two checks: the sender is the app's own top-level page (not an iframe,
 * not a page that navigated elsewhere), and the arguments have the exact shape the contract names.
 */
import { IpcChannel, type IpcContract, type IpcMethod } from '../shared/ipc.js';

export class IpcRejection extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IpcRejection';
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Settings are a handful of short fields; anything bigger is not a settings object. */
const MAX_SETTINGS_JSON = 16 * 1024;

function expectCount(args: readonly unknown[], count: number): void {
  if (args.length !== count) throw new IpcRejection(`expected ${count} argument(s), got ${args.length}`);
}

const noArguments = (args: readonly unknown[]): [] => {
  expectCount(args, 0);
  return [];
};

/** One validator per channel: returns the arguments typed, or throws IpcRejection. */
export const ipcArgumentValidators = {
  getConnection: noArguments,
  pickAudioFiles: noArguments,
  getSettings: noArguments,
  getAppInfo: noArguments,
  revealTrackFiles: (args: readonly unknown[]): [trackId: string] => {
    expectCount(args, 1);
    const [trackId] = args;
    if (typeof trackId !== 'string' || !UUID.test(trackId)) throw new IpcRejection('trackId must be a UUID');
    return [trackId.toLowerCase()];
  },
  /** Only the outer shape here; the handler runs validateSettings and answers field errors to the panel. */
  setSettings: (args: readonly unknown[]): [settings: Record<string, unknown>] => {
    expectCount(args, 1);
    const [settings] = args;
    if (typeof settings !== 'object' || settings === null || Array.isArray(settings) || Object.getPrototypeOf(settings) !== Object.prototype) {
      throw new IpcRejection('settings must be a plain object');
    }
    if (JSON.stringify(settings).length > MAX_SETTINGS_JSON) throw new IpcRejection('settings object is too large');
    return [settings as Record<string, unknown>];
  },
} satisfies { [K in IpcMethod]: (args: readonly unknown[]) => unknown[] };

type ValidatedArgs<K extends IpcMethod> = ReturnType<(typeof ipcArgumentValidators)[K]>;

export type IpcHandlers = {
  [K in IpcMethod]: (...args: ValidatedArgs<K>) => Promise<IpcContract[K]['result']> | IpcContract[K]['result'];
};

/** The parts of Electron's IpcMainInvokeEvent the sender check reads. */
export interface IpcSenderEvent {
  senderFrame: { url: string; parent: unknown } | null;
}

/** IPC is answered only for the top frame showing the app itself, never for a page that navigated elsewhere. */
export function isTrustedSender(event: IpcSenderEvent, appOrigin: string | null): boolean {
  const frame = event.senderFrame;
  if (!frame || frame.parent !== null || !appOrigin) return false;
  try {
    return new URL(frame.url).origin === appOrigin;
  } catch {
    return false;
  }
}

export interface IpcRegistrar<E extends IpcSenderEvent> {
  handle(channel: string, listener: (event: E, ...args: unknown[]) => unknown): void;
}

/**
 * Registers every channel of the contract (a missing handler is a type error) behind the sender and
 * argument checks. Rejections are logged and answered with a generic error.
 */
export function registerIpcHandlers<E extends IpcSenderEvent>(
  ipc: IpcRegistrar<E>,
  handlers: IpcHandlers,
  options: { appOrigin(): string | null; onRejected(channel: string, reason: string): void },
): void {
  for (const method of Object.keys(IpcChannel) as IpcMethod[]) {
    const channel = IpcChannel[method];
    ipc.handle(channel, async (event, ...args) => {
      if (!isTrustedSender(event, options.appOrigin())) {
        options.onRejected(channel, 'untrusted sender');
        throw new IpcRejection('untrusted sender');
      }
      let validated: unknown[];
      try {
        validated = ipcArgumentValidators[method](args);
      } catch (error) {
        options.onRejected(channel, (error as Error).message);
        throw error;
      }
      const handler = handlers[method] as (...a: unknown[]) => unknown;
      return handler(...validated);
    });
  }
}
