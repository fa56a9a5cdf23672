/**
 * Desktop notification when one of the user's tracks finishes transcoding. Main listens on the
 * server's own socket (the `track:status` event the server sends to the owner's sockets), so it works
 * the same whatever renderer view is open, and needs no hook into the server's internals.
 */
import { io, type Socket } from 'socket.io-client';
import { SOCKET_PATH } from '../../server/infra/socket.js';

export interface TrackNotification {
  trackId: string;
  title: string;
  body: string;
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim().slice(0, 200) : null;
}

/**
 * Reads a `track:status` payload. The server may send a status object (`track_id`, `status`) or a whole
 * track (`id`, `stream_status`, `title`); both are accepted. Null unless the track just became ready.
 */
export function readyNotification(payload: unknown): TrackNotification | null {
  if (typeof payload !== 'object' || payload === null) return null;
  const p = payload as Record<string, unknown>;
  const track = typeof p.track === 'object' && p.track !== null ? (p.track as Record<string, unknown>) : {};
  const trackId = text(p.track_id) ?? text(p.id) ?? text(track.id);
  const status = p.status ?? p.stream_status ?? track.stream_status;
  if (!trackId || status !== 'ready') return null;
  const title = text(p.title) ?? text(track.title);
  return { trackId, title: 'Track ready', body: title ? `“${title}” is ready to stream.` : 'Your track is ready to stream.' };
}

export interface TrackNotifierOptions {
  url: string;
  token: string;
  notify(notification: TrackNotification): void;
}

/** One socket per connected server; each track is announced once even if `ready` is repeated. */
export class TrackNotifier {
  private readonly socket: Socket;
  private readonly announced = new Set<string>();

  constructor(options: TrackNotifierOptions) {
    this.socket = io(options.url, { path: SOCKET_PATH, auth: { token: options.token }, transports: ['websocket'] });
    this.socket.on('track:status', (payload: unknown) => {
      const notification = readyNotification(payload);
      if (!notification || this.announced.has(notification.trackId)) return;
      this.announced.add(notification.trackId);
      options.notify(notification);
    });
  }

  /** Resolves once the socket is connected (tests and diagnostics). */
  connected(): Promise<void> {
    if (this.socket.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.socket.once('connect', () => resolve());
      this.socket.once('connect_error', reject);
    });
  }

  close(): void {
    this.socket.removeAllListeners();
    this.socket.disconnect();
  }
}
