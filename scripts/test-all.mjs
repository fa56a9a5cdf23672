#!/usr/bin/env node
// `npm test`: static checks, the build, every vitest suite (unit + integration with real PostgreSQL,
// Redis and FFmpeg) and the Playwright suites in Chromium, then one summary line.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const reports = path.join(root, '.tmp', 'reports');
fs.rmSync(reports, { recursive: true, force: true });
fs.mkdirSync(reports, { recursive: true });

const steps = [];
function run(name, command, args, env = {}) {
  process.stdout.write(`\n▶ ${name}: ${command} ${args.join(' ')}\n`);
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  const ok = result.status === 0;
  steps.push({ name, ok, seconds: Math.round((Date.now() - started) / 1000) });
  return ok;
}

const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
run('typecheck', npx, ['tsc', '-p', 'tsconfig.node.json']);
run('typecheck web', npx, ['tsc', '-p', 'tsconfig.web.json']);
run('typecheck web tests', npx, ['tsc', '-p', 'tsconfig.web-test.json']);
run('lint', npx, ['eslint', '.', '--max-warnings', '0']);
run('dead code', npx, ['knip']);
run('electronegativity', process.execPath, ['scripts/electronegativity.mjs']);
const built = run('build', npx, ['electron-vite', 'build']);
run('storybook', npx, ['storybook', 'build', '--disable-telemetry', '--quiet', '-o', 'storybook-static']);
run('vitest', npx, ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${path.join(reports, 'vitest.json')}`]);
if (built) {
  run('playwright', npx, ['playwright', 'test', '--reporter=list,json'], { PLAYWRIGHT_JSON_OUTPUT_NAME: path.join(reports, 'playwright.json') });
}

const count = { passed: 0, failed: 0, skipped: 0 };
const readJson = (file) => (fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : null);
const vitest = readJson(path.join(reports, 'vitest.json'));
if (vitest) {
  count.passed += vitest.numPassedTests;
  count.failed += vitest.numFailedTests;
  count.skipped += vitest.numPendingTests + vitest.numTodoTests;
}
const playwright = readJson(path.join(reports, 'playwright.json'));
if (playwright) {
  count.passed += playwright.stats.expected + playwright.stats.flaky;
  count.failed += playwright.stats.unexpected;
  count.skipped += playwright.stats.skipped;
}

const failedSteps = steps.filter((step) => !step.ok);
process.stdout.write('\n── summary ──\n');
for (const step of steps) process.stdout.write(`${step.ok ? '✔' : '✘'} ${step.name} (${step.seconds} s)\n`);
// A failed step that no test report accounts for (a type error, a crash before reporting) counts as one failure.
const reported = { vitest, playwright };
const unreported = failedSteps.filter((step) => !(step.name in reported && reported[step.name] && count.failed > 0)).length;
process.stdout.write(`tests: ${count.passed} passed, ${count.failed + unreported} failed, ${count.skipped} skipped\n`);
process.exit(failedSteps.length > 0 ? 1 : 0);
