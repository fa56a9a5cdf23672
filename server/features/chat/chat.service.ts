import { randomUUID } from 'node:crypto';
import type { User } from '../../../src/shared/api.js';
import {
  DEFAULT_ROOM_ID,
  type HistoryPage,
  MESSAGE_MAX_LENGTH,
  type Message,
  ROOM_MEMBERS_MAX,
  ROOM_NAME_MAX_LENGTH,
  type Room,
  type RoomMembers,
  type SearchResult,
} from '../../../src/shared/chat.js';
import { ErrorCode } from '../../../src/shared/errors.js';
import type { MessageDeletedEvent, SendMessagePayload } from '../../../src/shared/socket-events.js';
import { AppError, notFound } from '../../infra/errors.js';
import type { RateLimiter } from '../../infra/rate-limit/rate-limiter.js';
import { type ChatRepository, toMessage } from './chat.repository.js';
import { buildSnippet, parseSearch } from './search/search-query.js';

/** How the service tells the world; the plugin wires it to socket.io rooms. */
export interface ChatEvents {
  messageCreated(message: Message): void;
  messageUpdated(message: Message): void;
  messageDeleted(event: MessageDeletedEvent): void;
  /** A user became a member of a room (their sockets should follow) or left it. */
  membershipChanged(userId: string, roomId: string, isMember: boolean): void;
}

export interface ChatServiceOptions {
  now?: () => number;
}

// Control characters other than newline (C0, DEL, C1) are dropped from messages and room names.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARS = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F]/g;

function cleanText(text: string): string {
  return text.replace(CONTROL_CHARS, '').trim();
}

const invalid = (message: string) => new AppError(400, ErrorCode.VALIDATION_FAILED, message);

export class ChatService {
  private readonly now: () => number;
  /** Users known to be in the default room, so the auto-join insert runs once per user per process. */
  private readonly inDefaultRoom = new Set<string>();

  constructor(
    private readonly repo: ChatRepository,
    private readonly limiter: RateLimiter,
    private readonly events: ChatEvents,
    options: ChatServiceOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  private isoNow(): string {
    return new Date(this.now()).toISOString();
  }

  /** Every user is a member of the default room from their first use of the chat on. */
  async ensureDefaultRoom(userId: string): Promise<void> {
    if (this.inDefaultRoom.has(userId)) return;
    // A read first: after a restart every reconnecting user passes here once, and a write (a commit,
    // an fsync) per connect would slow down the crowd coming back.
    if (!(await this.repo.isMember(DEFAULT_ROOM_ID, userId))) await this.repo.addMember(DEFAULT_ROOM_ID, userId, this.isoNow());
    this.inDefaultRoom.add(userId);
  }

  async listRooms(user: User, page: { limit: number; offset: number }): Promise<{ rooms: Room[]; total: number }> {
    await this.ensureDefaultRoom(user.id);
    return this.repo.listRooms(user.id, page);
  }

  async memberRoomIds(userId: string): Promise<string[]> {
    await this.ensureDefaultRoom(userId);
    return this.repo.memberRoomIds(userId);
  }

  memberIds(roomId: string, limit = 500): Promise<string[]> {
    return this.repo.memberIds(roomId, limit);
  }

  /** Who is in a room, by name (members only): the app shows authors and presence by name. */
  async members(user: User, roomId: string): Promise<RoomMembers> {
    await this.requireMember(user.id, roomId);
    return this.repo.members(roomId, ROOM_MEMBERS_MAX);
  }

  async createRoom(user: User, rawName: string): Promise<Room> {
    const name = cleanText(rawName);
    if (name.length === 0 || name.length > ROOM_NAME_MAX_LENGTH) invalidName();
    await this.limiter.consume(user.id, 'create_room');
    const room = { id: randomUUID(), name, created_by: user.id, created_at: this.isoNow() };
    await this.repo.createRoom(room);
    this.events.membershipChanged(user.id, room.id, true);
    return { ...room, is_default: false, is_member: true };
  }

  async joinRoom(user: User, roomId: string): Promise<void> {
    await this.limiter.consume(user.id, 'join_room');
    if (!(await this.repo.findRoom(roomId))) throw notFound('Room');
    await this.repo.addMember(roomId, user.id, this.isoNow());
    this.events.membershipChanged(user.id, roomId, true);
  }

  async leaveRoom(user: User, roomId: string): Promise<void> {
    if (roomId === DEFAULT_ROOM_ID) throw invalid('Everyone stays in the default room');
    await this.requireMember(user.id, roomId);
    await this.repo.removeMember(roomId, user.id);
    this.events.membershipChanged(user.id, roomId, false);
  }

  /** 404 when the room does not exist, 403 when the user is not in it. */
  async requireMember(userId: string, roomId: string): Promise<void> {
    if (roomId === DEFAULT_ROOM_ID) return this.ensureDefaultRoom(userId);
    if (await this.repo.isMember(roomId, userId)) return;
    if (!(await this.repo.findRoom(roomId))) throw notFound('Room');
    throw new AppError(403, ErrorCode.FORBIDDEN, 'Join the room first');
  }

  /**
   * `isKnownMember`: the transport already knows the user is in the room (the socket is in the room's
   * socket.io room, which it only enters after a membership check), so the database check is skipped.
   */
  async send(user: User, input: SendMessagePayload, options: { isKnownMember?: boolean } = {}): Promise<Message> {
    await this.limiter.consume(user.id, 'send_message');
    const content = validContent(input.content);
    if (!options.isKnownMember) await this.requireMember(user.id, input.room_id);
    const { row, isNew } = await this.repo.insertMessage({
      id: randomUUID(),
      room_id: input.room_id,
      user_id: user.id,
      client_id: input.client_id,
      content,
      track_id: input.track_id ?? null,
      track_time_s: input.track_time_s ?? null,
      created_at: this.isoNow(),
    });
    const message = toMessage(row);
    if (isNew) this.events.messageCreated(message);
    return message;
  }

  async edit(user: User, messageId: string, rawContent: string): Promise<Message> {
    await this.limiter.consume(user.id, 'send_message');
    const content = validContent(rawContent);
    const existing = await this.ownMessage(user, messageId);
    await this.requireMember(user.id, existing.room_id);
    const row = await this.repo.updateContent(messageId, content, this.isoNow());
    if (!row) throw notFound('Message');
    const message = toMessage(row);
    this.events.messageUpdated(message);
    return message;
  }

  async delete(user: User, messageId: string): Promise<void> {
    await this.limiter.consume(user.id, 'send_message');
    const existing = await this.ownMessage(user, messageId);
    if (await this.repo.softDelete(messageId, this.isoNow())) {
      this.events.messageDeleted({ room_id: existing.room_id, message_id: messageId });
    }
  }

  /** Checks a typing notice (limit and membership); relaying it is the transport's job. */
  async typing(user: User, roomId: string): Promise<void> {
    await this.limiter.consume(user.id, 'typing');
    await this.requireMember(user.id, roomId);
  }

  async history(user: User, roomId: string, page: { before?: number; after?: number; limit?: number }): Promise<HistoryPage> {
    await this.limiter.consume(user.id, 'fetch_history');
    await this.requireMember(user.id, roomId);
    const limit = clamp(page.limit ?? 50, 1, 200);
    const rows = await this.repo.history(roomId, { before: page.before, after: page.after, limit });
    const messages = rows.map(toMessage);
    const oldest = page.after === undefined ? messages.at(-1) : messages[0];
    return { messages, next_before: messages.length === limit && oldest ? oldest.seq : null };
  }

  /** Searches one room (`roomId`) or every room the user is in (null). */
  async search(user: User, roomId: string | null, q: string, page: { limit?: number; offset?: number }): Promise<SearchResult> {
    await this.limiter.consume(user.id, 'search');
    let roomIds: string[];
    if (roomId === null) roomIds = await this.memberRoomIds(user.id);
    else {
      await this.requireMember(user.id, roomId);
      roomIds = [roomId];
    }
    const parsed = parseSearch(q);
    const { rows, total, totalCapped } = await this.repo.search(roomIds, parsed, {
      limit: clamp(page.limit ?? 50, 1, 200),
      offset: clamp(page.offset ?? 0, 0, 10_000),
    });
    return { messages: rows.map((row) => ({ ...toMessage(row), ...buildSnippet(row.content, parsed.words) })),
      total,
      total_capped: totalCapped,
    };
  }

  private async ownMessage(user: User, messageId: string) {
    const row = await this.repo.findMessage(messageId);
    if (!row || row.deleted_at !== null) throw notFound('Message');
    if (row.user_id !== user.id) throw new AppError(403, ErrorCode.FORBIDDEN, 'You can only change your own messages');
    return row;
  }
}

function invalidName(): never {
  throw invalid(`Room names are 1–${ROOM_NAME_MAX_LENGTH} characters`);
}

function validContent(raw: string): string {
  const content = cleanText(raw);
  if (content.length === 0) throw invalid('A message cannot be empty');
  if (content.length > MESSAGE_MAX_LENGTH) throw invalid(`A message is at most ${MESSAGE_MAX_LENGTH} characters`);
  return content;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.trunc(value)));
}
