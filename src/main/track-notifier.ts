/**
 * Desktop notification when one of the user's tracks finishes transcoding. Main listens on the
 * server's own socket (the `track:status` event the server sends to the owner's sockets), so it works
 * the same whatever renderer view is open, and needs no hook into the server's internals.
 */
import { io, type Socket } from 'socket.io-client';
import type { Track } from '../shared/api.js';
import { API_PREFIX, SOCKET_PATH } from '../shared/routes.js';
import type { ClientToServerEvents, ServerToClientEvents } from '../shared/socket-events.js';

export interface TrackNotification {
  trackId: string;
  title: string;
  body: string;
}

/** What a track that just became ready is announced with; the title is the track's (null: unknown). */
export function readyNotification(trackId: string, trackTitle: string | null): TrackNotification {
  const title = trackTitle?.trim().slice(0, 200);
  return { trackId, title: 'Track ready', body: title ? `“${title}” is ready to stream.` : 'Your track is ready to stream.' };
}

export interface TrackNotifierOptions {
  url: string;
  token: string;
  notify(notification: TrackNotification): void;
}

/** Asking for a title must not hold a notification back for long: past this, the generic body is shown. */
const TITLE_TIMEOUT_MS = 5000;

/** One socket per connected server; each track is announced once even if `ready` is repeated. */
export class TrackNotifier {
  private readonly socket: Socket<ServerToClientEvents, ClientToServerEvents>;
  private readonly announced = new Set<string>();

  constructor(private readonly options: TrackNotifierOptions) {
    this.socket = io(options.url, { path: SOCKET_PATH, auth: { token: options.token }, transports: ['websocket'] });
    this.socket.on('track:status', (event) => {
      if (event.stream_status !== 'ready' || this.announced.has(event.track_id)) return;
      this.announced.add(event.track_id);
      // The event says what changed, not what the track is called: the title comes from the API.
      void this.titleOf(event.track_id).then((title) => options.notify(readyNotification(event.track_id, title)));
    });
  }

  private async titleOf(trackId: string): Promise<string | null> {
    try {
      const response = await fetch(`${this.options.url}${API_PREFIX}/tracks/${encodeURIComponent(trackId)}`, {
        headers: { Authorization: `Bearer ${this.options.token}` },
        signal: AbortSignal.timeout(TITLE_TIMEOUT_MS),
      });
      if (!response.ok) return null;
      const track = (await response.json()) as Partial<Track>;
      return typeof track.title === 'string' ? track.title : null;
    } catch {
      return null; // the server is going away or slow: the notification still says the track is ready
    }
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
