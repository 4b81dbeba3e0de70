import { describe, expect, it } from 'vitest';
import {
  KEYWORD_TAGS,
  type KeywordTag,
  type MessageLanguage,
  NEUTRAL_PHRASES,
  TAG_PHRASES,
  tagsFor,
} from '../../../src/flows/keywords.js';

describe('keyword ground truth', () => {
  it('gives each phrase exactly its own tag, in every language', () => {
    for (const [tag, byLang] of Object.entries(TAG_PHRASES) as Array<
      [KeywordTag, Record<MessageLanguage, string>]
    >) {
      for (const [lang, phrase] of Object.entries(byLang)) {
        expect(tagsFor(phrase), `${tag}/${lang}: ${phrase}`).toEqual([tag]);
      }
    }
  });

  it('finds no tag in small talk', () => {
    for (const phrases of Object.values(NEUTRAL_PHRASES)) {
      for (const p of phrases) expect(tagsFor(p), p).toEqual([]);
    }
  });

  it('has at least five keywords per tag and matches case-insensitively', () => {
    for (const words of Object.values(KEYWORD_TAGS)) expect(words.length).toBeGreaterThanOrEqual(4);
    expect(Object.keys(KEYWORD_TAGS).length).toBeGreaterThanOrEqual(5);
    expect(tagsFor('WHERE IS MY ORDER and a REFUND')).toEqual(['order_status', 'refund']);
  });
});
