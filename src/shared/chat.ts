/**
 * Chat JSON shapes (CONTRACT.md "Chat"), as TypeBox schemas for the REST routes; types via Static.
 * The socket contract (socket-events.ts) builds on them.
 */
import { type Static, Type } from '@sinclair/typebox';
import { ROOM_NAME_MAX_LENGTH, SEARCH_QUERY_MAX_LENGTH } from './limits.js';

// The server's chat feature imports its limits from here; they are defined in limits.ts (TypeBox-free).
export { MESSAGE_MAX_LENGTH, ROOM_NAME_MAX_LENGTH } from './limits.js';

/** Every user is a member of this room; it exists from the first migration on. */
export const DEFAULT_ROOM_ID = '00000000-0000-4000-8000-000000000001';
export const DEFAULT_ROOM_NAME = 'General';

/** The UUID shape of ids; also used to validate socket payloads. */
export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

/** `T` or null. */
export const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

export const RoomSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  created_by: Nullable(Type.String()),
  created_at: Type.String(),
  is_default: Type.Boolean(),
  is_member: Type.Boolean(),
});
export type Room = Static<typeof RoomSchema>;

const MessageSchema = Type.Object({
  id: Type.String(),
  room_id: Type.String(),
  user_id: Type.String(),
  client_id: Type.String(),
  /** Position in the room: strictly increasing in commit order, the history cursor. */
  seq: Type.Integer(),
  content: Type.String(),
  track_id: Nullable(Type.String()),
  track_time_s: Nullable(Type.Number()),
  created_at: Type.String(),
  edited_at: Nullable(Type.String()),
  is_deleted: Type.Boolean(),
});
export type Message = Static<typeof MessageSchema>;

/**
 * A search hit: the message plus a plain-text snippet and the [start, end) UTF-16 ranges of the
 * matched words inside it. The snippet is user text, never HTML: the renderer wraps the ranges itself.
 */
const SearchHitSchema = Type.Composite([
  MessageSchema,
  Type.Object({ snippet: Type.String(), highlights: Type.Array(Type.Tuple([Type.Integer(), Type.Integer()])) }),
]);
export type SearchHit = Static<typeof SearchHitSchema>;

export const PresenceSchema = Type.Object({
  user_id: Type.String(),
  status: Type.Union([Type.Literal('online'), Type.Literal('offline')]),
  last_seen: Nullable(Type.String()),
  track_id: Nullable(Type.String()),
  track_name: Nullable(Type.String()),
});
export type Presence = Static<typeof PresenceSchema>;

const RoomMemberSchema = Type.Object({ user_id: Type.String(), display_name: Type.String() });
export type RoomMember = Static<typeof RoomMemberSchema>;
/** A room's members by name; `total` counts them all, `members` holds at most ROOM_MEMBERS_MAX. */
export const RoomMembersSchema = Type.Object({ members: Type.Array(RoomMemberSchema), total: Type.Integer() });
export type RoomMembers = Static<typeof RoomMembersSchema>;
export const ROOM_MEMBERS_MAX = 1000;

export const CreateRoomBodySchema = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: ROOM_NAME_MAX_LENGTH }) },
  { additionalProperties: false },
);
export const RoomParamsSchema = Type.Object({ id: Type.String({ pattern: UUID_PATTERN }) });
/** Rooms you are a member of first (General leading), then the others, oldest first within each. */
export const RoomListQuerySchema = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 200 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000, default: 0 })),
});
export const RoomListSchema = Type.Object({ rooms: Type.Array(RoomSchema), total: Type.Integer() });

export const HistoryQuerySchema = Type.Object({
  /** Messages with a smaller `seq` than this (newest first); omit for the latest page. */
  before: Type.Optional(Type.Integer({ minimum: 1 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
});
export const HistoryPageSchema = Type.Object({
  messages: Type.Array(MessageSchema),
  /** Pass as `before` for the next (older) page; null when there is none. */
  next_before: Nullable(Type.Integer()),
});
export type HistoryPage = Static<typeof HistoryPageSchema>;

export const SearchQuerySchema = Type.Object({
  q: Type.String({ maxLength: SEARCH_QUERY_MAX_LENGTH }),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000, default: 0 })),
});
export const SearchResultSchema = Type.Object({
  messages: Type.Array(SearchHitSchema),
  /** Number of matches: exact, or the cap (200) when `total_capped`. */
  total: Type.Integer(),
  /** True when more than `total` messages match: search counts (and ranks) at most the newest 200. */
  total_capped: Type.Boolean(),
});
export type SearchResult = Static<typeof SearchResultSchema>;

export const UserParamsSchema = Type.Object({ id: Type.String({ pattern: UUID_PATTERN }) });
