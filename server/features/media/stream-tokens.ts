/**
 * Track-scoped stream tokens: `<kid>.<exp>.<user-id>.<sig>` where sig = HMAC-SHA256(key[kid],
 * "v1\n<track-id>\n<user-id>\n<exp>\n<kid>"). The track id is not in the token but in the signed text,
 * so a token only opens the track it was issued for. Keys are rotated by adding a new key id: tokens
 * signed by older keys stay valid until they expire or the old key is removed.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface StreamKeys {
  /** Key id that signs new tokens. */
  current: string;
  keys: Record<string, Buffer>;
}

export type TokenCheck = { ok: true; userId: string; expiresAt: number } | { ok: false; reason: 'malformed' | 'unknown-key' | 'bad-signature' | 'expired' };

const KID = /^[a-z0-9]{1,16}$/;
const TOKEN = /^([a-z0-9]{1,16})\.(\d{1,12})\.([0-9a-f-]{36})\.([A-Za-z0-9_-]{43})$/;

/** How many verified tokens are remembered (a listener uses one token per track for its whole TTL). */
const VERIFIED_MEMO_SIZE = 10_000;

export class StreamTokens {
  /**
   * Tokens whose signature already checked out, with the track they were checked against. A player
   * sends the same token with every segment, and an HMAC costs more than the rest of a cached segment
   * response (bench:serve). Only the signature check is skipped: the track must be the same and the
   * expiry is tested on every call with the (injectable) clock. Keys are fixed for the instance's
   * lifetime, so an entry can never outlive the key that signed it. Lookup is by the whole token
   * string; V8's string hashing is seeded per process, so an attacker cannot aim for collisions.
   */
  private readonly verified = new Map<string, { trackId: string; userId: string; exp: number }>();

  constructor(
    private readonly keys: StreamKeys,
    private readonly options: { ttlS: number; now?: () => number },
  ) {
    if (!keys.keys[keys.current]) throw new Error(`stream key ${keys.current} is missing`);
  }

  /** Verified tokens held in memory (bounded by VERIFIED_MEMO_SIZE). */
  get rememberedCount(): number {
    return this.verified.size;
  }

  private nowS(): number {
    return Math.floor((this.options.now ?? Date.now)() / 1000);
  }

  private sign(key: Buffer, trackId: string, userId: string, exp: number, kid: string): Buffer {
    return createHmac('sha256', key).update(`v1\n${trackId}\n${userId}\n${exp}\n${kid}`).digest();
  }

  issue(trackId: string, userId: string): { token: string; expiresAt: number } {
    const exp = this.nowS() + this.options.ttlS;
    const kid = this.keys.current;
    const sig = this.sign(this.keys.keys[kid]!, trackId, userId, exp, kid).toString('base64url');
    return { token: `${kid}.${exp}.${userId}.${sig}`, expiresAt: exp };
  }

  verify(token: string | undefined, trackId: string): TokenCheck {
    const known = token === undefined ? undefined : this.verified.get(token);
    if (known !== undefined && known.trackId === trackId) {
      if (this.nowS() > known.exp) {
        this.verified.delete(token!);
        return { ok: false, reason: 'expired' };
      }
      return { ok: true, userId: known.userId, expiresAt: known.exp };
    }
    const match = TOKEN.exec(token ?? '');
    if (!match) return { ok: false, reason: 'malformed' };
    const [, kid, expText, userId, sigText] = match as unknown as [string, string, string, string, string];
    const key = this.keys.keys[kid];
    if (!key) return { ok: false, reason: 'unknown-key' };
    const exp = Number(expText);
    // Compared as text: base64url leaves 2 spare bits in 43 characters, so decoding would accept 4 spellings.
    const expected = Buffer.from(this.sign(key, trackId, userId, exp, kid).toString('base64url'));
    const given = Buffer.from(sigText);
    // Constant-time: the lengths are fixed by the pattern, the comparison never short-circuits.
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad-signature' };
    // One spelling of the expiry too: `0017…` must not be a second token for the same grant.
    if (String(exp) !== expText) return { ok: false, reason: 'malformed' };
    if (this.nowS() > exp) return { ok: false, reason: 'expired' };
    // Oldest entry out first: a flood of distinct valid tokens only costs HMACs again, never memory.
    if (this.verified.size >= VERIFIED_MEMO_SIZE) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token!, { trackId, userId, exp });
    return { ok: true, userId, expiresAt: exp };
  }
}

/**
 * Keys from `VEZA_STREAM_KEYS` (team mode: every instance must share them) or else from
 * `<dataDir>/stream-keys.json` (mode 0600), created with one random key at first start.
 * To rotate: add a key id with a new secret and make it `current`.
 */
export function loadStreamKeys(mediaDir: string, configured: Array<{ kid: string; secret: string }> | null): StreamKeys {
  if (configured && configured.length > 0) {
    return { current: configured[0]!.kid, keys: Object.fromEntries(configured.map(({ kid, secret }) => [kid, Buffer.from(secret, 'utf8')])) };
  }
  // Beside the media every instance serves, so team instances sharing the media dir share the key.
  const file = path.join(mediaDir, 'stream-keys.json');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(mediaDir, { recursive: true, mode: 0o700 });
    const initial = { current: 'k1', keys: { k1: randomBytes(32).toString('base64') } };
    // Written aside, then linked into place: instances starting together never read half a file.
    const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    fs.writeFileSync(temp, `${JSON.stringify(initial, null, 2)}\n`, { mode: 0o600 });
    try {
      fs.linkSync(temp, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      fs.rmSync(temp, { force: true });
    }
  }
  const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as { current: string; keys: Record<string, string> };
  for (const kid of Object.keys(stored.keys)) if (!KID.test(kid)) throw new Error(`${file}: key id "${kid}" must be 1-16 of [a-z0-9]`);
  return { current: stored.current, keys: Object.fromEntries(Object.entries(stored.keys).map(([kid, secret]) => [kid, Buffer.from(secret, 'base64')])) };
}
