/** Shapes of the API the renderer speaks, from the shared contract (type-only: no TypeBox at runtime). */
export type { HlsInfo, HlsStatus, StreamUrl, Track, TrackList, TrackStatusEvent } from '../../../shared/api';
export type { Message, Presence, Room, RoomMembers, SearchHit } from '../../../shared/chat';
export type { AckResult, ClientToServerEvents, SendMessagePayload, ServerToClientEvents, TypingEvent } from '../../../shared/socket-events';
