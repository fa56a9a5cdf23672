import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, type ApiClient, type UploadHandle } from '../../lib/api';
import type { SocketClient } from '../../lib/socket';
import type { HlsStatus, Track, TrackList, TrackStatusEvent } from '../../lib/types';
import { randomId } from '../../lib/format';

export interface UploadItem {
  id: string;
  fileName: string;
  /** 0–1 */
  progress: number;
  state: 'uploading' | 'failed';
  error: string | null;
}

export interface LibraryModel {
  tracks: Track[];
  uploads: UploadItem[];
  loading: boolean;
  error: string | null;
  uploadFiles(files: File[]): void;
  dismissUpload(id: string): void;
  rename(track: Track, title: string): Promise<void>;
  remove(track: Track): Promise<void>;
  /** Transcodes a track again (after a failure). */
  retry(track: Track): Promise<void>;
}

const applyStatus = (track: Track, event: TrackStatusEvent): Track => ({
  ...track,
  stream_status: event.stream_status,
  stream_progress: event.stream_progress,
  stream_manifest_url: event.stream_manifest_url,
  stream_error: event.stream_error,
});

/** Tracks, uploads (XHR progress) and live transcoding status (`track:status`). */
export function useLibrary(api: ApiClient, socket: SocketClient, onTrackGone?: (id: string) => void, onTrackChanged?: (track: Track) => void): LibraryModel {
  const [tracks, setTracks] = useState<Track[]>([]);
  const [uploads, setUploads] = useState<UploadItem[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  // Status events that arrive before the upload's answer (the job can start first).
  const early = useRef(new Map<string, TrackStatusEvent>());
  const handles = useRef(new Map<string, UploadHandle<Track>>());

  const reload = useCallback(() => {
    api.get<TrackList>('/tracks?limit=200').then(
      (list) => {
        setTracks(list.tracks);
        setError(null);
        setLoading(false);
      },
      (cause: unknown) => {
        setError(cause instanceof Error ? cause.message : 'The library could not be loaded.');
        setLoading(false);
      },
    );
  }, [api]);

  useEffect(() => {
    reload();
    const onStatus = (event: TrackStatusEvent) => {
      let known = false;
      setTracks((current) =>
        current.map((track) => {
          if (track.id !== event.track_id) return track;
          known = true;
          return applyStatus(track, event);
        }),
      );
      if (!known) early.current.set(event.track_id, event);
    };
    // Events missed while disconnected: the list is the truth after a reconnect.
    const onReconnect = () => reload();
    const offStatus = socket.on('track:status', onStatus);
    const offReconnect = socket.on('reconnect', onReconnect);
    const pending = handles.current;
    return () => {
      offStatus();
      offReconnect();
      for (const handle of pending.values()) handle.abort();
    };
  }, [api, socket, reload]);

  const uploadFiles = useCallback(
    (files: File[]) => {
      for (const file of files) {
        const id = randomId();
        setUploads((current) => [...current, { id, fileName: file.name, progress: 0, state: 'uploading', error: null }]);
        const form = new FormData();
        form.append('file', file, file.name);
        const handle = api.upload<Track>('/tracks', form, (progress) =>
          setUploads((current) => current.map((item) => (item.id === id ? { ...item, progress } : item))),
        );
        handles.current.set(id, handle);
        handle.result.then(
          (track) => {
            handles.current.delete(id);
            const event = early.current.get(track.id);
            early.current.delete(track.id);
            const fresh = event ? applyStatus(track, event) : track;
            setTracks((current) => [fresh, ...current.filter((t) => t.id !== track.id)]);
            setUploads((current) => current.filter((item) => item.id !== id));
          },
          (cause: unknown) => {
            handles.current.delete(id);
            const message = cause instanceof ApiError ? refusalMessage(cause) : 'The upload failed.';
            setUploads((current) => current.map((item) => (item.id === id ? { ...item, state: 'failed', error: message } : item)));
          },
        );
      }
    },
    [api],
  );

  const dismissUpload = useCallback((id: string) => setUploads((current) => current.filter((item) => item.id !== id)), []);

  const rename = useCallback(
    async (track: Track, title: string) => {
      const updated = await api.patch<Track>(`/tracks/${track.id}`, { title });
      setTracks((current) => current.map((t) => (t.id === track.id ? { ...t, title: updated.title, artist: updated.artist } : t)));
      onTrackChanged?.({ ...track, title: updated.title, artist: updated.artist });
    },
    [api, onTrackChanged],
  );

  const remove = useCallback(
    async (track: Track) => {
      await api.delete(`/tracks/${track.id}`);
      setTracks((current) => current.filter((t) => t.id !== track.id));
      onTrackGone?.(track.id);
    },
    [api, onTrackGone],
  );

  const retry = useCallback(
    async (track: Track) => {
      const status = await api.post<HlsStatus>(`/tracks/${track.id}/hls/transcode`);
      setTracks((current) =>
        current.map((t) => (t.id === track.id ? { ...t, stream_status: status.status, stream_progress: status.progress, stream_error: status.error } : t)),
      );
    },
    [api],
  );

  return { tracks, uploads, loading, error, uploadFiles, dismissUpload, rename, remove, retry };
}

/** The server's problem detail, with a hint on what to do for the common refusals. */
function refusalMessage(error: ApiError): string {
  switch (error.code) {
    case 'UNSUPPORTED_MEDIA':
      return `Refused: ${error.message}. Upload an audio file (WAV, FLAC, MP3, OGG, M4A…).`;
    case 'PAYLOAD_TOO_LARGE':
      return `Refused: ${error.message}.`;
    case 'RATE_LIMITED':
      return 'Too many uploads at once — try again in a moment.';
    default:
      return error.message;
  }
}
