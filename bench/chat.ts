/**
 * npm run bench:chat [-- --quick] [-- --instances N] [-- --durability]
 *
 * N socket.io clients × M messages, in rooms of R, against the Veza server and against a bare
 * socket.io relay (no auth, no storage, no limits) measured in the same run. Two modes: burst (every
 * client emits its M messages at once) and paced (one message per second per client, starts spread
 * over the first second). Each server runs in its own process (bench/chat-server.ts); this process is
 * the load generator, so on a 2-core machine the numbers are about throughput once the cores saturate.
 *
 * `--instances N` (N ≥ 2) measures team mode instead: a throwaway PostgreSQL and Redis are started,
 * and the same scenarios run against one team instance and against N instances sharing them (clients
 * spread round-robin, so every room spans the instances and every message crosses Redis). The ratio
 * N instances / one instance is the cost of fan-out across instances.
 *
 * `--durability` (solo) adds Veza with SQLite `synchronous=NORMAL` beside the default FULL: the price
 * of an fsync per commit, i.e. of acknowledged messages surviving a power loss.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { io, type Socket } from 'socket.io-client';
import { createTestDatabase, startPostgres } from '../test/support/postgres.js';
import { startRedis } from '../test/support/redis.js';
import type { BenchClientSpec } from './chat-server.js';

interface Scenario {
  clients: number;
  messages: number;
  roomSize: number;
  mode: 'burst' | 'paced';
}

type ServerKind = 'veza' | 'bare';

/** What a scenario runs against: one server process, or several instances of one team deployment. */
interface Target {
  name: string;
  kind: ServerKind;
  servers: ServerProcess[];
}

interface Result {
  server: string;
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

const { values: options } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, instances: { type: 'string', default: '1' }, durability: { type: 'boolean', default: false } },
});
const quick = options.quick;
const instances = Number(options.instances);
if (!Number.isInteger(instances) || instances < 1 || instances > 8) throw new Error(`--instances must be 1-8, got ${options.instances}`);
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

  /** `env` carries VEZA_DATABASE_URL / VEZA_REDIS_URL for a team instance. */
  static async start(kind: ServerKind, env: Record<string, string> = {}): Promise<ServerProcess> {
    // BENCH_CPU_PROF=<dir> writes a CPU profile of the Veza server (where does its time go?).
    const profile = kind === 'veza' && process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
    const child = fork(new URL('./chat-server.ts', import.meta.url).pathname, [kind], {
      execArgv: ['--import', 'tsx', ...profile],
      stdio: 'inherit',
      env: { ...process.env, ...env },
    });
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

/** Client i connects to instance i mod N: consecutive clients share a room, so rooms span instances. */
async function connectAll(urls: string[], specs: BenchClientSpec[], kind: ServerKind) {
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
      const socket = io(urls[i % urls.length]!, { path: '/api/v1/ws', auth, transports: ['websocket'], forceNew: true, reconnection: false });
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

/** Peak RSS summed over the target's processes (each call resets the peaks). */
async function peakRss(target: Target): Promise<number> {
  const all = await Promise.all(target.servers.map((server) => server.rss()));
  return all.reduce((sum, { peakRss }) => sum + peakRss, 0);
}

async function run(target: Target, scenario: Scenario): Promise<Result> {
  // Team instances share one database: setting up users and rooms through one of them is enough.
  const specs = await target.servers[0]!.setup(scenario.clients, scenario.roomSize);
  await peakRss(target); // resets the peaks
  const urls = target.servers.map((server) => server.url);
  const { sockets, connectMs, errors: connectErrors } = await connectAll(urls, specs, target.kind);
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
  const rss = await peakRss(target);
  for (const socket of sockets) socket.disconnect();
  latencies.sort((a, b) => a - b);
  return {
    server: target.name,
    scenario,
    connectMs,
    settleMs,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? NaN,
    e2eMs,
    deliveriesPerS: latencies.length / (e2eMs / 1000),
    errors: connectErrors + ackErrors + (expected - latencies.length),
    rssMb: rss / 1024 / 1024,
  };
}

const label = (s: Scenario) => `${s.clients}×${s.messages} rooms of ${s.roomSize}, ${s.mode}`;
const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '—');

/** Let a server finish its disconnect work (offline presence fan-out): its IPC answers late while busy. */
async function waitUntilIdle(target: Target) {
  await new Promise((resolve) => setTimeout(resolve, 500));
  for (const server of target.servers) {
    for (let i = 0; i < 600; i++) {
      const asked = performance.now();
      await server.rss();
      if (performance.now() - asked < 20) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Solo: bare relay vs Veza. Team: one instance vs N instances over one PostgreSQL and Redis. */
async function startTargets(): Promise<{ targets: Target[]; stop: () => Promise<void> }> {
  const bare: Target = { name: 'bare', kind: 'bare', servers: [await ServerProcess.start('bare')] };
  if (instances === 1) {
    const veza: Target = { name: 'veza', kind: 'veza', servers: [await ServerProcess.start('veza', { VEZA_SQLITE_SYNCHRONOUS: 'full' })] };
    const targets = [bare, veza];
    if (options.durability) targets.push({ name: 'veza NORMAL', kind: 'veza', servers: [await ServerProcess.start('veza', { VEZA_SQLITE_SYNCHRONOUS: 'normal' })] });
    return { targets, stop: async () => targets.forEach((t) => t.servers.forEach((s) => s.stop())) };
  }
  const [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  // Two deployments, each with its own database and Redis logical database (socket.io streams and keys
  // are apart; pub/sub channels are server-wide, but the chat does not use them).
  const deployment = async (count: number, redisDb: number) => {
    const env = { VEZA_DATABASE_URL: await createTestDatabase(postgres.url), VEZA_REDIS_URL: `${redis.url}/${redisDb}` };
    return Promise.all(Array.from({ length: count }, () => ServerProcess.start('veza', env)));
  };
  const one: Target = { name: 'team ×1', kind: 'veza', servers: await deployment(1, 1) };
  const many: Target = { name: `team ×${instances}`, kind: 'veza', servers: await deployment(instances, 2) };
  const targets = [bare, one, many];
  return {
    targets,
    stop: async () => {
      targets.forEach((t) => t.servers.forEach((s) => s.stop()));
      await new Promise((resolve) => setTimeout(resolve, 500));
      await Promise.all([postgres.stop(), redis.stop()]);
    },
  };
}

const { targets, stop } = await startTargets();
const results: Result[] = [];
try {
  for (const scenario of scenarios) {
    for (const target of targets) {
      const result = await run(target, scenario);
      results.push(result);
      console.error(`${target.name.padEnd(8)} ${label(scenario)}: p99 ${fmt(result.p99)} ms, e2e ${fmt(result.e2eMs, 0)} ms, errors ${result.errors}`);
      await waitUntilIdle(target);
    }
  }
} finally {
  await stop();
}

const mode = instances === 1 ? 'solo (SQLite, in-process store)' : `team (PostgreSQL + Redis), 1 vs ${instances} instances`;
console.log(`\nbench:chat — ${new Date().toISOString()} — Node ${process.version}, ${(await import('node:os')).cpus().length} cores, ${mode}${quick ? ' (--quick)' : ''}\n`);
console.log('| scenario | server | connect ms | settle ms | p50 ms | p99 ms | max ms | end-to-end ms | deliveries/s | errors | server RSS MB |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of results) {
  console.log(
    `| ${label(r.scenario)} | ${r.server} | ${fmt(r.connectMs, 0)} | ${fmt(r.settleMs, 0)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.max)} | ${fmt(r.e2eMs, 0)} | ${fmt(r.deliveriesPerS, 0)} | ${r.errors} | ${fmt(r.rssMb, 0)} |`,
  );
}
const result = (scenario: Scenario, name: string) => results.find((r) => r.scenario === scenario && r.server === name)!;
if (instances === 1) {
  console.log('\n| scenario | p99 veza/bare | end-to-end veza/bare | targets (0 errors, ratios ≤ 2×, 100 paced p99 < 15 ms) |');
  console.log('|---|---:|---:|---|');
  for (const scenario of scenarios) {
    const b = result(scenario, 'bare');
    const v = result(scenario, 'veza');
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
  if (options.durability) {
    console.log('\n| scenario | p50 FULL/NORMAL | p99 FULL/NORMAL | end-to-end FULL/NORMAL |');
    console.log('|---|---:|---:|---:|');
    for (const scenario of scenarios) {
      const [full, normal] = [result(scenario, 'veza'), result(scenario, 'veza NORMAL')];
      console.log(`| ${label(scenario)} | ${fmt(full.p50 / normal.p50, 2)}× | ${fmt(full.p99 / normal.p99, 2)}× | ${fmt(full.e2eMs / normal.e2eMs, 2)}× |`);
    }
  }
} else {
  const manyName = `team ×${instances}`;
  console.log(`\n| scenario | p50 ×${instances}/×1 | p99 ×${instances}/×1 | end-to-end ×${instances}/×1 | p99 ×1/bare | p99 ×${instances}/bare | errors |`);
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const scenario of scenarios) {
    const [b, one, many] = [result(scenario, 'bare'), result(scenario, 'team ×1'), result(scenario, manyName)];
    console.log(
      `| ${label(scenario)} | ${fmt(many.p50 / one.p50, 2)}× | ${fmt(many.p99 / one.p99, 2)}× | ${fmt(many.e2eMs / one.e2eMs, 2)}× | ${fmt(one.p99 / b.p99, 2)}× | ${fmt(many.p99 / b.p99, 2)}× | ${b.errors + one.errors + many.errors} |`,
    );
  }
}
