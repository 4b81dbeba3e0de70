import { describe, expect, it } from 'vitest';
import { e164ToWaId, normalizePhone, waIdToE164 } from '../../../connector/phone.js';

describe('phone normalisation to E.164', () => {
  it.each([
    ['0912-345-678', 'TW', '+886912345678'],
    ['0912 345 678', 'tw', '+886912345678'],
    ['886912345678', 'TW', '+886912345678'],
    ['886912345678', null, '+886912345678'],
    ['+886 912-345-678', 'US', '+886912345678'],
    ['00886912345678', 'GB', '+886912345678'],
    ['07911 123456', 'GB', '+447911123456'],
    ['(+886) 912-345-678', null, '+886912345678'],
    ['(201) 555-0123', 'US', '+12015550123'],
    ['+966 50 123 4567', null, '+966501234567'],
    ['13800138000', 'CN', '+8613800138000'],
    ['612 345 678', 'ES', '+34612345678'],
  ])('%s (country %s) → %s', (raw, country, expected) => {
    expect(normalizePhone(raw, country)).toEqual({ ok: true, e164: expected });
  });

  it.each([
    ['', 'TW'],
    ['abc', 'US'],
    ['12', 'TW'],
    ['0912-345', 'TW'],
    ['+999 123456789', null],
    ['12345678901234567890', null],
  ])('refuses %j (country %s) with a reason', (raw, country) => {
    const r = normalizePhone(raw, country);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason.length).toBeGreaterThan(5);
  });

  it('refuses a non-string phone', () => {
    expect(normalizePhone(undefined, 'TW')).toEqual({ ok: false, reason: 'no phone number' });
    expect(normalizePhone(912345678 as unknown, 'TW').ok).toBe(false);
  });

  it('converts between wa_id and E.164', () => {
    expect(waIdToE164('886912345678')).toBe('+886912345678');
    expect(e164ToWaId('+886912345678')).toBe('886912345678');
  });
});
