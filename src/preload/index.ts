import { contextBridge, ipcRenderer } from 'electron';
import { IpcChannel, type VezaBridge } from '../shared/ipc.js';

const veza: VezaBridge = {
  getConnection: () => ipcRenderer.invoke(IpcChannel.getConnection),
};

contextBridge.exposeInMainWorld('veza', veza);
