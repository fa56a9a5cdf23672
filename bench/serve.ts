/**
 * npm run bench:serve — HLS segment GETs per second, in the same run, from:
 *   - nginx (Debian package, one worker, sendfile, access log off) serving the segment files,
 *   - a plain Node static server (http + fs.createReadStream),
 *   - the Veza server: the full app as `npm run serve` builds it. After the first request of each
 *     segment (which goes through the Fastify route: schema, token, rung check, realpath, disk read into
 *     the LRU byte cache), hits are answered by the segment fast path on the raw http server
 *     (server/features/media/hls/segment-fast-path.ts): Host policy, strict path, stream-token check, one
 *     `res.end(buffer)`. The token's HMAC is computed on its first use and remembered (track binding and
 *     expiry are still checked per request), as a player sends one token with every segment of a listen.
 * Each server runs in its own process; the load generator (wrk -t1 if installed, else autocannon) runs
 * here, bounded in time. All share the machine's cores, so run it on an idle machine and read the ratios.
 * The targets are measured in turns, --rounds times (nginx, Node, Veza, nginx, Node, Veza, …), and each
 * row shows the round with the median req/s: on a shared machine a burst of other work then skews one
 * round, not one target. The per-round Veza/nginx ratios are printed under the table.
 * Options: --seconds N per target and round (default 5), --rounds N (3), --connections N (default 16),
 * --segments N (20), --kb N (100).
 * VEZA_BENCH_PROF=<dir> writes a CPU profile of the Veza server process there.
 */
import autocannon from 'autocannon';
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    role: { type: 'string' },
    dir: { type: 'string' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '16' },
    segments: { type: 'string', default: '20' },
    kb: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '3' },
  },
});

/** Child role: a plain Node static file server on `dir`. */
async function serveStatic(root: string) {
  const server = http.createServer((req, res) => {
    const file = path.join(root, decodeURIComponent((req.url ?? '/').split('?')[0]!));
    if (!file.startsWith(root + path.sep)) return void res.writeHead(403).end();
    fs.stat(file, (error, stat) => {
      if (error) return void res.writeHead(404).end();
      res.writeHead(200, { 'Content-Type': 'video/mp2t', 'Content-Length': stat.size });
      fs.createReadStream(file).pipe(res);
    });
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`));
}

/** Child role: the Veza app on a data dir prepared by the parent (one ready track). */
async function serveVeza(dataDir: string) {
  const { buildApp } = await import('../server/app.js');
  const { loadConfig } = await import('../server/config.js');
  const meta = JSON.parse(fs.readFileSync(path.join(dataDir, 'bench.json'), 'utf8')) as { trackId: string; segments: number; size: number };
  const app = await buildApp(loadConfig({ VEZA_DATA_DIR: dataDir, VEZA_PORT: '0', VEZA_LOG_LEVEL: 'warn' }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  app.hostPolicy.bindPort(port);
  const ownerToken = await app.accounts.issueOwnerToken({ revokePrevious: false, displayName: 'bench' });
  const owner = await app.accounts.authenticate(ownerToken);
  const at = new Date().toISOString();
  await app.db.db.insertInto('tracks').values({ id: meta.trackId, owner_id: owner!.id, title: 'bench', artist: 'bench', duration_s: meta.segments * 6, demuxer: 'wav', codec: 'pcm_s16le', bit_rate: 1411200, sample_rate: 44100, channels: 2, size_bytes: 1, created_at: at, updated_at: at }).execute();
  await app.db.db.insertInto('transcode_jobs').values({ id: randomUUID(), track_id: meta.trackId, status: 'ready', progress: 100, attempts: 1, error: null, rungs: '[128]', lease_expires_at: null, created_at: at, updated_at: at }).execute();
  const info = await app.inject({ method: 'GET', url: `/api/v1/tracks/${meta.trackId}/hls/info`, headers: { host: `127.0.0.1:${port}`, authorization: `Bearer ${ownerToken}` } });
  const token = new URL(info.json<{ master_url: string }>().master_url).searchParams.get('token');
  process.once('SIGINT', () => void app.close().finally(() => process.exit(0)));
  process.stdout.write(`${JSON.stringify({ port, token })}\n`);
}

function startChild(command: string, args: string[]): { child: ChildProcess; ready: Promise<Record<string, unknown>> } {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line) as Record<string, unknown>);
    });
    child.once('exit', (code) => reject(new Error(`${command} exited with ${code}`)));
  });
  return { child, ready };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = http.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitUp(url: string) {
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(url).then((r) => r.status === 200, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never answered 200`);
}

interface Row {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

const hasWrk = (() => {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    return (error as { status?: number }).status === 1; // wrk --version exits 1 after printing
  }
})();

function toMs(value: string): number {
  const match = /^([\d.]+)(us|ms|s)$/.exec(value)!;
  const n = Number(match[1]);
  return match[2] === 'us' ? n / 1000 : match[2] === 's' ? n * 1000 : n;
}

/** wrk (C, one thread) when installed: a Node load generator would be the bottleneck itself. */
async function loadWithWrk(name: string, base: string, paths: string[], work: string, warm: boolean): Promise<Row> {
  const script = path.join(work, `paths-${Math.random().toString(16).slice(2)}.lua`);
  fs.writeFileSync(script, `local paths = {${paths.map((p) => JSON.stringify(p)).join(',')}}\nlocal i = 0\nrequest = function()\n  i = i % #paths + 1\n  return wrk.format("GET", paths[i])\nend\n`);
  const run = (seconds: string) =>
    new Promise<string>((resolve, reject) =>
      execFile('wrk', ['-t1', `-c${values.connections}`, `-d${seconds}s`, '--latency', '-s', script, base], { timeout: 120_000 }, (error, stdout) => (error ? reject(error) : resolve(stdout))),
    );
  if (warm) await run('1');
  const out = await run(values.seconds!);
  return {
    name,
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1]),
    p50: toMs(/\s50%\s+(\S+)/.exec(out)![1]!),
    p99: toMs(/\s99%\s+(\S+)/.exec(out)![1]!),
    errors: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0) + Number(/Socket errors: connect (\d+)/.exec(out)?.[1] ?? 0),
  };
}

let workDir = '';

async function load(name: string, base: string, paths: string[], warm: boolean): Promise<Row> {
  await waitUp(base + paths[0]);
  if (hasWrk) return loadWithWrk(name, base, paths, workDir, warm);
  const opts = { url: base, connections: Number(values.connections), requests: paths.map((p) => ({ method: 'GET' as const, path: p })) };
  if (warm) await autocannon({ ...opts, duration: 1 }); // warm-up (JIT, caches)
  const result = await autocannon({ ...opts, duration: Number(values.seconds) });
  return { name, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.non2xx + result.errors };
}

async function main() {
  const loadAtStart = os.loadavg()[0]!;
  const segments = Number(values.segments);
  const size = Number(values.kb) * 1024;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'veza-bench-serve-'));
  workDir = work;
  const children: ChildProcess[] = [];
  let stopNginx = () => {};
  try {
    const trackId = randomUUID();
    const rungDir = path.join(work, 'data', 'media', 'hls', trackId, '128k');
    fs.mkdirSync(rungDir, { recursive: true });
    const names = Array.from({ length: segments }, (_, i) => `seg_${String(i).padStart(5, '0')}.ts`);
    for (const name of names) fs.writeFileSync(path.join(rungDir, name), randomBytes(size));
    fs.writeFileSync(path.join(work, 'data', 'bench.json'), JSON.stringify({ trackId, segments, size }));
    const hlsRoot = path.join(work, 'data', 'media', 'hls');
    const rel = names.map((n) => `/${trackId}/128k/${n}`);

    const nginxPort = await freePort();
    const conf = path.join(work, 'nginx.conf');
    fs.writeFileSync(
      conf,
      `user root; worker_processes 1; daemon off; pid ${work}/nginx.pid; error_log ${work}/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off; sendfile on; tcp_nopush on; open_file_cache max=1000 inactive=60s;
  client_body_temp_path ${work}/cb; proxy_temp_path ${work}/px; fastcgi_temp_path ${work}/fc; uwsgi_temp_path ${work}/uw; scgi_temp_path ${work}/sc;
  types { video/mp2t ts; }
  server { listen 127.0.0.1:${nginxPort}; root ${hlsRoot}; }
}
`,
    );
    // In its own process group: the worker must go with the master (killing the master alone orphans it,
    // and the orphan keeps the port and this process's stdout).
    const nginx = spawn('/usr/sbin/nginx', ['-c', conf, '-p', work], { stdio: 'inherit', detached: true });
    stopNginx = () => {
      try {
        process.kill(-nginx.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    };

    const self = [...(process.env.VEZA_BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.VEZA_BENCH_PROF] : []), '--import', 'tsx', path.join(import.meta.dirname, 'serve.ts')];
    const plain = startChild(process.execPath, [...self, '--role', 'static', '--dir', hlsRoot]);
    children.push(plain.child);
    const { port: plainPort } = (await plain.ready) as { port: number };
    const veza = startChild(process.execPath, [...self, '--role', 'veza', '--dir', path.join(work, 'data')]);
    children.push(veza.child);
    const { port: vezaPort, token } = (await veza.ready) as { port: number; token: string };

    // All three stay up; an idle server costs nothing while another is measured.
    const targets = [
      { name: 'nginx 1 worker (sendfile)', base: `http://127.0.0.1:${nginxPort}`, paths: rel },
      { name: 'plain Node static (createReadStream)', base: `http://127.0.0.1:${plainPort}`, paths: rel },
      { name: 'Veza (token check + LRU cache, fast path)', base: `http://127.0.0.1:${vezaPort}`, paths: names.map((n) => `/api/v1/tracks/${trackId}/hls/128k/${n}?token=${token}`) },
    ];
    const rounds = Math.max(1, Number(values.rounds));
    const runs: Row[][] = targets.map(() => []);
    for (let round = 0; round < rounds; round++) {
      for (const [i, target] of targets.entries()) runs[i]!.push(await load(target.name, target.base, target.paths, round === 0));
    }
    veza.child.kill('SIGINT');
    await new Promise((r) => veza.child.once('exit', r));
    plain.child.kill('SIGTERM');
    stopNginx();
    const median = (rows: Row[]) => [...rows].sort((a, b) => a.rps - b.rps)[Math.floor(rows.length / 2)]!;
    // The median round's speed, but every round's errors.
    const rows = runs.map((targetRuns) => ({ ...median(targetRuns), errors: targetRuns.reduce((sum, row) => sum + row.errors, 0) }));
    const perRound = runs[2]!.map((row, i) => (row.rps / runs[0]![i]!.rps).toFixed(2)).join(', ');

    const base = rows[0]!;
    const lines = [
      `bench:serve — ${new Date().toISOString().slice(0, 10)}, ${os.availableParallelism()} cores (${os.cpus()[0]?.model ?? '?'}), load avg ${loadAtStart.toFixed(2)} at start, ${os.loadavg()[0]!.toFixed(2)} at end`,
      `${segments} segments × ${values.kb} KB, ${values.connections} connections, ${values.seconds} s per target × ${rounds} rounds in turns, median round shown (${hasWrk ? 'wrk -t1' : 'autocannon'}, same machine)`,
      '',
      '| server | req/s | p50 ms | p99 ms | non-2xx/errors | vs nginx |',
      '|---|---:|---:|---:|---:|---:|',
      ...rows.map((r) => `| ${r.name} | ${Math.round(r.rps)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.errors} | ${(r.rps / base.rps).toFixed(2)}× |`),
      '',
      `Veza / nginx per round: ${perRound}`,
      'target: Veza ≥ 0.5× nginx with token verification',
    ];
    process.stdout.write(`\n${lines.join('\n')}\n`);
  } finally {
    for (const child of children) child.kill('SIGKILL');
    stopNginx();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (values.role === 'static') void serveStatic(values.dir!);
else if (values.role === 'veza') void serveVeza(values.dir!);
else
  main().catch((error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
