/**
 * What a name or a title may contain, checked by the server's schemas and usable by the renderer before
 * it sends: no control characters (NUL breaks PostgreSQL, the others break layouts and logs) and no
 * bidirectional overrides or isolates (they make "evil.wav" read as something else). Plain constants, no
 * TypeBox: the renderer imports this module at runtime.
 */

// C0 controls, DEL, C1 controls, and the bidi embeddings/overrides (U+202A–202E) and isolates (U+2066–2069).
const FORBIDDEN_IN_NAMES = '\\u0000-\\u001f\\u007f-\\u009f\\u202a-\\u202e\\u2066-\\u2069';

/** JSON Schema `pattern` of a one-line name or title. */
export const SINGLE_LINE_TEXT_PATTERN = `^[^${FORBIDDEN_IN_NAMES}]*$`;

const SINGLE_LINE_TEXT = new RegExp(SINGLE_LINE_TEXT_PATTERN, 'u');
const FORBIDDEN = new RegExp(`[${FORBIDDEN_IN_NAMES}]+`, 'gu');

export function isSingleLineText(value: string): boolean {
  return SINGLE_LINE_TEXT.test(value);
}

/** One spelling per name: "é" typed precomposed or as e + accent is stored, searched and sorted alike. */
export function normalizeText(value: string): string {
  return value.normalize('NFC').trim();
}

/** For text nobody typed (a file's tags): keep what is readable rather than refuse the whole file. */
export function sanitizeText(value: string): string {
  return normalizeText(value.replace(FORBIDDEN, ' '));
}
