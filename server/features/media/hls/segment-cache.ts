/**
 * Hot HLS files in memory, bounded by a byte budget (least recently used goes first). Keys are
 * `<track-id>/<name>`, so everything of one track is dropped at once when it is re-transcoded or deleted.
 */
export interface CachedFile {
  body: Buffer;
  etag: string;
  lastModified: string;
}

export class SegmentCache {
  private readonly entries = new Map<string, CachedFile>();
  private readonly byTrack = new Map<string, Set<string>>();
  private bytes = 0;

  constructor(
    private readonly budgetBytes: number,
    /** Called when the last file of a track leaves the cache (evicted or invalidated). */
    private readonly onTrackEmpty: (trackId: string) => void = () => undefined,
  ) {}

  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  get(trackId: string, name: string): CachedFile | undefined {
    const key = `${trackId}/${name}`;
    const entry = this.entries.get(key);
    if (entry) {
      // Map keeps insertion order: re-inserting marks the entry most recently used.
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry;
  }

  set(trackId: string, name: string, file: CachedFile): void {
    if (file.body.length > this.budgetBytes / 4) return; // one huge file must not flush the cache
    const key = `${trackId}/${name}`;
    this.remove(key);
    this.entries.set(key, file);
    this.bytes += file.body.length;
    let keys = this.byTrack.get(trackId);
    if (!keys) this.byTrack.set(trackId, (keys = new Set()));
    keys.add(key);
    for (const [oldest] of this.entries) {
      if (this.bytes <= this.budgetBytes) break;
      this.remove(oldest);
    }
  }

  invalidateTrack(trackId: string): void {
    for (const key of this.byTrack.get(trackId) ?? []) this.remove(key);
    this.byTrack.delete(trackId);
  }

  private remove(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.bytes -= entry.body.length;
    const trackId = key.slice(0, key.indexOf('/'));
    const keys = this.byTrack.get(trackId);
    keys?.delete(key);
    if (keys?.size === 0) {
      this.byTrack.delete(trackId); // evicted tracks leave nothing behind
      this.onTrackEmpty(trackId);
    }
  }
}
