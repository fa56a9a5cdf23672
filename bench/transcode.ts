/**
 * npm run bench:transcode — the project's transcode pipeline against bare FFmpeg on the same input and
 * the same encoder settings, in the same run:
 *   - bare one pass: one ffmpeg writing the three HLS rungs (the baseline, 1.00×)
 *   - three sequential passes: one ffmpeg per rung, one after the other
 *   - project pipeline: Transcoder.transcode (plan, parallel rung processes, verify, master, publish)
 * CPU seconds are measured by wrapping every ffmpeg in /usr/bin/time (user + sys of each process).
 * Options: --seconds N (default 240), --coder twoloop|fast (default twoloop), --cores N (default: all).
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type AacCoder } from '../server/config.js';
import { buildFfmpegArgs, planLadder, type SourceMedia } from '../server/features/media/transcoding/ffmpeg-args.js';
import { HlsLayout } from '../server/features/media/hls-layout.js';
import { Transcoder } from '../server/features/media/transcoding/transcoder.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '240' },
    coder: { type: 'string', default: 'twoloop' },
    cores: { type: 'string', default: String(os.availableParallelism()) },
  },
});
const seconds = Number(values.seconds);
const coder = values.coder as AacCoder;
const cores = Number(values.cores);
const LADDER = [128, 256, 320];

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'veza-bench-transcode-'));
const cpuLog = path.join(work, 'cpu.log');
// Every ffmpeg of every variant runs through this wrapper, which appends "user sys" to cpu.log.
const wrapper = path.join(work, 'ffmpeg-timed.sh');
fs.writeFileSync(wrapper, `#!/bin/sh\nexec /usr/bin/time -a -o ${cpuLog} -f "%U %S" ffmpeg "$@"\n`, { mode: 0o755 });

function makeInput(): string {
  const file = path.join(work, 'input.wav');
  // Deterministic: seeded pink noise under two tones, 44.1 kHz stereo 16-bit.
  execFileSync('ffmpeg', [
    '-nostdin', '-v', 'error', '-y',
    '-f', 'lavfi', '-i', `anoisesrc=color=pink:amplitude=0.25:seed=42:sample_rate=44100:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=220:sample_rate=44100:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=1375:sample_rate=44100:duration=${seconds}`,
    '-filter_complex', '[0][1][2]amix=inputs=3:normalize=0,aformat=sample_fmts=s16:channel_layouts=stereo',
    '-c:a', 'pcm_s16le', file,
  ]);
  return file;
}

function run(argv: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(wrapper, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg failed: ${err.slice(0, 500)}`))));
  });
}

function takeCpu(): number {
  const text = fs.existsSync(cpuLog) ? fs.readFileSync(cpuLog, 'utf8') : '';
  fs.rmSync(cpuLog, { force: true });
  return text
    .split('\n')
    .map((line) => /^([\d.]+) ([\d.]+)$/.exec(line.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .reduce((sum, m) => sum + Number(m[1]) + Number(m[2]), 0);
}

interface Row {
  name: string;
  wallS: number;
  cpuS: number;
}

async function measure(name: string, body: () => Promise<void>): Promise<Row> {
  takeCpu();
  const started = process.hrtime.bigint();
  await body();
  const wallS = Number(process.hrtime.bigint() - started) / 1e9;
  return { name, wallS, cpuS: takeCpu() };
}

async function main() {
  process.stdout.write(`generating a ${seconds} s 44.1 kHz stereo WAV…\n`);
  const input = makeInput();
  const source: SourceMedia = { demuxer: 'wav', codec: 'pcm_s16le', bitRate: 1_411_200, sampleRate: 44100, channels: 2, durationS: seconds };
  const plan = planLadder(source, LADDER);
  const argsFor = (outputDir: string, processes: number, rungs = plan.rungs) => {
    for (const kbps of rungs) fs.mkdirSync(path.join(outputDir, `${kbps}k`), { recursive: true });
    return buildFfmpegArgs({ plan: { ...plan, rungs }, input: { path: input, demuxer: 'wav' }, outputDir, aacCoder: coder, processes });
  };
  const fresh = (name: string) => {
    const dir = path.join(work, name);
    fs.rmSync(dir, { recursive: true, force: true });
    return dir;
  };

  const rows: Row[] = [];
  process.stdout.write('bare ffmpeg, one pass writing the three rungs…\n');
  rows.push(await measure('bare ffmpeg, one pass (baseline)', async () => void (await run(argsFor(fresh('one-pass'), 1)[0]!))));
  process.stdout.write('bare ffmpeg, three sequential passes…\n');
  rows.push(
    await measure('bare ffmpeg, 3 sequential passes', async () => {
      const dir = fresh('sequential');
      for (const kbps of plan.rungs) await run(argsFor(dir, 1, [kbps])[0]!);
    }),
  );
  process.stdout.write('bare ffmpeg, three passes side by side…\n');
  rows.push(
    await measure('bare ffmpeg, 3 passes side by side', async () => {
      await Promise.all(argsFor(fresh('side-by-side'), 3).map(run));
    }),
  );

  const layout = new HlsLayout(path.join(work, 'hls'));
  const transcoder = new Transcoder({
    binaries: async () => ({ ffmpeg: wrapper, ffprobe: 'ffprobe', version: 'bench' }),
    layout,
    ladderKbps: LADDER,
    aacCoder: coder,
    staleAfterMs: 60_000,
  });
  process.stdout.write(`project pipeline (${cores} cores)…\n`);
  rows.push(
    await measure(`project pipeline (${cores} cores, ${coder})`, async () => {
      await transcoder.transcode({ trackId: 'bench', jobKey: 'bench', input: { path: input, demuxer: 'wav' }, source, cores, signal: new AbortController().signal, onProgress: () => undefined });
    }),
  );
  if (coder !== 'fast') {
    const fast = new Transcoder({ binaries: async () => ({ ffmpeg: wrapper, ffprobe: 'ffprobe', version: 'bench' }), layout, ladderKbps: LADDER, aacCoder: 'fast', staleAfterMs: 60_000 });
    process.stdout.write('project pipeline with -aac_coder fast (for the quality/CPU trade-off)…\n');
    rows.push(
      await measure(`project pipeline (${cores} cores, fast coder)`, async () => {
        await fast.transcode({ trackId: 'bench', jobKey: 'bench', input: { path: input, demuxer: 'wav' }, source, cores, signal: new AbortController().signal, onProgress: () => undefined });
      }),
    );
  }

  const base = rows[0]!;
  const load = os.loadavg()[0]!.toFixed(2);
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const lines = [
    `bench:transcode — ${new Date().toISOString().slice(0, 10)}, ${os.availableParallelism()} cores (${cpu}), ffmpeg ${execFileSync('ffmpeg', ['-version'], { encoding: 'utf8' }).split(' ')[2]}, load avg ${load}`,
    `input: ${seconds} s WAV 44.1 kHz stereo → AAC-LC ${LADDER.join('/')} kb/s HLS, -aac_coder ${coder} unless noted`,
    '',
    '| variant | wall s | CPU s | realtime × | wall vs one pass | CPU vs one pass |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.wallS.toFixed(2)} | ${r.cpuS.toFixed(2)} | ${(seconds / r.wallS).toFixed(1)} | ${(r.wallS / base.wallS).toFixed(2)}× | ${(r.cpuS / base.cpuS).toFixed(2)}× |`,
    ),
    '',
    'targets (same encoder settings): project wall ≤ 0.60× one pass (2-core floor 0.50×), CPU ≤ 1.15×',
  ];
  process.stdout.write(`\n${lines.join('\n')}\n`);
  fs.rmSync(work, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  fs.rmSync(work, { recursive: true, force: true });
  process.exit(1);
});
