/**
 * npm run bench:chat [-- --quick]
 *
 * N socket.io clients × M messages, in rooms of R, against the Veza server and against a bare
 * socket.io relay (no auth, no storage, no limits) measured in the same run. Two modes: burst (every
 * client emits its M messages at once) and paced (one message per second per client, starts spread
 * over the first second). Each server runs in its own process (bench/chat-server.ts); this process is
 * the load generator, so on a 2-core machine the numbers are about throughput once the cores saturate.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import type { BenchClientSpec } from './chat-server.js';

interface Scenario {
  clients: number;
  messages: number;
  roomSize: number;
  mode: 'burst' | 'paced';
}

interface Result {
  server: 'veza' | 'bare';
  scenario: Scenario;
  connectMs: number;
  settleMs: number;
  p50: number;
  p99: number;
  max: number;
  e2eMs: number;
  deliveriesPerS: number;
  errors: number;
  rssMb: number;
}

const quick = process.argv.includes('--quick');
const scenarios: Scenario[] = quick
  ? [
      { clients: 100, messages: 3, roomSize: 10, mode: 'burst' },
      { clients: 100, messages: 3, roomSize: 10, mode: 'paced' },
      { clients: 300, messages: 3, roomSize: 50, mode: 'burst' },
      { clients: 300, messages: 3, roomSize: 50, mode: 'paced' },
    ]
  : [
      { clients: 100, messages: 10, roomSize: 10, mode: 'burst' },
      { clients: 100, messages: 10, roomSize: 10, mode: 'paced' },
      { clients: 1000, messages: 10, roomSize: 50, mode: 'burst' },
      { clients: 1000, messages: 10, roomSize: 50, mode: 'paced' },
    ];

class ServerProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static async start(kind: 'veza' | 'bare'): Promise<ServerProcess> {
    // BENCH_CPU_PROF=<dir> writes a CPU profile of the Veza server (where does its time go?).
    const profile = kind === 'veza' && process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
    const child = fork(new URL('./chat-server.ts', import.meta.url).pathname, [kind], { execArgv: ['--import', 'tsx', ...profile], stdio: 'inherit' });
    const ready = await new Promise<{ url: string }>((resolve, reject) => {
      child.once('message', (message) => resolve(message as { url: string }));
      child.once('exit', (code) => reject(new Error(`${kind} server exited (${code})`)));
    });
    return new ServerProcess(child, ready.url);
  }

  private ask<T>(request: object, type: string): Promise<T> {
    return new Promise((resolve) => {
      const listener = (message: { type: string }) => {
        if (message.type !== type) return;
        this.child.off('message', listener);
        resolve(message as T);
      };
      this.child.on('message', listener);
      this.child.send(request);
    });
  }

  setup(clients: number, roomSize: number) {
    return this.ask<{ clients: BenchClientSpec[] }>({ type: 'setup', clients, roomSize }, 'setup').then((r) => r.clients);
  }

  rss() {
    return this.ask<{ rss: number; peakRss: number }>({ type: 'rss' }, 'rss');
  }

  /** Disconnecting IPC makes the server exit normally (so a CPU profile gets written). */
  stop() {
    this.child.disconnect();
  }
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN);

async function connectAll(url: string, specs: BenchClientSpec[], kind: 'veza' | 'bare') {
  const sockets: Socket[] = new Array(specs.length);
  let errors = 0;
  const started = performance.now();
  // A bounded number of handshakes in flight, as a crowd of real clients would arrive.
  let next = 0;
  const worker = async () => {
    while (next < specs.length) {
      const i = next++;
      const spec = specs[i]!;
      const auth = kind === 'veza' ? { token: spec.token } : { room: spec.room_id };
      const socket = io(url, { path: '/api/v1/ws', auth, transports: ['websocket'], forceNew: true, reconnection: false });
      sockets[i] = socket;
      await new Promise<void>((resolve) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', () => {
          errors++;
          resolve();
        });
      });
    }
  };
  await Promise.all(Array.from({ length: 100 }, worker));
  return { sockets, connectMs: performance.now() - started, errors };
}

/** Waits until no socket has received anything for `quietMs` (the connect-time presence fan-out is over). */
async function settle(counter: () => number, quietMs = 300, maxMs = 60_000): Promise<number> {
  const started = performance.now();
  let last = counter();
  let lastChange = performance.now();
  while (performance.now() - started < maxMs) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = counter();
    if (now !== last) {
      last = now;
      lastChange = performance.now();
    } else if (performance.now() - lastChange >= quietMs) break;
  }
  return performance.now() - started;
}

async function run(server: ServerProcess, kind: 'veza' | 'bare', scenario: Scenario): Promise<Result> {
  const specs = await server.setup(scenario.clients, scenario.roomSize);
  await server.rss(); // resets the peak
  const { sockets, connectMs, errors: connectErrors } = await connectAll(server.url, specs, kind);
  let background = 0;
  const latencies: number[] = [];
  const sentAt = new Map<string, number>();
  let lastDelivery = 0;
  sockets.forEach((socket, i) => {
    socket.onAny((event: string, payload: { client_id?: string }) => {
      if (event !== 'message:new') return void background++;
      const id = payload.client_id!;
      if (id.startsWith(`${i}-`)) return; // the sender's own copy
      const at = performance.now();
      latencies.push(at - sentAt.get(id)!);
      lastDelivery = at;
    });
  });
  const settleMs = await settle(() => background);

  let ackErrors = 0;
  const sendOne = async (i: number, m: number) => {
    const spec = specs[i]!;
    const clientId = `${i}-${m}`;
    sentAt.set(clientId, performance.now());
    const payload = { room_id: spec.room_id, client_id: clientId, content: `message ${m} from client ${i}` };
    try {
      const ack = (await sockets[i]!.timeout(30_000).emitWithAck('message:send', payload)) as { ok: boolean };
      if (!ack.ok) ackErrors++;
    } catch {
      ackErrors++;
    }
  };
  const started = performance.now();
  const sends: Promise<void>[] = [];
  if (scenario.mode === 'burst') {
    for (let i = 0; i < scenario.clients; i++) for (let m = 0; m < scenario.messages; m++) sends.push(sendOne(i, m));
  } else {
    await Promise.all(
      Array.from({ length: scenario.clients }, async (_, i) => {
        await new Promise((resolve) => setTimeout(resolve, (i / scenario.clients) * 1000));
        for (let m = 0; m < scenario.messages; m++) {
          sends.push(sendOne(i, m));
          if (m < scenario.messages - 1) await new Promise((resolve) => setTimeout(resolve, 1000));
        }
      }),
    );
  }
  await Promise.all(sends);
  const expected = scenario.clients * scenario.messages * (scenario.roomSize - 1);
  const deadline = performance.now() + 30_000;
  while (latencies.length < expected && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  const e2eMs = (lastDelivery || performance.now()) - started;
  const { peakRss } = await server.rss();
  for (const socket of sockets) socket.disconnect();
  latencies.sort((a, b) => a - b);
  return {
    server: kind,
    scenario,
    connectMs,
    settleMs,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? NaN,
    e2eMs,
    deliveriesPerS: latencies.length / (e2eMs / 1000),
    errors: connectErrors + ackErrors + (expected - latencies.length),
    rssMb: peakRss / 1024 / 1024,
  };
}

const label = (s: Scenario) => `${s.clients}×${s.messages} rooms of ${s.roomSize}, ${s.mode}`;
const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '—');

const bare = await ServerProcess.start('bare');
const veza = await ServerProcess.start('veza');
const results: Result[] = [];
try {
  for (const scenario of scenarios) {
    for (const [kind, server] of [['bare', bare], ['veza', veza]] as const) {
      const result = await run(server, kind, scenario);
      results.push(result);
      console.error(`${kind.padEnd(4)} ${label(scenario)}: p99 ${fmt(result.p99)} ms, e2e ${fmt(result.e2eMs, 0)} ms, errors ${result.errors}`);
      // Let the server finish its disconnect work (offline presence fan-out) before the next run:
      // an IPC round trip answers late while its event loop is still busy.
      await new Promise((resolve) => setTimeout(resolve, 500));
      for (let i = 0; i < 600; i++) {
        const asked = performance.now();
        await server.rss();
        if (performance.now() - asked < 20) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
} finally {
  bare.stop();
  veza.stop();
}

console.log(`\nbench:chat — ${new Date().toISOString()} — Node ${process.version}, ${(await import('node:os')).cpus().length} cores${quick ? ' (--quick)' : ''}\n`);
console.log('| scenario | server | connect ms | settle ms | p50 ms | p99 ms | max ms | end-to-end ms | deliveries/s | errors | server RSS MB |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of results) {
  console.log(
    `| ${label(r.scenario)} | ${r.server} | ${fmt(r.connectMs, 0)} | ${fmt(r.settleMs, 0)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.max)} | ${fmt(r.e2eMs, 0)} | ${fmt(r.deliveriesPerS, 0)} | ${r.errors} | ${fmt(r.rssMb, 0)} |`,
  );
}
console.log('\n| scenario | p99 veza/bare | end-to-end veza/bare | targets (0 errors, ratios ≤ 2×, 100 paced p99 < 15 ms) |');
console.log('|---|---:|---:|---|');
for (const scenario of scenarios) {
  const b = results.find((r) => r.scenario === scenario && r.server === 'bare')!;
  const v = results.find((r) => r.scenario === scenario && r.server === 'veza')!;
  const p99Ratio = v.p99 / b.p99;
  const e2eRatio = v.e2eMs / b.e2eMs;
  const misses = [
    v.errors + b.errors > 0 ? 'errors' : '',
    p99Ratio > 2 ? 'p99 ratio' : '',
    e2eRatio > 2 ? 'e2e ratio' : '',
    scenario.clients === 100 && scenario.mode === 'paced' && v.p99 >= 15 ? 'p99 ≥ 15 ms' : '',
  ].filter(Boolean);
  console.log(`| ${label(scenario)} | ${fmt(p99Ratio, 2)}× | ${fmt(e2eRatio, 2)}× | ${misses.length ? `MISSED: ${misses.join(', ')}` : 'met'} |`);
}
