import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../../../test/support/app.js';
import { makeAudio, multipartBody } from '../../../test/support/audio.js';

// Full disks, for real: small tmpfs mounts (root only; elsewhere the suite says why it skips).
function mountTmpfs(dir: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
    return true;
  } catch (error) {
    console.log(`[disk-full] skipped: cannot mount a tmpfs here (${(error as Error).message.split('\n')[0]})`);
    return false;
  }
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'veza-disk-full-'));
const mediaMount = path.join(root, 'media');
const dataMount = path.join(root, 'data');
fs.mkdirSync(mediaMount);
fs.mkdirSync(dataMount);
const canMount = mountTmpfs(mediaMount, '3m') && mountTmpfs(dataMount, '4m');

describe.skipIf(!canMount)('full disks', () => {
  let t: TestApp;
  let port: number;
  let owner: string;
  let big: Buffer;
  let small: Buffer;
  // One socket for every request: a refused upload must not leave its connection unusable.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

  beforeAll(async () => {
    big = fs.readFileSync(makeAudio(root, 'big.wav', { seconds: 30 }));
    small = fs.readFileSync(makeAudio(root, 'small.wav', { seconds: 1 }));
    t = await makeTestApp({ VEZA_DATA_DIR: dataMount, VEZA_MEDIA_DIR: mediaMount, VEZA_HLS: 'false' });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    port = (t.app.server.address() as AddressInfo).port;
    t.app.hostPolicy.bindPort(port);
    owner = await t.app.accounts.issueOwnerToken({ revokePrevious: false, displayName: 'Owner' });
  });
  afterAll(async () => {
    agent.destroy();
    await t?.close().catch(() => undefined);
    for (const dir of [mediaMount, dataMount]) execFileSync('umount', [dir]);
    fs.rmSync(root, { recursive: true, force: true });
  });

  function send(method: string, url: string, body?: { payload: Buffer; contentType: string }): Promise<{ status: number; json: { code?: string; detail?: string } }> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { authorization: `Bearer ${owner}` };
      if (body) Object.assign(headers, { 'content-type': body.contentType, 'content-length': String(body.payload.length) });
      const request = http.request({ host: '127.0.0.1', port, method, path: url, agent, headers, timeout: 5000 }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, json: text ? JSON.parse(text) : {} }));
      });
      request.on('timeout', () => request.destroy(new Error(`${method} ${url}: no answer within 5 s`)));
      request.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error)));
      request.end(body?.payload);
    });
  }
  const upload = (content: Buffer) => send('POST', '/api/v1/tracks', multipartBody([{ name: 'file', fileName: 'song.wav', content }]));

  it('a full media disk: 507 with a clear problem, the partial file removed, the next request answered at once, uploads work again', async () => {
    const refused = await upload(big);
    expect(refused.status).toBe(507);
    expect(refused.json).toMatchObject({ code: 'INSUFFICIENT_STORAGE' });
    expect(refused.json.detail).toMatch(/out of disk space/);
    expect(fs.readdirSync(path.join(mediaMount, 'tmp'))).toEqual([]);
    const started = Date.now();
    expect((await send('GET', '/api/v1/tracks')).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1000);
    expect((await upload(small)).status).toBe(201);
  });

  it('a full data disk (the database cannot grow): 507, and uploads work again once space is back', async () => {
    const filler = path.join(dataMount, 'filler');
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k'], { stdio: 'ignore' });
    } catch {
      // dd stops with "No space left on device": that is the point
    }
    // Enough tracks that SQLite needs a new page while the disk is full.
    let refused: { status: number; json: { code?: string } } | undefined;
    for (let i = 0; i < 40 && !refused; i += 1) {
      const answer = await upload(small);
      if (answer.status !== 201) refused = answer;
    }
    expect(refused).toMatchObject({ status: 507, json: { code: 'INSUFFICIENT_STORAGE' } });
    // Nothing half-kept: every original on disk belongs to a track the library lists.
    const listed = (await send('GET', '/api/v1/tracks?limit=200')).json as { total?: number };
    expect(fs.readdirSync(path.join(mediaMount, 'originals'))).toHaveLength(listed.total!);
    fs.rmSync(filler);
    expect((await upload(small)).status).toBe(201);
    expect((await send('GET', '/api/v1/tracks')).status).toBe(200);
  });
});
