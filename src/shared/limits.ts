/**
 * Length limits of the contract, in one place: the schemas (api.ts, chat.ts, socket-events.ts) and the
 * server check them, the renderer's inputs respect them. Plain constants, no TypeBox: the renderer
 * imports this module at runtime.
 */

export const USERNAME_MIN_LENGTH = 3;
export const USERNAME_MAX_LENGTH = 32;
/** Sign-in accepts a little more than registration, so an odd stored name still gets a clear refusal. */
export const LOGIN_USERNAME_MAX_LENGTH = 64;
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 1024;
export const DISPLAY_NAME_MAX_LENGTH = 64;

/** Title and artist of a track. */
export const TRACK_TEXT_MAX_LENGTH = 200;

/** A chat message, after the server has cleaned it. */
export const MESSAGE_MAX_LENGTH = 4000;
/** What a send may carry before cleaning: control characters are stripped, then MESSAGE_MAX_LENGTH applies. */
export const MESSAGE_PAYLOAD_MAX_LENGTH = 2 * MESSAGE_MAX_LENGTH;
export const ROOM_NAME_MAX_LENGTH = 64;
/** The sender's idempotency key of a message (a UUID or any 1–64 of `[A-Za-z0-9_.:-]`). */
export const CLIENT_ID_MAX_LENGTH = 64;
export const SEARCH_QUERY_MAX_LENGTH = 4000;
