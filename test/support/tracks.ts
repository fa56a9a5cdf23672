import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Track } from '../../src/shared/api.js';
import { type App, buildApp } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { readContainedFile } from '../../server/features/media/hls/hls.service.js';
import { AUDIO_FORMATS, makeAudio, multipartBody } from './audio.js';
import { waitFor } from './free-port.js';

/**
 * Uploads a generated WAV tone to an in-process app (`app.inject`) and waits until its HLS ladder is
 * ready. `headers` carries the Host and the bearer token.
 */
async function uploadReadyTrack(
  app: App,
  headers: { host: string; authorization: string },
  fixtures: string,
  file: { name: string; seconds: number },
): Promise<Track> {
  const audio = makeAudio(fixtures, file.name, { seconds: file.seconds, codecArgs: AUDIO_FORMATS.wav });
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

/** Path-traversal attempts in place of a segment name: raw, encoded, double-encoded, overlong, Windows, NUL, huge. */
export const TRAVERSAL_PAYLOADS = [
  '../../../../../etc/passwd',
  '..%2f..%2f..%2f..%2fetc%2fpasswd',
  '%2e%2e/%2e%2e/%2e%2e/etc/passwd',
  '..%5c..%5c..%5cetc%5cpasswd',
  '%252e%252e%252fetc%252fpasswd',
  '/etc/passwd',
  'C:%5CWindows%5Cwin.ini',
  'seg_00000%00.ts',
  '%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd',
  `${encodeURIComponent('．．')}/${encodeURIComponent('．．')}/etc/passwd`,
  'a'.repeat(4096),
];

export interface HlsTestApp {
  app: App;
  dataDir: string;
  /** Where generated audio goes. */
  fixtures: string;
  port: number;
  /** `127.0.0.1:<port>`, the Host every request must carry. */
  host: string;
  ownerToken: string;
  /** Every HLS file the app opened from disk, in order (tests clear it). */
  opened: string[];
  uploadReady(seconds: number, name: string): Promise<Track>;
  close(): Promise<void>;
}

/** A listening app on fresh temp dirs that records the HLS files it opens; `close()` removes the dirs. */
export async function startHlsTestApp(
  name: string,
  options: { logLevel?: string; logStream?: NodeJS.WritableStream; now?: () => number } = {},
): Promise<HlsTestApp> {
  const fixtures = fs.mkdtempSync(path.join(os.tmpdir(), `veza-${name}-audio-`));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `veza-${name}-`));
  const opened: string[] = [];
  const app = await buildApp(loadConfig({ VEZA_DATA_DIR: dataDir, VEZA_PORT: '0', VEZA_LOG_LEVEL: options.logLevel ?? 'silent' }), {
    logStream: options.logStream,
    now: options.now,
    hlsRead: async (file) => {
      opened.push(file);
      return readContainedFile(file);
    },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  app.hostPolicy.bindPort(port);
  const host = `127.0.0.1:${port}`;
  const ownerToken = await app.accounts.issueOwnerToken({ revokePrevious: false, displayName: 'Owner' });
  return {
    app,
    dataDir,
    fixtures,
    port,
    host,
    ownerToken,
    opened,
    uploadReady: (seconds, fileName) => uploadReadyTrack(app, { host, authorization: `Bearer ${ownerToken}` }, fixtures, { name: fileName, seconds }),
    close: async () => {
      await app.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
      fs.rmSync(fixtures, { recursive: true, force: true });
    },
  };
}
