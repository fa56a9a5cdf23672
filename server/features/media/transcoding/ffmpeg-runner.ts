import { spawn } from 'node:child_process';

export interface RunOptions {
  /** Called with FFmpeg's position in the input, in seconds, from `-progress pipe:1`. */
  onProgress?: (outTimeS: number) => void;
  signal?: AbortSignal;
  /** Kill the process after this long (wall-time cap), not counting time spent paused. */
  timeoutMs?: number;
  /** True while the queue has the process stopped (SIGSTOP) to lend its cores to another user's job. */
  isPaused?: () => boolean;
  /** Told the pid as soon as the process exists (to find it again after a crash). */
  onSpawn?: (pid: number) => void;
}

export interface RunResult {
  /** Last `out_time_us` reported, in seconds (how much input was processed). */
  outTimeS: number;
  /** Head of stderr (bounded: a broken file can print an error per packet). */
  stderr: string;
}

export class FfmpegError extends Error {
  constructor(
    message: string,
    readonly reason: 'exit' | 'timeout' | 'aborted' | 'spawn',
    readonly stderr = '',
  ) {
    super(message);
    this.name = 'FfmpegError';
  }
}

const STDERR_LIMIT = 4096;
const TIMEOUT_TICK_MS = 1000;

/**
 * Runs one FFmpeg/ffprobe process from an argv (never a shell), collects its progress and a bounded
 * stderr, and kills it on abort or timeout. Resolves with stdout for callers that need it (ffprobe).
 */
export function runProcess(binary: string, args: string[], options: RunOptions = {}): Promise<RunResult & { stdout: string }> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(new FfmpegError('aborted before start', 'aborted'));
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], shell: false, windowsHide: true });
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
    let stdout = '';
    let stderr = '';
    let outTimeS = 0;
    let pending = '';
    let failure: FfmpegError | null = null;

    const kill = (error: FfmpegError) => {
      failure ??= error;
      child.kill('SIGKILL');
    };
    const onAbort = () => kill(new FfmpegError('aborted', 'aborted'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    let activeMs = 0;
    const tickMs = Math.min(TIMEOUT_TICK_MS, options.timeoutMs ?? TIMEOUT_TICK_MS);
    const timer = options.timeoutMs
      ? setInterval(() => {
          if (!options.isPaused?.()) activeMs += tickMs;
          if (activeMs >= options.timeoutMs!) kill(new FfmpegError(`timed out after ${Math.round(options.timeoutMs! / 1000)} s`, 'timeout'));
        }, tickMs)
      : null;
    timer?.unref();

    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (!options.onProgress) {
        if (stdout.length < 4 * 1024 * 1024) stdout += chunk;
        return;
      }
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const match = /^out_time_us=(\d+)/.exec(line);
        if (match) {
          outTimeS = Number(match[1]) / 1e6;
          options.onProgress(outTimeS);
        }
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < STDERR_LIMIT) stderr = (stderr + chunk).slice(0, STDERR_LIMIT);
    });
    child.on('error', (error) => kill(new FfmpegError(`cannot run ${binary}: ${error.message}`, 'spawn')));
    child.on('close', (code) => {
      options.signal?.removeEventListener('abort', onAbort);
      if (timer) clearInterval(timer);
      if (failure) return reject(Object.assign(failure, { stderr }));
      if (code !== 0) return reject(new FfmpegError(`exited with code ${code}: ${firstLine(stderr)}`, 'exit', stderr));
      resolve({ stdout, stderr, outTimeS });
    });
  });
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]?.slice(0, 300) ?? '';
}
