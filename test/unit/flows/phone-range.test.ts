import { describe, expect, it } from 'vitest';
import { createRng } from '../../../kernel/random.js';
import { planConversations } from '../../../src/flows/inbound-plan.js';
import { planContacts } from '../../../src/flows/outbound-plan.js';
import { inRange, subRange, suitePhoneRanges, tailInRange } from '../../../src/flows/phone-range.js';

describe('phone ranges', () => {
  it('moves a tail to the next number in the range, keeping the prefix and the tail length', () => {
    // 12015550117 mod 12 = 1.
    expect(tailInRange('+1201555', '0117', { index: 1, count: 12 })).toBe('0117');
    expect(tailInRange('+1201555', '0117', { index: 2, count: 12 })).toBe('0118');
    expect(tailInRange('+1201555', '0117', { index: 0, count: 12 })).toBe('0128');
    // Near the top of the tail it wraps down by whole counts (the residue stays, the prefix too).
    const top = tailInRange('1201555', '9999', { index: 0, count: 12 }) as string;
    expect(top).toHaveLength(4);
    expect(Number(`1201555${top}`) % 12).toBe(0);
    expect(tailInRange('44', '7', { index: 3, count: 12 })).toBeUndefined();
  });

  it('gives every suite of a run two ranges no other suite shares, rotated by the seed', () => {
    const ranges = (seed: number) =>
      Array.from({ length: 6 }, (_, i) => suitePhoneRanges(i, 6, seed)).flatMap((r) => [
        r.outbound,
        r.inbound,
      ]);
    for (const seed of [0, 42, -7, 2 ** 31 - 1]) {
      const all = ranges(seed);
      expect(new Set(all.map((r) => r.index)).size).toBe(12);
      expect(all.every((r) => r.count === 12)).toBe(true);
    }
    expect(ranges(42)).toEqual(ranges(42));
    expect(ranges(43)[0]).not.toEqual(ranges(42)[0]);
  });

  it('splits a range into disjoint parts that stay inside it', () => {
    const range = { index: 5, count: 12 };
    const parts = [0, 1, 2].map((p) => subRange(range, p, 10));
    expect(new Set(parts.map((p) => p.index)).size).toBe(3);
    for (const p of parts) expect(p.index % 12).toBe(5);
    expect(() => subRange({ index: 12, count: 12 }, 0, 10)).toThrow(RangeError);
  });

  it('planners keep their numbers in the range they are given', () => {
    const range = { index: 7, count: 12 };
    const contacts = planContacts(300, createRng(1), { range });
    expect(contacts).toHaveLength(300);
    expect(contacts.every((c) => inRange(c.e164, range))).toBe(true);
    const messages = planConversations({ messages: 300, conversations: 300, range }, createRng(1));
    expect(messages.every((m) => inRange(m.fromWaId, range))).toBe(true);
    expect(contacts.some((c) => inRange(c.e164, { index: 8, count: 12 }))).toBe(false);
  });
});
