/**
 * Exposes exactly one object, `window.veza`, with one function per IPC channel of the contract. The
 * page never sees ipcRenderer itself, so it cannot reach channels outside the contract.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { IpcChannel, type IpcMethod, type VezaBridge } from '../shared/ipc.js';

// The runtime check from inside the page: without isolation and sandbox the bridge would hand Node-backed
// functions to page scripts, so it is not exposed at all.
if (!process.contextIsolated || !process.sandboxed) {
  throw new Error('veza preload: refusing to run without contextIsolation and sandbox');
}

function invoker(method: IpcMethod) {
  const channel = IpcChannel[method];
  return (...args: unknown[]) => ipcRenderer.invoke(channel, ...args);
}

const veza = Object.freeze(
  Object.fromEntries((Object.keys(IpcChannel) as IpcMethod[]).map((method) => [method, invoker(method)])),
) as unknown as VezaBridge;

contextBridge.exposeInMainWorld('veza', veza);
