import type { Selectable } from 'kysely';
import type { MessagesTable } from '../../infra/db/schema.js';

/** A `messages` row as the repository and the search return it (`num` is the full-text rowid). */
export type MessageRow = Omit<Selectable<MessagesTable>, 'num'> & { num?: number };

export const MESSAGE_COLUMNS = [
  'num',
  'id',
  'room_id',
  'user_id',
  'client_id',
  'seq',
  'content',
  'track_id',
  'track_time_s',
  'created_at',
  'edited_at',
  'deleted_at',
] as const;
