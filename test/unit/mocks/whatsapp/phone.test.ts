import { describe, expect, it } from 'vitest';
import { parseRecipient, RecipientCache } from '../../../../mocks/whatsapp/phone.js';

describe('recipient parsing', () => {
  it('accepts numbers with or without + and keeps digits only as wa_id', () => {
    expect(parseRecipient('+16505551234')).toEqual({ waId: '16505551234', plausible: true });
    expect(parseRecipient('16505551234')).toEqual({ waId: '16505551234', plausible: true });
    expect(parseRecipient('+1 (650) 555-1234')).toEqual({ waId: '16505551234', plausible: true });
    expect(parseRecipient('+8613800138000')?.plausible).toBe(true);
    expect(parseRecipient('971501234567')?.plausible).toBe(true);
  });

  it('marks local formats and numbers missing their country code as implausible', () => {
    expect(parseRecipient('0912345678')).toEqual({ waId: '0912345678', plausible: false });
    expect(parseRecipient('0912-345-678')?.plausible).toBe(false);
    expect(parseRecipient('6505551234')?.plausible).toBe(false);
  });

  it('rejects input that is not dialable at all', () => {
    expect(parseRecipient('abc')).toBeUndefined();
    expect(parseRecipient('')).toBeUndefined();
    expect(parseRecipient('+12')).toBeUndefined();
    expect(parseRecipient('1650555123x')).toBeUndefined();
  });

  it('memoises within a bounded cache', () => {
    const cache = new RecipientCache(2);
    expect(cache.get('+16505551234')?.waId).toBe('16505551234');
    expect(cache.get('+16505551234')?.waId).toBe('16505551234');
    expect(cache.get('abc')).toBeUndefined();
    expect(cache.get('abc')).toBeUndefined();
    expect(cache.get('0912345678')?.plausible).toBe(false);
  });
});
