import { describe, expect, it } from 'vitest';
import { type CachedFile, SegmentCache } from './segment-cache.js';

const file = (bytes: number, fill = 1): CachedFile => ({ body: Buffer.alloc(bytes, fill), etag: '"x"', lastModified: 'Thu, 01 Jan 2030 00:00:00 GMT' });

describe('SegmentCache', () => {
  it('stays within its byte budget, dropping the least recently used first', () => {
    const cache = new SegmentCache(1000);
    for (let i = 0; i < 4; i++) cache.set('t1', `seg_${i}`, file(200));
    cache.get('t1', 'seg_0'); // now the most recently used
    cache.set('t2', 'seg_0', file(250));
    cache.set('t2', 'seg_1', file(250));
    expect(cache.size.bytes).toBeLessThanOrEqual(1000);
    expect(cache.get('t1', 'seg_0')).toBeDefined();
    expect(cache.get('t1', 'seg_1')).toBeUndefined();
    cache.set('t3', 'huge', file(300)); // over a quarter of the budget: never cached
    expect(cache.get('t3', 'huge')).toBeUndefined();
  });

  it('drops every file of one track at once, and nothing of the others', () => {
    const cache = new SegmentCache(10_000);
    cache.set('t1', '128k/seg_00000.ts', file(100));
    cache.set('t1', 'master.m3u8', file(10));
    cache.set('t2', '128k/seg_00000.ts', file(100, 2));
    cache.invalidateTrack('t1');
    expect(cache.get('t1', '128k/seg_00000.ts')).toBeUndefined();
    expect(cache.get('t1', 'master.m3u8')).toBeUndefined();
    expect(cache.get('t2', '128k/seg_00000.ts')?.body[0]).toBe(2);
    expect(cache.size).toEqual({ entries: 1, bytes: 100 });
  });

  it('says when the last file of a track has left, evicted or invalidated, and only then', () => {
    const emptied: string[] = [];
    const cache = new SegmentCache(1000, (trackId) => emptied.push(trackId));
    cache.set('t1', 'seg_0', file(200));
    cache.set('t1', 'seg_1', file(200));
    cache.set('t2', 'seg_0', file(200));
    cache.set('t3', 'seg_0', file(200));
    cache.set('t3', 'seg_1', file(200)); // 1000 bytes: still all in
    expect(emptied).toEqual([]);
    cache.set('t4', 'seg_0', file(250)); // evicts t1/seg_0 and t1/seg_1: t1 is gone
    expect(emptied).toEqual(['t1']);
    cache.invalidateTrack('t3');
    expect(emptied).toEqual(['t1', 't3']);
  });
});
