import { describe, expect, it } from 'vitest';
import { buildSnippet, fts5Match, parseSearch, roomToken } from './search-query.js';

describe('search query', () => {
  it('keeps only words: operators and punctuation never reach the query syntax', () => {
    expect(parseSearch('NEAR( "a" * - AND b*')).toEqual({ words: ['near', 'a', 'and', 'b'], isPhrase: false });
    expect(parseSearch('!!! --- """')).toEqual({ words: [], isPhrase: false });
    expect(parseSearch('Été 2024 été')).toEqual({ words: ['été', '2024'], isPhrase: false });
  });

  it('a query in double quotes is a phrase', () => {
    expect(parseSearch('"red guitar"')).toEqual({ words: ['red', 'guitar'], isPhrase: true });
    expect(parseSearch('"red"')).toEqual({ words: ['red'], isPhrase: false });
  });

  it('builds an FTS5 expression where every term is a quoted string', () => {
    const room = '00000000-0000-4000-8000-000000000001';
    expect(fts5Match([room], parseSearch('and near'))).toBe(`room_key : "${roomToken(room)}" AND content : "and" AND content : "near"`);
    expect(fts5Match([room, room], parseSearch('"a b"'))).toBe(
      `room_key : ("${roomToken(room)}" OR "${roomToken(room)}") AND content : "a b"`,
    );
    expect(fts5Match(null, parseSearch('and NEAR('))).toBe('content : "and" AND content : "near"');
  });

  it('snippet is plain text with highlight ranges of the matched words', () => {
    const { snippet, highlights } = buildSnippet('<b>Guitar</b> & guitars, GUITAR!', ['guitar']);
    expect(snippet).toBe('<b>Guitar</b> & guitars, GUITAR!');
    expect(highlights.map(([s, e]) => snippet.slice(s, e))).toEqual(['Guitar', 'GUITAR']);
  });

  it('long messages get a window around the first match, ranges shifted into it', () => {
    const content = `${'x '.repeat(200)}the guitar ${'y '.repeat(200)}`;
    const { snippet, highlights } = buildSnippet(content, ['guitar']);
    expect(snippet.length).toBeLessThanOrEqual(162);
    expect(snippet.startsWith('…') && snippet.endsWith('…')).toBe(true);
    expect(highlights.map(([s, e]) => snippet.slice(s, e))).toEqual(['guitar']);
  });
});

describe('single-term score', () => {
  it('counts whole words (diacritics folded) and whole phrases; shorter documents score higher', async () => {
    const { foldedWords, singleTermScore } = await import('./search-query.js');
    const word = parseSearch('cafe');
    expect(singleTermScore(foldedWords('Café'), word, 5)).toBeGreaterThan(singleTermScore(foldedWords('a long message about a café'), word, 5));
    expect(singleTermScore(foldedWords('cafeteria'), word, 5)).toBe(0);
    const phrase = parseSearch('"red guitar"');
    expect(singleTermScore(foldedWords('guitar red'), phrase, 5)).toBe(0);
    expect(singleTermScore(foldedWords('red guitar, red guitar'), phrase, 5)).toBeGreaterThan(singleTermScore(foldedWords('red guitar, blue bass'), phrase, 5));
  });
});
