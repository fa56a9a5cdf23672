import { useRef, useState, type DragEvent, type FormEvent } from 'react';
import { AUDIO_EXTENSIONS } from '../../../../shared/audio-files';
import { TRACK_TEXT_MAX_LENGTH } from '../../../../shared/limits';
import { formatTime } from '../../lib/format';
import type { Track } from '../../lib/types';
import { ConfirmDialog } from '../../ui/ConfirmDialog';
import { Icon } from '../../ui/Icon';
import { ProgressBar } from '../../ui/ProgressBar';
import type { LibraryModel, UploadItem } from './use-library';

interface LibraryProps {
  model: LibraryModel;
  playingId: string | null;
  onPlay(track: Track): void;
}

/** What the file input offers: any audio type, and the usual audio extensions for systems that lack the MIME type. */
const ACCEPTED_FILES = ['audio/*', ...AUDIO_EXTENSIONS.map((extension) => `.${extension}`)].join(',');

/** The artist's tracks: drop or pick files, watch them upload and transcode, rename, delete, play. */
export function Library({ model, playingId, onPlay }: LibraryProps) {
  const [dragging, setDragging] = useState(false);
  const [confirming, setConfirming] = useState<Track | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const picker = useRef<HTMLInputElement>(null);

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    const files = Array.from(event.dataTransfer.files);
    if (files.length > 0) model.uploadFiles(files);
  };

  const empty = !model.loading && model.tracks.length === 0 && model.uploads.length === 0;

  return (
    <section className="library panel" aria-labelledby="library-title">
      <div className="panel-head">
        <h2 id="library-title">Library</h2>
        <button type="button" className="primary" onClick={() => picker.current?.click()}>
          <Icon name="upload" /> Upload tracks
        </button>
        <input
          ref={picker}
          type="file"
          accept={ACCEPTED_FILES}
          multiple
          hidden
          aria-label="Choose audio files"
          onChange={(event) => {
            const files = Array.from(event.target.files ?? []);
            event.target.value = '';
            if (files.length > 0) model.uploadFiles(files);
          }}
        />
      </div>
      <div
        className={`dropzone${dragging ? ' dragging' : ''}`}
        aria-label="Drop audio files here to upload"
        onDragOver={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        {model.error && (
          <p className="status-bad" role="alert">
            {model.error}
          </p>
        )}
        {actionError && (
          <p className="status-bad" role="alert">
            {actionError}
          </p>
        )}
        {model.uploads.length > 0 && (
          <div className="uploads" aria-label="Uploads">
            {model.uploads.map((upload) => (
              <UploadRow key={upload.id} upload={upload} onDismiss={() => model.dismissUpload(upload.id)} />
            ))}
          </div>
        )}
        {empty && (
          <div className="empty">
            <p>
              <strong>Your library is empty.</strong>
            </p>
            <p className="muted">Drop audio files here (WAV, FLAC, MP3…) or use “Upload tracks”. Each one is turned into streams at 128, 256 and 320 kb/s.</p>
          </div>
        )}
        {model.loading && <p className="muted">Loading your tracks…</p>}
        {model.tracks.length > 0 && (
          <ul className="tracks" aria-label="Tracks">
            {model.tracks.map((track) => (
              <TrackRow
                key={track.id}
                track={track}
                playing={track.id === playingId}
                onPlay={() => onPlay(track)}
                onRename={(title) =>
                  model.rename(track, title).then(
                    () => setActionError(null),
                    (error: Error) => setActionError(`Rename failed: ${error.message}`),
                  )
                }
                onDelete={() => setConfirming(track)}
                onRetry={() =>
                  model.retry(track).then(
                    () => setActionError(null),
                    (error: Error) => setActionError(`Retry failed: ${error.message}`),
                  )
                }
              />
            ))}
          </ul>
        )}
      </div>
      {confirming && (
        <ConfirmDialog
          title="Delete this track?"
          message={`“${confirming.title}” and all its streams will be removed. This cannot be undone.`}
          confirmLabel="Delete"
          onCancel={() => setConfirming(null)}
          onConfirm={() => {
            const track = confirming;
            setConfirming(null);
            model.remove(track).then(
              () => setActionError(null),
              (error: Error) => setActionError(`Delete failed: ${error.message}`),
            );
          }}
        />
      )}
    </section>
  );
}

function UploadRow({ upload, onDismiss }: { upload: UploadItem; onDismiss(): void }) {
  return (
    <div className={`upload-row${upload.state === 'failed' ? ' failed' : ''}`}>
      <span className="upload-name">{upload.fileName}</span>
      {upload.state === 'uploading' ? (
        <ProgressBar value={upload.progress} label={`Uploading ${upload.fileName}`} />
      ) : (
        <>
          <span className="status-bad" role="alert">
            {upload.error}
          </span>
          <button type="button" className="icon-button" aria-label={`Dismiss ${upload.fileName}`} onClick={onDismiss}>
            <Icon name="close" />
          </button>
        </>
      )}
    </div>
  );
}

const statusText: Record<Track['stream_status'], string> = {
  pending: 'Queued',
  processing: 'Transcoding',
  ready: 'Ready',
  failed: 'Failed',
};

interface TrackRowProps {
  track: Track;
  playing: boolean;
  onPlay(): void;
  onRename(title: string): Promise<void>;
  onDelete(): void;
  onRetry(): Promise<void>;
}

function TrackRow({ track, playing, onPlay, onRename, onDelete, onRetry }: TrackRowProps) {
  const [editing, setEditing] = useState(false);
  const [title, setTitle] = useState(track.title);
  const busy = track.stream_status === 'pending' || track.stream_status === 'processing';

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const next = title.trim();
    if (next && next !== track.title) void onRename(next);
    setEditing(false);
  };

  return (
    <li className={`track-row${playing ? ' playing' : ''}`} data-track-id={track.id} data-status={track.stream_status}>
      <button type="button" className="icon-button play" aria-label={`Play ${track.title}`} onClick={onPlay}>
        <Icon name="play" />
      </button>
      <div className="track-main">
        {editing ? (
          <form onSubmit={submit} className="rename-form">
            <input aria-label={`New title for ${track.title}`} value={title} onChange={(event) => setTitle(event.target.value)} maxLength={TRACK_TEXT_MAX_LENGTH} autoFocus />
            <button type="submit">Save</button>
            <button type="button" onClick={() => (setEditing(false), setTitle(track.title))}>
              Cancel
            </button>
          </form>
        ) : (
          <>
            <span className="track-title">{track.title}</span>
            <span className="muted">
              {track.artist} · {formatTime(track.duration_s)}
            </span>
          </>
        )}
        {busy && <ProgressBar value={track.stream_progress / 100} label={`Transcoding ${track.title}`} tone="transcode" />}
        {track.stream_status === 'failed' && (
          <span className="track-failure">
            {track.stream_error && <span className="status-bad">{track.stream_error}</span>}
            {/* The original still plays; a retry rebuilds the streams (an interrupted or failed encode). */}
            <button type="button" className="small" onClick={() => void onRetry()}>
              Retry transcoding
            </button>
          </span>
        )}
      </div>
      <span className={`status-pill status-${track.stream_status}`} aria-label={`Status of ${track.title}`}>
        {statusText[track.stream_status]}
        {busy ? ` ${track.stream_progress}%` : ''}
      </span>
      {!editing && (
        <button type="button" className="icon-button" aria-label={`Rename ${track.title}`} onClick={() => setEditing(true)}>
          <Icon name="edit" />
        </button>
      )}
      <button type="button" className="icon-button" aria-label={`Delete ${track.title}`} onClick={onDelete}>
        <Icon name="trash" />
      </button>
    </li>
  );
}
