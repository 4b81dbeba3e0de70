import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../../mocks/shared/clock.js';
import { Journal, type JournalEntry } from '../../../../mocks/shared/journal.js';
import { RingJournal } from '../../../../mocks/whatsapp/ring-journal.js';

describe('RingJournal', () => {
  it('answers queries exactly like the shared Journal while under capacity', () => {
    const clock = new VirtualClock();
    const a = new Journal('whatsapp', clock, 1000);
    const b = new RingJournal('whatsapp', clock, 1000);
    const kinds = ['message.accepted', 'status.emitted', 'inbound.created'];
    for (let i = 0; i < 300; i++) {
      clock.advance(7);
      const data = { wamid: `w${i % 13}`, phone: `p${i % 5}`, to: `t${i % 3}`, from: `f${i % 4}` };
      const kind = kinds[i % 3] as string;
      a.append(kind, data);
      b.append(kind, data);
    }
    const strip = (es: JournalEntry[]) => es.map((e) => ({ ...e }));
    for (const q of [
      {},
      { kind: 'status.emitted' },
      { kind: ['message.accepted', 'inbound.created'], limit: 17 },
      { wamid: 'w3' },
      { phone: 'p2' },
      { phone: 't1' },
      { phone: 'f0', sinceMs: 500, untilMs: 1500 },
      { afterSeq: 250 },
    ]) {
      expect(strip(b.query(q)), JSON.stringify(q)).toEqual(strip(a.query(q)));
    }
    expect(b.size()).toBe(a.size());
  });

  it('keeps the newest `capacity` entries in order, counts the dropped ones, notifies listeners of all', () => {
    const j = new RingJournal('whatsapp', new VirtualClock(), 5);
    const seen: number[] = [];
    j.on('entry', (e: JournalEntry) => seen.push(e.seq));
    for (let i = 0; i < 12; i++) j.append('k', { i });
    expect(j.size()).toBe(5);
    expect(j.droppedCount).toBe(7);
    expect(j.query().map((e) => e.data['i'])).toEqual([7, 8, 9, 10, 11]);
    expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    j.clear();
    expect(j.size()).toBe(0);
    expect(j.append('k', {}).seq).toBe(13);
  });
});
