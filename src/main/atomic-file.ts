import fs from 'node:fs';
import path from 'node:path';

/**
 * Writes a whole file or nothing: temp file in the same directory, fsync, rename. A crash mid-write
 * leaves the previous version, never half a JSON document. Owner-only, as settings may hold passwords.
 */
export function writeFileAtomic(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  const fd = fs.openSync(temp, 'w', 0o600);
  try {
    fs.writeFileSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
}

/** Parsed JSON of a file, `undefined` when it does not exist, an Error when it is unreadable or not JSON. */
export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return error as Error;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    return error as Error;
  }
}
