import { io, type Socket } from 'socket.io-client';
import type { ErrorCode } from '../../../shared/errors';
import { SOCKET_PATH } from '../../../shared/routes';
import type { AckResult, ClientToServerEvents, ServerToClientEvents } from './types';

type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** What the connection banner shows. */
export type ConnectionState = 'connecting' | 'online' | 'reconnecting' | 'offline';

/** Ack failures and timeouts become one error type the UI can show. */
export class SocketRequestError extends Error {
  constructor(
    readonly code: ErrorCode | 'TIMEOUT',
    message: string,
  ) {
    super(message);
    this.name = 'SocketRequestError';
  }
}

type AckPayload<E extends keyof ClientToServerEvents> = Parameters<ClientToServerEvents[E]>[0];
type AckValue<E extends keyof ClientToServerEvents> =
  Parameters<ClientToServerEvents[E]>[1] extends ((result: AckResult<infer T>) => void) | undefined ? T : never;
/** Client events whose acknowledgement is optional: the ones sent without waiting for an answer. */
type NoticeEvent = { [E in keyof ClientToServerEvents]: undefined extends Parameters<ClientToServerEvents[E]>[1] ? E : never }[keyof ClientToServerEvents];

/**
 * What features can listen to: the server's events, plus `connect` (after every connection, the first
 * and each reconnect) and `reconnect` (only when a lost link came back: state may have been missed).
 */
interface SocketEvents extends ServerToClientEvents {
  connect: () => void;
  reconnect: () => void;
}

export interface SocketClient {
  state(): ConnectionState;
  subscribe(listener: () => void): () => void;
  /** Connected right now (sends are only attempted then; the outbox waits for `connect` otherwise). */
  isConnected(): boolean;
  /** Listens to one event; the returned function stops listening (an effect's cleanup). */
  on<E extends keyof SocketEvents>(event: E, handler: SocketEvents[E]): () => void;
  /** Emits with an acknowledgement; rejects with SocketRequestError on `{ ok: false }` or timeout. */
  request<E extends keyof ClientToServerEvents>(event: E, payload: AckPayload<E>, timeoutMs?: number): Promise<AckValue<E>>;
  /** Emits without waiting for an answer, and only while connected: a stale notice is worth nothing later. */
  notify<E extends NoticeEvent>(event: E, payload: AckPayload<E>): void;
  close(): void;
}

/**
 * One socket.io connection per signed-in session. socket.io reconnects by itself (with backoff);
 * this wrapper turns its events and the browser's online/offline into a state for the banner.
 */
export function createSocketClient(baseUrl: string, token: string): SocketClient {
  const socket: ChatSocket = io(baseUrl || undefined, {
    path: SOCKET_PATH,
    auth: { token },
    transports: ['websocket'],
    reconnectionDelay: 500,
    reconnectionDelayMax: 5000,
  });
  let state: ConnectionState = 'connecting';
  const listeners = new Set<() => void>();
  const set = (next: ConnectionState) => {
    if (next === state) return;
    state = next;
    for (const listener of listeners) listener();
  };
  socket.on('connect', () => set('online'));
  socket.on('disconnect', (reason) => {
    // A server-side kick does not reconnect by itself; a dropped link does.
    if (reason === 'io server disconnect') socket.connect();
    set(navigator.onLine ? 'reconnecting' : 'offline');
  });
  socket.on('connect_error', () => set(navigator.onLine ? 'reconnecting' : 'offline'));
  // The OS says the network is gone: stop now rather than wait for a ping timeout; sends queue up.
  const onOffline = () => {
    socket.disconnect();
    set('offline');
  };
  const onOnline = () => {
    if (!socket.connected) {
      set('reconnecting');
      socket.connect();
    }
  };
  window.addEventListener('offline', onOffline);
  window.addEventListener('online', onOnline);

  // socket.io's typed on/off do not accept a generic event name; each branch below is checked by SocketEvents.
  type AnyListener = (...args: never[]) => void;
  const untyped = socket as unknown as { on(event: string, handler: AnyListener): void; off(event: string, handler: AnyListener): void };

  return {
    state: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    isConnected: () => socket.connected,
    on(event, handler) {
      // `reconnect` is the manager's event (the underlying connection), every other one the socket's.
      const target = event === 'reconnect' ? (socket.io as unknown as typeof untyped) : untyped;
      target.on(event, handler);
      return () => target.off(event, handler);
    },
    request(event, payload, timeoutMs = 8000) {
      return new Promise((resolve, reject) => {
        // socket.io's timeout() variant puts an error first when no ack arrives in time.
        const emitter = socket.timeout(timeoutMs) as unknown as {
          emit(event: string, payload: unknown, ack: (error: Error | null, result: AckResult<object>) => void): void;
        };
        emitter.emit(event, payload, (error, result) => {
          if (error) reject(new SocketRequestError('TIMEOUT', 'The server did not answer in time.'));
          else if (!result.ok) reject(new SocketRequestError(result.error.code, result.error.message));
          else resolve(result as never);
        });
      });
    },
    notify(event, payload) {
      if (!socket.connected) return;
      (socket as unknown as { emit(event: string, payload: unknown): void }).emit(event, payload);
    },
    close() {
      window.removeEventListener('offline', onOffline);
      window.removeEventListener('online', onOnline);
      socket.close();
    },
  };
}
