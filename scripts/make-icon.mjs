#!/usr/bin/env node
/**
 * Draws the app icon (a violet "V" over a waveform on a dark rounded square) as PNG files in resources/,
 * without any image tool: raw RGBA rows, deflated, in PNG chunks. Run: node scripts/make-icon.mjs
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function png(size, pixel) {
  const rows = [];
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 4);
    for (let x = 0; x < size; x++) row.set(pixel(x / size, y / size), 1 + x * 4);
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(Buffer.concat(rows), { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const BG = [17, 19, 24, 255];
const VIOLET = [124, 92, 255, 255];
const GREEN = [52, 211, 153, 255];
const CLEAR = [0, 0, 0, 0];

/** Distance from a point to a segment, for the strokes of the V. */
function segmentDistance(px, py, ax, ay, bx, by) {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

function pixel(x, y) {
  // Rounded square with 6 % margin and 17 % corner radius.
  const m = 0.06;
  const r = 0.17;
  const cx = Math.min(Math.max(x, m + r), 1 - m - r);
  const cy = Math.min(Math.max(y, m + r), 1 - m - r);
  if (Math.hypot(x - cx, y - cy) > r) return CLEAR;
  const stroke = 0.065;
  if (segmentDistance(x, y, 0.28, 0.22, 0.5, 0.66) < stroke || segmentDistance(x, y, 0.72, 0.22, 0.5, 0.66) < stroke) return VIOLET;
  const bars = [0.06, 0.1, 0.045, 0.12, 0.08, 0.05];
  for (let i = 0; i < bars.length; i++) {
    const left = 0.27 + i * 0.082;
    if (x >= left && x < left + 0.045 && y <= 0.85 && y >= 0.85 - bars[i]) return GREEN;
  }
  return BG;
}

const out = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'resources');
fs.mkdirSync(path.join(out, 'icons'), { recursive: true });
fs.writeFileSync(path.join(out, 'icon.png'), png(1024, pixel));
for (const size of [16, 32, 48, 64, 128, 256, 512]) fs.writeFileSync(path.join(out, 'icons', `${size}x${size}.png`), png(size, pixel));
console.log(`icons written to ${out}`);
