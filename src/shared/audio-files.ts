/**
 * Audio files the app offers to upload (desktop picker, browser file input), by extension, with the
 * MIME type a picked file is sent with. A hint only: the server's ffprobe gate has the final word.
 */
export const AUDIO_MIME_TYPES = {
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
  flac: 'audio/flac',
  ogg: 'audio/ogg',
  oga: 'audio/ogg',
  opus: 'audio/ogg',
  m4a: 'audio/mp4',
  aac: 'audio/aac',
  aif: 'audio/aiff',
  aiff: 'audio/aiff',
  wma: 'audio/x-ms-wma',
  webm: 'audio/webm',
} as const;

export type AudioExtension = keyof typeof AUDIO_MIME_TYPES;

export const AUDIO_EXTENSIONS = Object.keys(AUDIO_MIME_TYPES) as AudioExtension[];
