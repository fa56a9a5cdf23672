import { Type } from '@sinclair/typebox';
import { UUID_PATTERN } from '../../../src/shared/chat.js';

/** Socket payload schemas (client → server). Lengths are checked again after cleaning the text. */
const Id = Type.String({ pattern: UUID_PATTERN });
// Room for a long message whose control characters are about to be stripped.
const Content = Type.String({ minLength: 1, maxLength: 8000 });

export const RoomPayload = Type.Object({ room_id: Id });

export const SendPayload = Type.Object({
  room_id: Id,
  client_id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' }),
  content: Content,
  track_id: Type.Optional(Type.Union([Id, Type.Null()])),
  track_time_s: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 86_400 }), Type.Null()])),
});

export const EditPayload = Type.Object({ message_id: Id, content: Content });
export const DeletePayload = Type.Object({ message_id: Id });

export const HistoryPayload = Type.Object({
  room_id: Id,
  before: Type.Optional(Type.Integer({ minimum: 1 })),
  after: Type.Optional(Type.Integer({ minimum: 0 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
});

export const SearchPayload = Type.Object({
  room_id: Id,
  q: Type.String({ maxLength: 4000 }),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
});
