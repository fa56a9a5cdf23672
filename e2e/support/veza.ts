/** Helpers for the app's e2e specs: server feature probes, accounts, audio files, page sign-in. */
import { type Page, type TestInfo } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const API = '/api/v1';

/** Whether the server has a route (its 404 for a missing route says "No route for …"). */
async function hasRoute(url: string, token: string, method: string, route: string): Promise<boolean> {
  const response = await fetch(`${url}${API}${route}`, { method, headers: { Authorization: `Bearer ${token}` } });
  if (response.status !== 404) return true;
  const body = (await response.json().catch(() => ({}))) as { detail?: string };
  return !String(body.detail ?? '').startsWith('No route for');
}

export interface ServerFeatures {
  tracks: boolean;
  hls: boolean;
  chat: boolean;
}

export async function probeFeatures(url: string, token: string): Promise<ServerFeatures> {
  const someId = '00000000-0000-4000-8000-00000000abcd';
  return {
    tracks: await hasRoute(url, token, 'GET', '/tracks'),
    hls: await hasRoute(url, token, 'GET', `/tracks/${someId}/hls/info`),
    chat: await hasRoute(url, token, 'GET', '/rooms'),
  };
}

/** Skips with a printed reason naming what the server lacks (never silently). */
export function requireFeatures(testInfo: TestInfo, features: ServerFeatures, needed: (keyof ServerFeatures)[]): void {
  const labels: Record<keyof ServerFeatures, string> = {
    tracks: 'tracks API (POST/GET /api/v1/tracks, transcoding branch)',
    hls: 'HLS delivery (GET /api/v1/tracks/:id/hls/info with stream tokens)',
    chat: 'chat API (/api/v1/rooms and socket events, chat branch)',
  };
  const missing = needed.filter((feature) => !features[feature]).map((feature) => labels[feature]);
  if (missing.length > 0) {
    const reason = `server lacks ${missing.join(' and ')}`;
    console.log(`[${path.basename(testInfo.file)}] skipped "${testInfo.title}": ${reason}`);
    testInfo.skip(true, reason);
  }
}

export async function register(url: string, username: string, displayName: string): Promise<{ token: string; id: string }> {
  const response = await fetch(`${url}${API}/auth/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password: 'correct horse battery', display_name: displayName }),
  });
  if (response.status !== 201) throw new Error(`register ${username}: ${response.status} ${await response.text()}`);
  const body = (await response.json()) as { token: string; user: { id: string } };
  return { token: body.token, id: body.user.id };
}

/** A sine tone WAV made by FFmpeg (lavfi), `seconds` long. */
export function makeWav(dir: string, name: string, seconds: number, frequency = 440): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', `sine=frequency=${frequency}:duration=${seconds}:sample_rate=48000`, '-ac', '2', '-y', file]);
  return file;
}

export async function uploadViaApi(url: string, token: string, file: string, title: string): Promise<{ id: string }> {
  const form = new FormData();
  form.append('title', title);
  form.append('file', new Blob([fs.readFileSync(file)], { type: 'audio/wav' }), path.basename(file));
  const response = await fetch(`${url}${API}/tracks`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: form });
  if (response.status !== 201) throw new Error(`upload: ${response.status} ${await response.text()}`);
  return (await response.json()) as { id: string };
}

export async function waitForReady(url: string, token: string, trackId: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const response = await fetch(`${url}${API}/tracks/${trackId}`, { headers: { Authorization: `Bearer ${token}` } });
    const track = (await response.json()) as { stream_status: string };
    if (track.stream_status === 'ready') return;
    if (track.stream_status === 'failed') throw new Error('transcoding failed');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error('track not ready in time');
}

/** Signs a page in with a token the way the owner link does (#owner_token=, then removed). */
export async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(`${url}/#owner_token=${token}`);
  await page.getByText(/Signed in as/).waitFor();
}

/** The page's globals as these specs use them (e2e compiles without the DOM library). */
interface PageGlobals {
  document: { querySelector(selector: string): { currentTime: number } | null };
}

export async function audioTime(page: Page): Promise<number> {
  return page.evaluate(() => (globalThis as unknown as PageGlobals).document.querySelector('[data-testid="player-audio"]')?.currentTime ?? 0);
}

/** Seeks the player's <audio> as its native controls would. */
export async function seekAudio(page: Page, seconds: number): Promise<void> {
  await page.evaluate((to) => {
    const audio = (globalThis as unknown as PageGlobals).document.querySelector('[data-testid="player-audio"]');
    if (audio) audio.currentTime = to;
  }, seconds);
}

export const screenshotDir = path.resolve(import.meta.dirname, '../../docs/screenshots');
