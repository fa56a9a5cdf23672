import { createContext, useContext, useSyncExternalStore } from 'react';
import type { User } from '../../../shared/api';
import type { ApiClient } from './api';
import type { ConnectionState, SocketClient } from './socket';

/** What the signed-in app hands to its features (no module singletons: one set per session). */
export interface AppServices {
  api: ApiClient;
  socket: SocketClient;
  user: User;
}

export const ServicesContext = createContext<AppServices | null>(null);

export function useServices(): AppServices {
  const services = useContext(ServicesContext);
  if (!services) throw new Error('useServices outside <ServicesContext>');
  return services;
}

export function useConnectionState(socket: SocketClient): ConnectionState {
  return useSyncExternalStore(socket.subscribe, socket.state);
}
