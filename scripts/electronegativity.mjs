#!/usr/bin/env node
/**
 * Runs @doyensec/electronegativity over the sources and fails on any HIGH or MEDIUM finding. The tool
 * itself exits 0 whatever it finds, so its CSV report is parsed here. It is run through `npx --yes`
 * because it pulls eslint 7 and TypeScript 4, which must not land in the project's dependencies.
 * Usage: node scripts/electronegativity.mjs [input dir, default src]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const VERSION = '1.10.3';
const ELECTRON_VERSION = '45.4.1';
const FAILING = new Set(['HIGH', 'MEDIUM']);

/**
 * Findings reviewed by hand are annotated where they are, with the tool's own comment
 * (an `eng-disable CHECK_ID` block comment on the line); the tool then leaves them out of its report. They are
 * listed on every run so the reviews stay visible.
 */
function listAnnotations(dir) {
  const found = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !/\.(ts|tsx|js|mjs|html)$/.test(entry.name)) continue;
    const file = path.join(entry.parentPath ?? entry.path, entry.name);
    fs.readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        const match = /eng-disable[ \t]+([\w \t]+)/.exec(line);
        if (match) found.push(`${file}:${i + 1} ${match[1].trim()}`);
      });
  }
  return found;
}

/** Minimal RFC 4180 CSV: quoted fields may hold commas, quotes ("") and newlines. */
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => r.some((f) => f !== ''));
}

export function findingsFromCsv(text) {
  const [header, ...rows] = parseCsv(text);
  if (!header) return [];
  const column = (name) => header.findIndex((h) => h.trim().toLowerCase() === name);
  const at = { issue: column('issue'), severity: column('severity'), confidence: column('confidence'), file: column('filename'), location: column('location'), description: column('description') };
  if (at.severity < 0) throw new Error(`unexpected electronegativity CSV header: ${header.join(',')}`);
  return rows.map((r) => ({
    issue: r[at.issue] ?? '',
    severity: (r[at.severity] ?? '').trim().toUpperCase(),
    confidence: r[at.confidence] ?? '',
    file: r[at.file] ?? '',
    location: r[at.location] ?? '',
    description: r[at.description] ?? '',
  }));
}

function main() {
  const input = process.argv[2] ?? 'src';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'electronegativity-'));
  const report = path.join(dir, 'report.csv');
  const result = spawnSync('npx', ['--yes', `@doyensec/electronegativity@${VERSION}`, '-i', input, '-e', ELECTRON_VERSION, '-r', '-o', report], {
    encoding: 'utf8',
    shell: process.platform === 'win32',
  });
  if (result.status !== 0 || !fs.existsSync(report)) {
    process.stderr.write(result.stdout ?? '');
    process.stderr.write(result.stderr ?? '');
    console.error(`electronegativity did not produce a report (exit ${result.status}); is the npm registry reachable?`);
    process.exit(2);
  }
  const findings = findingsFromCsv(fs.readFileSync(report, 'utf8'));
  fs.rmSync(dir, { recursive: true, force: true });
  const failing = findings.filter((f) => FAILING.has(f.severity));
  for (const f of findings) {
    console.log(`${(FAILING.has(f.severity) ? 'FAIL' : 'info').padEnd(5)} ${f.severity.padEnd(13)} ${f.issue} ${f.file}:${f.location} (${f.confidence})`);
  }
  for (const annotation of listAnnotations(input)) console.log(`reviewed (eng-disable) ${annotation}`);
  console.log(`electronegativity ${VERSION}: ${findings.length} finding(s), ${failing.length} HIGH/MEDIUM`);
  process.exit(failing.length > 0 ? 1 : 0);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) main();
