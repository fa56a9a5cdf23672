import { type Kysely, type Selectable, sql } from 'kysely';
import type { Message, Room, RoomMember } from '../../../src/shared/chat.js';
import { DEFAULT_ROOM_ID } from '../../../src/shared/chat.js';
import type { SqlDialect } from '../../infra/db/dialect.js';
import type { DB, RoomsTable } from '../../infra/db/schema.js';
import { MESSAGE_COLUMNS, type MessageRow } from './message-row.js';
import { createMessageSearch } from './search/create-message-search.js';
import type { MessageSearch, MessageSearchOptions, SearchPage } from './search/message-search.js';
import type { ParsedSearch } from './search/search-query.js';

export function toMessage(row: MessageRow): Message {
  return {
    id: row.id,
    room_id: row.room_id,
    user_id: row.user_id,
    client_id: row.client_id,
    seq: Number(row.seq),
    content: row.deleted_at ? '' : row.content,
    track_id: row.track_id,
    track_time_s: row.track_time_s === null ? null : Number(row.track_time_s),
    created_at: row.created_at,
    edited_at: row.edited_at,
    is_deleted: row.deleted_at !== null,
  };
}

export interface NewMessage {
  id: string;
  room_id: string;
  user_id: string;
  client_id: string;
  content: string;
  track_id: string | null;
  track_time_s: number | null;
  created_at: string;
}

interface PendingInsert {
  message: NewMessage;
  resolve(row: MessageRow | undefined): void;
  reject(error: unknown): void;
}

/**
 * One statement: SQLite has a single writer, so max(seq) + 1 (read through the (room_id, seq) index)
 * cannot race; a trigger keeps rooms.last_seq in step. `undefined` when the client_id exists already.
 */
async function insertSqliteRow(db: Kysely<DB>, message: NewMessage): Promise<MessageRow | undefined> {
  const { rows } = await sql<MessageRow>`
    insert into messages (id, room_id, user_id, client_id, seq, content, track_id, track_time_s, created_at)
    select ${message.id}, ${message.room_id}, ${message.user_id}, ${message.client_id}, coalesce(max(seq), 0) + 1,
           ${message.content}, ${message.track_id}, ${message.track_time_s}, ${message.created_at}
    from messages where room_id = ${message.room_id}
    on conflict (user_id, client_id) do nothing
    returning num, id, room_id, user_id, client_id, seq, content, track_id, track_time_s, created_at, edited_at, deleted_at`.execute(db);
  return rows[0];
}

/** Thrown inside the insert transaction to roll back the seq bump when the client_id already exists. */
class DuplicateClientId extends Error {}
/** Thrown inside a batch transaction to roll it back and insert its messages one by one instead. */
class BatchNeedsSingles extends Error {}

export class ChatRepository {
  private readonly messageSearch: MessageSearch;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly dialect: SqlDialect,
    options: MessageSearchOptions = {},
  ) {
    this.messageSearch = createMessageSearch(db, dialect, options);
  }

  /** Every room, with whether `userId` is a member (rooms are open to everyone on the server). */
  async listRooms(userId: string, page: { limit: number; offset: number }): Promise<{ rooms: Room[]; total: number }> {
    const [rows, count] = await Promise.all([
      this.db
        .selectFrom('rooms')
        .leftJoin('room_members', (join) => join.onRef('room_members.room_id', '=', 'rooms.id').on('room_members.user_id', '=', userId))
        .select(['rooms.id', 'rooms.name', 'rooms.created_by', 'rooms.created_at', 'room_members.user_id as member'])
        .orderBy(sql`room_members.user_id is null`)
        .orderBy('rooms.created_at')
        .orderBy('rooms.id')
        .limit(page.limit)
        .offset(page.offset)
        .execute(),
      this.db.selectFrom('rooms').select((eb) => eb.fn.countAll().as('total')).executeTakeFirstOrThrow(),
    ]);
    const rooms = rows.map((row) => ({
      id: row.id,
      name: row.name,
      created_by: row.created_by,
      created_at: row.created_at,
      is_default: row.id === DEFAULT_ROOM_ID,
      is_member: row.member !== null,
    }));
    return { rooms, total: Number(count.total) };
  }

  findRoom(id: string): Promise<Selectable<RoomsTable> | undefined> {
    return this.db.selectFrom('rooms').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async createRoom(room: { id: string; name: string; created_by: string; created_at: string }): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('rooms').values({ ...room, last_seq: 0 }).execute();
      await trx.insertInto('room_members').values({ room_id: room.id, user_id: room.created_by, joined_at: room.created_at }).execute();
    });
  }

  async isMember(roomId: string, userId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('room_members')
      .select('user_id')
      .where('room_id', '=', roomId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row !== undefined;
  }

  async addMember(roomId: string, userId: string, joinedAt: string): Promise<void> {
    await this.db
      .insertInto('room_members')
      .values({ room_id: roomId, user_id: userId, joined_at: joinedAt })
      .onConflict((oc) => oc.columns(['room_id', 'user_id']).doNothing())
      .execute();
  }

  async removeMember(roomId: string, userId: string): Promise<void> {
    await this.db.deleteFrom('room_members').where('room_id', '=', roomId).where('user_id', '=', userId).execute();
  }

  async memberRoomIds(userId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('room_members').select('room_id').where('user_id', '=', userId).execute();
    return rows.map((row) => row.room_id);
  }

  /** Members with their display names, by name; and how many there are in all. */
  async members(roomId: string, limit: number): Promise<{ members: RoomMember[]; total: number }> {
    const [members, count] = await Promise.all([
      this.db
        .selectFrom('room_members')
        .innerJoin('users', 'users.id', 'room_members.user_id')
        .select(['users.id as user_id', 'users.display_name'])
        .where('room_members.room_id', '=', roomId)
        .orderBy('users.display_name')
        .orderBy('users.id')
        .limit(limit)
        .execute(),
      this.db.selectFrom('room_members').select((eb) => eb.fn.countAll<number | string>().as('n')).where('room_id', '=', roomId).executeTakeFirstOrThrow(),
    ]);
    return { members, total: Number(count.n) };
  }

  async memberIds(roomId: string, limit: number): Promise<string[]> {
    const rows = await this.db.selectFrom('room_members').select('user_id').where('room_id', '=', roomId).limit(limit).execute();
    return rows.map((row) => row.user_id);
  }

  /**
   * Inserts a message with the room's next seq, or returns the message already stored under the
   * user's client_id. The unique constraint decides, so concurrent retries and other instances agree.
   * Seqs commit in order: a reader never sees seq n+1 before n.
   */
  async insertMessage(message: NewMessage): Promise<{ row: MessageRow; isNew: boolean }> {
    const row = await this.insertGrouped(message);
    if (row) return { row, isNew: true };
    const winner = await this.findByClientId(message.user_id, message.client_id);
    if (!winner) throw new Error('client_id conflict without a stored message');
    return { row: winner, isNew: false };
  }

  /** Sends waiting for the next group commit (see `insertGrouped`). */
  private pendingInserts: PendingInsert[] = [];

  /**
   * Group commit: sends that arrive in the same event-loop turn are written in one transaction. In
   * autocommit every send paid its own commit (SQLite: a WAL frame, an fsync and an FTS5 segment flush;
   * PostgreSQL: a round trip, a room lock and a WAL flush each), the biggest per-message cost of a burst.
   * A lone send still runs alone. Each caller is answered only after the commit, so an ack never
   * precedes durability; a failed commit answers every send of the batch with the error (they retry
   * with their client_id).
   */
  private insertGrouped(message: NewMessage): Promise<MessageRow | undefined> {
    return new Promise((resolve, reject) => {
      this.pendingInserts.push({ message, resolve, reject });
      if (this.pendingInserts.length === 1 && !this.isFlushing) setImmediate(() => void this.flushInserts());
    });
  }

  /**
   * One batch at a time: a sender's messages get their seqs in the order they were sent (two batches in
   * flight on two connections could take a room's lock the other way round), and sends that arrive
   * while a batch commits form the next, larger one.
   */
  private isFlushing = false;
  private async flushInserts(): Promise<void> {
    this.isFlushing = true;
    try {
      await (this.dialect === 'sqlite' ? this.flushSqliteInserts() : this.flushPostgresInserts());
    } finally {
      this.isFlushing = false;
      if (this.pendingInserts.length > 0) setImmediate(() => void this.flushInserts());
    }
  }

  private async flushSqliteInserts(): Promise<void> {
    const batch = this.pendingInserts;
    this.pendingInserts = [];
    if (batch.length === 1) {
      const [only] = batch as [PendingInsert];
      return insertSqliteRow(this.db, only.message).then(only.resolve, only.reject);
    }
    const outcomes: Array<{ row?: MessageRow; error?: unknown }> = [];
    try {
      await this.db.transaction().execute(async (trx) => {
        for (const { message } of batch) {
          // A failing statement (e.g. a room deleted meanwhile) is rolled back alone by SQLite; the
          // transaction and the other sends go on.
          try {
            outcomes.push({ row: await insertSqliteRow(trx, message) });
          } catch (error) {
            outcomes.push({ error });
          }
        }
      });
    } catch (error) {
      for (const pending of batch) pending.reject(error);
      return;
    }
    batch.forEach((pending, i) => {
      const outcome = outcomes[i]!;
      if (outcome.error !== undefined) pending.reject(outcome.error);
      else pending.resolve(outcome.row);
    });
  }

  /**
   * PostgreSQL's group commit: one transaction bumps each room's seq once (rooms locked in id order, so
   * two instances never deadlock) and inserts every message in one statement (`unnest`: the same SQL
   * text for any batch size, one prepared statement). A client_id that exists already would leave a
   * hole in its room's seqs: the batch is then rolled back and its sends run one by one, in order.
   */
  private async flushPostgresInserts(): Promise<void> {
    const batch = this.pendingInserts;
    this.pendingInserts = [];
    const insertOneByOne = async () => {
      for (const { message, resolve, reject } of batch) await this.insertPostgres(message).then(resolve, reject);
    };
    if (batch.length === 1) return insertOneByOne();
    let rows: MessageRow[];
    try {
      rows = await this.db.transaction().execute(async (trx) => {
        const byRoom = new Map<string, PendingInsert[]>();
        for (const pending of batch) {
          const sends = byRoom.get(pending.message.room_id);
          if (sends) sends.push(pending);
          else byRoom.set(pending.message.room_id, [pending]);
        }
        const seqs = new Map<PendingInsert, number>();
        for (const roomId of [...byRoom.keys()].sort()) {
          const sends = byRoom.get(roomId)!;
          const room = await trx
            .updateTable('rooms')
            .set((eb) => ({ last_seq: eb('last_seq', '+', sends.length) }))
            .where('id', '=', roomId)
            .returning('last_seq')
            .executeTakeFirst();
          if (!room) throw new BatchNeedsSingles(); // a room deleted meanwhile: each send gets its own answer
          sends.forEach((pending, i) => seqs.set(pending, Number(room.last_seq) - sends.length + 1 + i));
        }
        const column = <K extends keyof NewMessage>(key: K) => batch.map((pending) => pending.message[key]);
        const { rows: inserted } = await sql<MessageRow>`
          insert into messages (id, room_id, user_id, client_id, seq, content, track_id, track_time_s, created_at)
          select * from unnest(${column('id')}::text[], ${column('room_id')}::text[], ${column('user_id')}::text[],
            ${column('client_id')}::text[], ${batch.map((pending) => seqs.get(pending)!)}::bigint[], ${column('content')}::text[],
            ${column('track_id')}::text[], ${column('track_time_s')}::double precision[], ${column('created_at')}::timestamptz[])
          on conflict (user_id, client_id) do nothing
          returning ${sql.join(MESSAGE_COLUMNS.map((name) => sql.ref(name)))}`.execute(trx);
        if (inserted.length < batch.length) throw new BatchNeedsSingles();
        return inserted;
      });
    } catch (error) {
      if (error instanceof BatchNeedsSingles) return insertOneByOne();
      for (const pending of batch) pending.reject(error);
      return;
    }
    const byId = new Map(rows.map((row) => [row.id, row]));
    for (const pending of batch) pending.resolve(byId.get(pending.message.id));
  }

  /** The seq bump locks the room row, so concurrent senders commit their seqs in order. */
  private async insertPostgres(message: NewMessage): Promise<MessageRow | undefined> {
    try {
      return await this.db.transaction().execute(async (trx) => {
        const room = await trx
          .updateTable('rooms')
          .set((eb) => ({ last_seq: eb('last_seq', '+', 1) }))
          .where('id', '=', message.room_id)
          .returning('last_seq')
          .executeTakeFirstOrThrow();
        const inserted = await trx
          .insertInto('messages')
          .values({ ...message, seq: Number(room.last_seq), edited_at: null, deleted_at: null })
          .onConflict((oc) => oc.columns(['user_id', 'client_id']).doNothing())
          .returning(MESSAGE_COLUMNS)
          .executeTakeFirst();
        // Roll the seq bump back: the message exists already.
        if (!inserted) throw new DuplicateClientId();
        return inserted;
      });
    } catch (error) {
      if (error instanceof DuplicateClientId) return undefined;
      throw error;
    }
  }

  findByClientId(userId: string, clientId: string): Promise<MessageRow | undefined> {
    return this.db
      .selectFrom('messages')
      .select(MESSAGE_COLUMNS)
      .where('user_id', '=', userId)
      .where('client_id', '=', clientId)
      .executeTakeFirst();
  }

  findMessage(id: string): Promise<MessageRow | undefined> {
    return this.db.selectFrom('messages').select(MESSAGE_COLUMNS).where('id', '=', id).executeTakeFirst();
  }

  updateContent(id: string, content: string, editedAt: string): Promise<MessageRow | undefined> {
    return this.db
      .updateTable('messages')
      .set({ content, edited_at: editedAt })
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .returning(MESSAGE_COLUMNS)
      .executeTakeFirst();
  }

  /** Soft delete: the row stays (the client_id keeps deduplicating) but leaves history and the search index. */
  async softDelete(id: string, deletedAt: string): Promise<boolean> {
    const result = await this.db
      .updateTable('messages')
      .set({ deleted_at: deletedAt })
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Newest first before `before`, or oldest first after `after`; deleted messages never appear. */
  history(roomId: string, page: { before?: number; after?: number; limit: number }): Promise<MessageRow[]> {
    let query = this.db.selectFrom('messages').select(MESSAGE_COLUMNS).where('room_id', '=', roomId).where('deleted_at', 'is', null);
    if (page.after !== undefined) {
      query = query.where('seq', '>', page.after).orderBy('seq', 'asc');
      if (page.before !== undefined) query = query.where('seq', '<', page.before);
    } else {
      if (page.before !== undefined) query = query.where('seq', '<', page.before);
      query = query.orderBy('seq', 'desc');
    }
    return query.limit(page.limit).execute();
  }

  /** Ranked (best first), then newest; only live messages of the given rooms. */
  search(roomIds: string[], search: ParsedSearch, page: { limit: number; offset: number }): Promise<SearchPage> {
    return this.messageSearch.search(roomIds, search, page);
  }
}
