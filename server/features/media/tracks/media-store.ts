import { randomUUID } from 'node:crypto';
import type { Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Files of the media library, all under the media dir (`<dataDir>/media`, or VEZA_MEDIA_DIR shared by
 * team instances): originals under server-generated ids (never the client's file name), uploads in
 * progress in `tmp/`, HLS ladders in `hls/<track-id>/`.
 */
export class MediaStore {
  readonly root: string;
  readonly originalsDir: string;
  readonly tempDir: string;
  readonly hlsDir: string;
  private realOriginalsDir: Promise<string> | undefined;

  constructor(mediaDir: string) {
    this.root = mediaDir;
    this.originalsDir = path.join(this.root, 'originals');
    this.tempDir = path.join(this.root, 'tmp');
    this.hlsDir = path.join(this.root, 'hls');
  }

  /**
   * Creates the folders and drops uploads a crash left half-received: all of them when this instance
   * owns the media dir (solo), else only those older than a day (team instances share `tmp/`).
   */
  async init({ ownsAll }: { ownsAll: boolean }): Promise<void> {
    if (ownsAll) await fs.rm(this.tempDir, { recursive: true, force: true });
    else await this.removeStaleUploads(24 * 3600_000);
    for (const dir of [this.originalsDir, this.tempDir, this.hlsDir]) await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  }

  private async removeStaleUploads(olderThanMs: number): Promise<void> {
    const names = await fs.readdir(this.tempDir).catch(() => [] as string[]);
    for (const name of names) {
      const file = path.join(this.tempDir, name);
      const stat = await fs.stat(file).catch(() => null);
      if (stat && Date.now() - stat.mtimeMs > olderThanMs) await fs.rm(file, { force: true });
    }
  }

  newUploadPath(): string {
    return path.join(this.tempDir, `upload-${randomUUID()}`);
  }

  originalPath(trackId: string): string {
    return path.join(this.originalsDir, trackId);
  }

  /**
   * The original as a regular file really inside `originals/`, or null: a symlink planted in the media
   * dir (a shared team volume) must never turn `/stream` into a reader of `/etc/passwd`.
   */
  async containedOriginal(trackId: string): Promise<{ path: string; stat: Stats } | null> {
    const file = this.originalPath(trackId);
    // The folder's real path, resolved once: a later swap of the folder still makes the file's differ.
    this.realOriginalsDir ??= fs.realpath(this.originalsDir).catch((error: unknown) => {
      this.realOriginalsDir = undefined;
      throw error;
    });
    const [realDir, realFile] = await Promise.all([this.realOriginalsDir, fs.realpath(file)]).catch(() => [null, null]);
    if (realDir === null || realFile !== path.join(realDir, trackId)) return null;
    const stat = await fs.lstat(file).catch(() => null);
    return stat?.isFile() ? { path: realFile, stat } : null;
  }

  /** Durable before the track row exists: the file's data, then its new name (the folder), are fsynced. */
  async adoptUpload(tempPath: string, trackId: string): Promise<void> {
    await syncPath(tempPath);
    await fs.rename(tempPath, this.originalPath(trackId));
    await syncPath(this.originalsDir).catch(() => undefined); // a folder cannot be opened for sync on Windows
  }

  async removeOriginal(trackId: string): Promise<void> {
    await fs.rm(this.originalPath(trackId), { force: true });
  }
}

async function syncPath(file: string): Promise<void> {
  const handle = await fs.open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
