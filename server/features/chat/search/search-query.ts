/**
 * User search text → words. Only letters and digits survive, so nothing the user types ever reaches
 * FTS5's or PostgreSQL's query syntax: operators (`AND`, `NEAR(`, `*`, `-`, `"`) become plain words or
 * vanish. Semantics are plain text: every word must match; a query wrapped in double quotes must match
 * as a phrase.
 */
export interface ParsedSearch {
  words: string[];
  isPhrase: boolean;
}

const WORD = /[\p{L}\p{N}]+/gu;
const MAX_WORDS = 16;
const MAX_WORD_LENGTH = 64;

export function parseSearch(q: string): ParsedSearch {
  const trimmed = q.trim();
  const isPhrase = trimmed.length > 2 && trimmed.startsWith('"') && trimmed.endsWith('"');
  const seen = new Set<string>();
  const words: string[] = [];
  for (const match of trimmed.normalize('NFC').toLowerCase().matchAll(WORD)) {
    const word = match[0].slice(0, MAX_WORD_LENGTH);
    // A phrase keeps repeats and order; plain words are a set.
    if (!isPhrase && seen.has(word)) continue;
    seen.add(word);
    words.push(word);
    if (words.length === MAX_WORDS) break;
  }
  return { words, isPhrase: isPhrase && words.length > 1 };
}

/** Token the FTS5 index carries for a room (UUID without dashes, so unicode61 keeps it one token). */
export const roomToken = (roomId: string) => `r${roomId.replaceAll('-', '').toLowerCase()}`;

const quote = (text: string) => `"${text.replaceAll('"', '""')}"`;

/**
 * The FTS5 MATCH expression: the room tokens and the words, every one a quoted string. Quoting keeps
 * even a word like `AND` or `NEAR` a plain string to FTS5. `roomIds` null: the words alone (the caller
 * filters rooms itself).
 */
export function fts5Match(roomIds: string[] | null, search: ParsedSearch): string {
  const words = search.isPhrase ? [quote(search.words.join(' '))] : search.words.map(quote);
  const terms = words.map((word) => `content : ${word}`);
  if (roomIds === null) return terms.join(' AND ');
  const rooms = roomIds.map((id) => quote(roomToken(id)));
  const roomFilter = rooms.length === 1 ? `room_key : ${rooms[0]}` : `room_key : (${rooms.join(' OR ')})`;
  return [roomFilter, ...terms].join(' AND ');
}

/** Lowercase words with diacritics removed, like FTS5's unicode61 tokenizer (remove_diacritics 2). */
export function foldedWords(text: string): string[] {
  // Most chat is ASCII: skip the (slow) decomposition when there is nothing to fold.
  // eslint-disable-next-line no-control-regex -- the ASCII range
  const folded = /^[\u0000-\u007f]*$/.test(text) ? text : text.normalize('NFD').replace(/\p{M}/gu, '');
  return folded.toLowerCase().match(WORD) ?? [];
}

/**
 * BM25 term-frequency part for one query (a word, or a phrase counted as a whole) in one document.
 * With a single term the IDF is the same for every document, so ordering by this equals ordering by
 * FTS5's bm25() — without bm25()'s scan of every row that contains the term, slow for a common word.
 */
export function singleTermScore(tokens: string[], search: ParsedSearch, avgLength: number): number {
  const terms = search.words.map((w) => foldedWords(w).join(' '));
  let tf = 0;
  if (search.isPhrase) {
    for (let i = 0; i + terms.length <= tokens.length; i++) if (terms.every((t, j) => tokens[i + j] === t)) tf++;
  } else {
    for (const token of tokens) if (token === terms[0]) tf++;
  }
  const k1 = 1.2;
  const b = 0.75;
  return (tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * tokens.length) / Math.max(1, avgLength)));
}

export interface Snippet {
  snippet: string;
  /** [start, end) offsets of matched words inside `snippet`. */
  highlights: [number, number][];
}

const SNIPPET_LENGTH = 160;

/**
 * A plain-text window of the message around its first matched word, with the ranges of every matched
 * word. Plain text plus ranges (not HTML with <mark>) because the content is user text: the renderer
 * wraps the ranges in elements itself and nothing is ever parsed as markup.
 */
export function buildSnippet(content: string, words: string[]): Snippet {
  const wanted = new Set(words);
  const matches: [number, number][] = [];
  for (const match of content.matchAll(WORD)) {
    const word = match[0].normalize('NFC').toLowerCase();
    if (wanted.has(word) || wanted.has(word.slice(0, MAX_WORD_LENGTH))) matches.push([match.index, match.index + match[0].length]);
  }
  if (content.length <= SNIPPET_LENGTH) return { snippet: content, highlights: matches };
  const first = matches[0]?.[0] ?? 0;
  let start = Math.max(0, first - 40);
  // Do not cut a surrogate pair in half.
  if (start > 0 && /[\uDC00-\uDFFF]/.test(content[start]!)) start -= 1;
  let end = Math.min(content.length, start + SNIPPET_LENGTH);
  if (end < content.length && /[\uD800-\uDBFF]/.test(content[end - 1]!)) end -= 1;
  const prefix = start > 0 ? '…' : '';
  const suffix = end < content.length ? '…' : '';
  const shift = prefix.length - start;
  return {
    snippet: prefix + content.slice(start, end) + suffix,
    highlights: matches.filter(([s, e]) => s >= start && e <= end).map(([s, e]) => [s + shift, e + shift]),
  };
}
