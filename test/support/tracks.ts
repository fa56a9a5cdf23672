import fs from 'node:fs';
import type { Track } from '../../src/shared/api.js';
import type { App } from '../../server/app.js';
import { AUDIO_FORMATS, makeAudio, multipartBody } from './audio.js';
import { waitFor } from './free-port.js';

/**
 * Uploads a generated WAV tone to an in-process app (`app.inject`) and waits until its HLS ladder is
 * ready. `headers` carries the Host and the bearer token.
 */
export async function uploadReadyTrack(
  app: App,
  headers: { host: string; authorization: string },
  fixtures: string,
  file: { name: string; seconds: number; frequency?: number },
): Promise<Track> {
  const audio = makeAudio(fixtures, file.name, { seconds: file.seconds, frequency: file.frequency, codecArgs: AUDIO_FORMATS.wav });
  const body = multipartBody([{ name: 'file', fileName: file.name, content: fs.readFileSync(audio) }]);
  const created = await app.inject({ method: 'POST', url: '/api/v1/tracks', headers: { ...headers, 'content-type': body.contentType }, payload: body.payload });
  if (created.statusCode !== 201) throw new Error(`upload of ${file.name}: ${created.statusCode} ${created.body}`);
  const { id } = created.json<Track>();
  const track = (await waitFor(
    async () => {
      const current = (await app.inject({ method: 'GET', url: `/api/v1/tracks/${id}`, headers })).json<Track>();
      return current.stream_status === 'ready' || current.stream_status === 'failed' ? current : null;
    },
    { timeoutMs: 60_000, what: `${file.name} ready` },
  )) as Track;
  if (track.stream_status === 'failed') throw new Error(`transcode of ${file.name} failed: ${track.stream_error}`);
  return track;
}
