import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../../test/support/dialects.js';
import { AccountsRepository } from '../../accounts/accounts.repository.js';
import { TracksRepository } from '../tracks/tracks.repository.js';
import { JobsRepository } from './jobs.repository.js';

describeEachDialect('transcode jobs', (ctx) => {
  let clock = Date.parse('2030-01-01T00:00:00.000Z');
  const at = () => new Date((clock += 1000)).toISOString();

  async function user(name: string): Promise<string> {
    const id = randomUUID();
    await new AccountsRepository(ctx.database.db).insertUser({ id, username: name, display_name: name, password_hash: null, role: 'member', created_at: at() });
    return id;
  }

  async function track(ownerId: string, durationS = 240): Promise<string> {
    const id = randomUUID();
    const created = at();
    await new TracksRepository(ctx.database.db).insert(
      { id, owner_id: ownerId, title: 't', artist: 'a', duration_s: durationS, demuxer: 'wav', codec: 'pcm_s16le', bit_rate: null, sample_rate: 44100, channels: 2, size_bytes: 1, created_at: created, updated_at: created },
      { withJob: true },
    );
    return id;
  }

  it('is fair between users: a user with an encode running waits behind one who has none, oldest first otherwise', async () => {
    const jobs = new JobsRepository(ctx.database.db, ctx.dialect);
    const [heavy, light] = [await user('heavy'), await user('light')];
    const heavyTracks = [await track(heavy), await track(heavy), await track(heavy)];
    const lightTrack = await track(light);

    expect((await jobs.claimNext(60_000))?.trackId).toBe(heavyTracks[0]); // nobody runs anything: oldest
    expect((await jobs.claimNext(60_000))?.trackId).toBe(lightTrack); // heavy has one running, light none
    expect((await jobs.claimNext(60_000))?.trackId).toBe(heavyTracks[1]); // one each running: oldest again
  });

  it('counts the tracks and audio one user has waiting or encoding (the queue quota), not what is done or failed', async () => {
    const jobs = new JobsRepository(ctx.database.db, ctx.dialect);
    const [owner, other] = [await user('quota'), await user('someone')];
    await track(owner, 600);
    await track(owner, 300);
    await track(other, 999);
    expect(await jobs.queued(owner)).toEqual({ jobs: 2, seconds: 900 });
    const encoding = (await jobs.claimNext(60_000))!; // the 600 s one, oldest
    expect(await jobs.queued(owner)).toEqual({ jobs: 2, seconds: 900 });
    await jobs.markReady(encoding, [128]);
    expect(await jobs.queued(owner)).toEqual({ jobs: 1, seconds: 300 });
    await jobs.markFailed((await jobs.claimNext(60_000))!, 'broken');
    expect(await jobs.queued(owner)).toEqual({ jobs: 0, seconds: 0 });
    expect(await jobs.queued(randomUUID())).toEqual({ jobs: 0, seconds: 0 });
  });

  it('a re-transcode is a new enqueueing: the same job id gets a new key', async () => {
    const jobs = new JobsRepository(ctx.database.db, ctx.dialect);
    const trackId = await track(await user('again'));
    const first = (await jobs.claimNext(60_000))!;
    await jobs.markReady(first, [128]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await jobs.enqueue(trackId);
    const second = (await jobs.claimNext(60_000))!;
    expect(second.id).toBe(first.id);
    expect(second.key).not.toBe(first.key);
  });

  it('fences every claim with a number that only grows: a re-transcode claimed again never matches the superseded claim', async () => {
    const jobs = new JobsRepository(ctx.database.db, ctx.dialect);
    const trackId = await track(await user('fenced'));
    const superseded = (await jobs.claimNext(60_000))!;
    expect(await jobs.enqueue(trackId)).toBe(superseded.fence); // what a cancel message names
    const current = (await jobs.claimNext(60_000))!;
    expect(current.attempts).toBe(superseded.attempts); // attempts restart with the enqueueing…
    expect(current.fence).toBeGreaterThan(superseded.fence); // …the fence does not

    // The superseded worker fails, or finishes, late: neither lands on the current claim.
    await jobs.markFailed(superseded, 'Failed to open file');
    expect(await jobs.setProgress(superseded, 50, 60_000)).toBe(false);
    expect(await jobs.markReady(superseded, [128])).toBe(false);
    expect(await jobs.setProgress(current, 40, 60_000)).toBe(true);
    expect(await jobs.markReady(current, [128, 256])).toBe(true);
  });

  it('takes over a job whose lease ran out in the same claim (no sweep first), and never one whose lease is alive', async () => {
    const jobs = new JobsRepository(ctx.database.db, ctx.dialect);
    const [alive, dead] = [await track(await user('alive')), await track(await user('dead'))];
    const aliveClaim = (await jobs.claimNext(60_000))!;
    const deadClaim = (await jobs.claimNext(1))!;
    expect([aliveClaim.trackId, deadClaim.trackId]).toEqual([alive, dead]);
    await new Promise((resolve) => setTimeout(resolve, 20));

    const takeover = (await jobs.claimNext(60_000))!;
    expect(takeover).toMatchObject({ trackId: dead, attempts: deadClaim.attempts + 1 });
    expect(await jobs.claimNext(60_000)).toBeNull();
    expect(await jobs.setProgress(deadClaim, 10, 60_000)).toBe(false); // the dead worker, thawed, holds nothing
    expect(await jobs.setProgress(takeover, 10, 60_000)).toBe(true);
  });
});
