import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../../kernel/clock.js';
import { SendLimits } from '../../../../mocks/whatsapp/limits.js';
import type { MessagingTier } from '../../../../mocks/whatsapp/options.js';

function limits(
  over: { throughputPerSec?: number; tier?: MessagingTier; pair?: { perSec: number; burst: number } } = {},
) {
  const clock = new VirtualClock();
  const l = new SendLimits(clock, {
    throughputPerSec: over.throughputPerSec ?? 80,
    pairRate: over.pair ?? { perSec: 1 / 6, burst: 3 },
    tier: over.tier ?? 'unlimited',
  });
  return { clock, l };
}

describe('WhatsApp send limits', () => {
  it('lets 80 messages through in a second, then refills at 80/s', () => {
    const { clock, l } = limits();
    let ok = 0;
    for (let i = 0; i < 100; i++) if (l.takeThroughput()) ok++;
    expect(ok).toBe(80);
    clock.advance(500);
    ok = 0;
    for (let i = 0; i < 100; i++) if (l.takeThroughput()) ok++;
    expect(ok).toBe(40);
  });

  it('pair rate: a burst per user, then one per 6 s; other users unaffected', () => {
    const { clock, l } = limits();
    expect([l.takePair('a'), l.takePair('a'), l.takePair('a'), l.takePair('a')]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect(l.takePair('b')).toBe(true);
    clock.advance(5_999);
    expect(l.takePair('a')).toBe(false);
    clock.advance(1);
    expect(l.takePair('a')).toBe(true);
  });

  it('tier: counts unique users in a rolling 24 h; a known user costs nothing', () => {
    const { clock, l } = limits({ tier: 250 });
    for (let i = 0; i < 250; i++) expect(l.takeTier(`u${i}`)).toBe(true);
    expect(l.takeTier('u999')).toBe(false);
    expect(l.takeTier('u0')).toBe(true);
    expect(l.tierCount()).toBe(250);
    clock.advance(24 * 3_600_000);
    expect(l.takeTier('u999')).toBe(true);
  });

  it('the 24 h window opens on an inbound message and closes 24 h later', () => {
    const { clock, l } = limits();
    expect(l.windowOpen('a')).toBe(false);
    l.openWindow('a');
    clock.advance(24 * 3_600_000 - 1);
    expect(l.windowOpen('a')).toBe(true);
    expect(l.openWindows()).toBe(1);
    clock.advance(1);
    expect(l.windowOpen('a')).toBe(false);
    expect(l.openWindows()).toBe(0);
  });

  it('reset forgets counts and windows', () => {
    const { l } = limits({ throughputPerSec: 1 });
    l.openWindow('a');
    expect(l.takeThroughput()).toBe(true);
    expect(l.takeThroughput()).toBe(false);
    l.reset();
    expect(l.takeThroughput()).toBe(true);
    expect(l.windowOpen('a')).toBe(false);
  });
});
