import { afterEach, describe, expect, it } from 'vitest';
import {
  deriveE164,
  memoPhone,
  PHONE_MEMO_CAPACITY,
  phoneKeys,
  phoneMemoStats,
  searchKeys,
  setPhoneMemo,
} from '../../../../mocks/crm/phone.js';

afterEach(() => setPhoneMemo(PHONE_MEMO_CAPACITY));

const CASES: Array<[string, string | null]> = [
  ['+886 912-345-678', null],
  ['0912-345-678', 'TW'],
  ['886912345678', 'TW'],
  ['(415) 555-0100', 'US'],
  ['+5511999999999', null],
  ['not a phone', 'BR'],
  ['', null],
];

describe('the CRM’s phone memo', () => {
  it('answers exactly what parsing answers, for the first call and the remembered ones', () => {
    setPhoneMemo(0);
    const parsed = CASES.map(([p, c]) => [deriveE164(p, c), [...phoneKeys(p, c)], [...searchKeys(p)]]);
    expect(phoneMemoStats().size).toBe(0);
    setPhoneMemo(100);
    const first = CASES.map(([p, c]) => [deriveE164(p, c), [...phoneKeys(p, c)], [...searchKeys(p)]]);
    const again = CASES.map(([p, c]) => [deriveE164(p, c), [...phoneKeys(p, c)], [...searchKeys(p)]]);
    expect(first).toEqual(parsed);
    expect(again).toEqual(parsed);
    expect(parsed[1]).toEqual(['+886912345678', ['0912345678', '886912345678'], ['0912345678']]);
    expect(phoneMemoStats().size).toBeGreaterThan(0);
  });

  it('keys on the country too: the same digits mean another number elsewhere', () => {
    expect(deriveE164('0912345678', 'TW')).toBe('+886912345678');
    expect(deriveE164('0912345678', 'BR')).not.toBe('+886912345678');
    expect(deriveE164('0912345678', 'TW')).toBe('+886912345678');
  });

  it('stays bounded: past its capacity the oldest answers go, and are parsed again when asked', () => {
    setPhoneMemo(3);
    let computed = 0;
    const ask = (k: string) => memoPhone(k, () => ++computed);
    for (const k of ['a', 'b', 'c', 'd', 'e']) ask(k);
    expect(phoneMemoStats()).toEqual({ size: 3, evicted: 2 });
    expect(ask('e')).toBe(5);
    expect(ask('a')).toBe(6);
    expect(computed).toBe(6);
  });

  it('hands out frozen answers, so one caller cannot change what another gets', () => {
    const keys = phoneKeys('+5511999999999', null);
    expect(Object.isFrozen(keys)).toBe(true);
    expect(() => (keys as string[]).push('x')).toThrow(TypeError);
    expect(phoneKeys('+5511999999999', null)).not.toContain('x');
  });

  it('refuses a capacity that is not a whole number ≥ 0', () => {
    expect(() => setPhoneMemo(-1)).toThrow(RangeError);
    expect(() => setPhoneMemo(1.5)).toThrow(/integer ≥ 0/);
  });
});
