import type { Message, Track } from '../lib/types';

/** Story data (no server): a ready track, one being transcoded, a short conversation. */
export const readyTrack: Track = {
  id: '11111111-1111-4111-8111-111111111111',
  title: 'Night Drive (mix 3)',
  artist: 'Ada',
  duration_s: 214,
  owner_id: 'u-ada',
  created_at: '2026-01-05T10:00:00.000Z',
  stream_status: 'ready',
  stream_progress: 100,
  stream_manifest_url: '/api/v1/tracks/11111111-1111-4111-8111-111111111111/hls/master.m3u8',
  stream_error: null,
};

export const processingTrack: Track = { ...readyTrack, id: '22222222-2222-4222-8222-222222222222', title: 'Sunrise (demo)', stream_status: 'processing', stream_progress: 42, stream_manifest_url: null };

/** A 1 s silent 16-bit mono WAV: what MSW serves as the original file. */
export function silentWav(seconds = 1, rate = 8000): ArrayBuffer {
  const samples = seconds * rate;
  const buffer = new ArrayBuffer(44 + samples * 2);
  const view = new DataView(buffer);
  const text = (offset: number, value: string) => [...value].forEach((c, i) => view.setUint8(offset + i, c.charCodeAt(0)));
  text(0, 'RIFF');
  view.setUint32(4, 36 + samples * 2, true);
  text(8, 'WAVEfmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, rate, true);
  view.setUint32(28, rate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  text(36, 'data');
  view.setUint32(40, samples * 2, true);
  return buffer;
}

const base = { room_id: 'room-1', client_id: 'c', track_id: null, track_time_s: null, edited_at: null, is_deleted: false };
export const conversation: Message[] = [
  { ...base, id: 'm1', seq: 1, user_id: 'u-ben', client_id: 'c1', content: 'Listened to the new mix — the low end is huge now.', created_at: '2026-01-05T10:01:00.000Z' },
  { ...base, id: 'm2', seq: 2, user_id: 'u-ada', client_id: 'c2', content: 'Thanks! Anything that bothers you?', created_at: '2026-01-05T10:02:00.000Z' },
  { ...base, id: 'm3', seq: 3, user_id: 'u-ben', client_id: 'c3', content: 'The snare gets buried right here:', track_id: readyTrack.id, track_time_s: 83, created_at: '2026-01-05T10:03:00.000Z' },
  { ...base, id: 'm4', seq: 4, user_id: 'u-ben', client_id: 'c4', content: '<img src=x onerror=alert(1)> (pasted from a forum — shows as text)', created_at: '2026-01-05T10:04:00.000Z', edited_at: '2026-01-05T10:05:00.000Z' },
  { ...base, id: 'm5', seq: 5, user_id: 'u-ada', client_id: 'c5', content: '', is_deleted: true, created_at: '2026-01-05T10:06:00.000Z' },
  { ...base, id: 'm6', seq: 6, user_id: 'u-cy', client_id: 'c6', content: 'Multi-line\nfeedback\nworks too.', created_at: '2026-01-05T10:07:00.000Z' },
];

export const names: Record<string, string> = { 'u-ada': 'Ada', 'u-ben': 'Ben', 'u-cy': 'Cy' };
