import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Files of the media library, all under `<dataDir>/media/`: originals under server-generated ids
 * (never the client's file name), uploads in progress in `tmp/`, HLS ladders in `hls/<track-id>/`.
 */
export class MediaStore {
  readonly root: string;
  readonly originalsDir: string;
  readonly tempDir: string;
  readonly hlsDir: string;

  constructor(dataDir: string) {
    this.root = path.join(dataDir, 'media');
    this.originalsDir = path.join(this.root, 'originals');
    this.tempDir = path.join(this.root, 'tmp');
    this.hlsDir = path.join(this.root, 'hls');
  }

  /** Creates the folders and drops uploads a crash left half-received. */
  async init(): Promise<void> {
    await fs.rm(this.tempDir, { recursive: true, force: true });
    for (const dir of [this.originalsDir, this.tempDir, this.hlsDir]) await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  }

  newUploadPath(): string {
    return path.join(this.tempDir, `upload-${randomUUID()}`);
  }

  originalPath(trackId: string): string {
    return path.join(this.originalsDir, trackId);
  }

  async adoptUpload(tempPath: string, trackId: string): Promise<void> {
    await fs.rename(tempPath, this.originalPath(trackId));
  }

  async removeOriginal(trackId: string): Promise<void> {
    await fs.rm(this.originalPath(trackId), { force: true });
  }
}
