import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * FFmpeg children outlive a SIGKILLed server and keep writing into their job's temp dir. Each encode
 * records its pids there; the next start (or the next attempt at the track) stops them before the dir
 * is removed. A pid is only killed while its command line still names that dir, so a pid the system
 * has since reused is left alone (where /proc is missing, nothing is killed: removing the dir then
 * makes the orphan fail at its next segment).
 */
export const ENCODERS_FILE = '.encoders';

export async function recordEncoder(tempDir: string, pid: number): Promise<void> {
  await fs.appendFile(path.join(tempDir, ENCODERS_FILE), `${pid}\n`);
}

export async function stopOrphanedEncoders(tempDir: string): Promise<void> {
  const text = await fs.readFile(path.join(tempDir, ENCODERS_FILE), 'utf8').catch(() => '');
  for (const pid of text.split('\n').map(Number).filter((pid) => Number.isInteger(pid) && pid > 1)) {
    const commandLine = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (!commandLine.includes(tempDir)) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // exited meanwhile
    }
  }
}
