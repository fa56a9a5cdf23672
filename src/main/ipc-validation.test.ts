import { describe, expect, it } from 'vitest';
import { IpcChannel, type IpcMethod } from '../shared/ipc.js';
import { type IpcHandlers, ipcArgumentValidators, IpcRejection, type IpcSenderEvent, isTrustedSender, registerIpcHandlers } from './ipc-validation.js';

const APP = 'http://127.0.0.1:40123';
const TRACK = '0b6f1c9e-6a57-4a1e-9f44-2b8f0b3c6d11';
const top = (url: string): IpcSenderEvent => ({ senderFrame: { url, parent: null } });

describe('isTrustedSender', () => {
  it('accepts only the top frame of the app origin', () => {
    expect(isTrustedSender(top(`${APP}/any/path`), APP)).toBe(true);
    expect(isTrustedSender(top('https://evil.example/'), APP)).toBe(false);
    expect(isTrustedSender(top('http://127.0.0.1:40124/'), APP)).toBe(false);
    expect(isTrustedSender({ senderFrame: { url: `${APP}/`, parent: {} } }, APP)).toBe(false);
    expect(isTrustedSender({ senderFrame: null }, APP)).toBe(false);
    expect(isTrustedSender(top('garbage'), APP)).toBe(false);
    expect(isTrustedSender(top(`${APP}/`), null)).toBe(false);
  });
});

describe('argument validators', () => {
  it('cover exactly the channels of the contract', () => {
    expect(Object.keys(ipcArgumentValidators).sort()).toEqual(Object.keys(IpcChannel).sort());
  });

  it('refuse arguments on argument-less channels', () => {
    for (const method of ['getConnection', 'pickAudioFiles', 'getSettings', 'getAppInfo'] as const) {
      expect(ipcArgumentValidators[method]([])).toEqual([]);
      expect(() => ipcArgumentValidators[method](['x']), method).toThrow(IpcRejection);
    }
  });

  it('revealTrackFiles takes one UUID and nothing that could name a path', () => {
    expect(ipcArgumentValidators.revealTrackFiles([TRACK.toUpperCase()])).toEqual([TRACK]);
    for (const bad of [['../../etc'], [`${TRACK}/../x`], [42], [], [TRACK, TRACK], [{ toString: () => TRACK }]]) {
      expect(() => ipcArgumentValidators.revealTrackFiles(bad), JSON.stringify(bad)).toThrow(IpcRejection);
    }
  });

  it('setSettings takes one small plain object', () => {
    expect(ipcArgumentValidators.setSettings([{ mode: 'solo' }])).toEqual([{ mode: 'solo' }]);
    for (const bad of [[], [null], ['solo'], [['solo']], [new Date()], [{ mode: 'solo' }, 1], [{ mode: 'x'.repeat(20_000) }]]) {
      expect(() => ipcArgumentValidators.setSettings(bad)).toThrow(IpcRejection);
    }
  });
});

/** An in-memory stand-in for ipcMain: records handlers so the test can invoke them as a page would. */
class RecordingIpc {
  readonly handlers = new Map<string, (event: IpcSenderEvent, ...args: unknown[]) => unknown>();
  handle(channel: string, listener: (event: IpcSenderEvent, ...args: unknown[]) => unknown) {
    this.handlers.set(channel, listener);
  }
  invoke(method: IpcMethod, event: IpcSenderEvent, ...args: unknown[]) {
    return Promise.resolve(this.handlers.get(IpcChannel[method])!(event, ...args));
  }
}

describe('registerIpcHandlers', () => {
  function setup() {
    const calls: unknown[][] = [];
    const rejected: string[] = [];
    const handlers: IpcHandlers = {
      getConnection: () => ({ url: APP, token: 't', mode: 'solo' }),
      pickAudioFiles: async () => [],
      revealTrackFiles: (id) => (calls.push(['reveal', id]), { ok: false, reason: 'not-found' }),
      getSettings: () => ({ mode: 'solo', dataDir: null }),
      setSettings: async (s) => (calls.push(['set', s]), { ok: false, code: 'CANCELLED' }),
      getAppInfo: () => ({ name: 'Veza', version: '0', platform: 'linux', versions: { electron: '', chrome: '', node: '' }, mode: 'solo', dataDir: null }),
    };
    const ipc = new RecordingIpc();
    registerIpcHandlers(ipc, handlers, { appOrigin: () => APP, onRejected: (channel, reason) => rejected.push(`${channel}: ${reason}`) });
    return { ipc, calls, rejected };
  }

  it('registers every channel of the contract', () => {
    expect([...setup().ipc.handlers.keys()].sort()).toEqual(Object.values(IpcChannel).sort());
  });

  it('answers the app page with validated arguments', async () => {
    const { ipc, calls } = setup();
    await expect(ipc.invoke('getConnection', top(`${APP}/`))).resolves.toEqual({ url: APP, token: 't', mode: 'solo' });
    await ipc.invoke('revealTrackFiles', top(`${APP}/`), TRACK);
    expect(calls).toEqual([['reveal', TRACK]]);
  });

  it('refuses foreign senders before any handler runs, on every channel', async () => {
    const { ipc, calls, rejected } = setup();
    for (const method of Object.keys(IpcChannel) as IpcMethod[]) {
      await expect(ipc.invoke(method, top('https://evil.example/'))).rejects.toThrow('untrusted sender');
    }
    await expect(ipc.invoke('setSettings', { senderFrame: { url: `${APP}/`, parent: {} } }, { mode: 'solo' })).rejects.toThrow('untrusted sender');
    expect(calls).toEqual([]);
    expect(rejected).toHaveLength(7);
  });

  it('refuses bad arguments before the handler runs', async () => {
    const { ipc, calls, rejected } = setup();
    await expect(ipc.invoke('revealTrackFiles', top(`${APP}/`), '../../../etc/passwd')).rejects.toThrow(IpcRejection);
    await expect(ipc.invoke('setSettings', top(`${APP}/`), 'solo')).rejects.toThrow(IpcRejection);
    expect(calls).toEqual([]);
    expect(rejected).toEqual(['veza:reveal-track-files: trackId must be a UUID', 'veza:set-settings: settings must be a plain object']);
  });
});
