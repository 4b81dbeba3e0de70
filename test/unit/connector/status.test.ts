import { describe, expect, it } from 'vitest';
import { isWaStatus, judgeStatus, type WaStatus } from '../../../connector/status.js';

/** Replays statuses in arrival order; returns what gets written. */
function replay(arrivals: WaStatus[]): WaStatus[] {
  let current: WaStatus | undefined;
  const written: WaStatus[] = [];
  for (const s of arrivals) {
    if (judgeStatus(current, s) === 'write') {
      written.push(s);
      current = s;
    }
  }
  return written;
}

describe('status monotonicity', () => {
  it('writes statuses that move forward', () => {
    expect(replay(['sent', 'delivered', 'read'])).toEqual(['sent', 'delivered', 'read']);
  });
  it('never lets read go back to delivered or sent', () => {
    expect(replay(['sent', 'read', 'delivered'])).toEqual(['sent', 'read']);
    expect(replay(['read', 'sent', 'delivered'])).toEqual(['read']);
    expect(judgeStatus('read', 'delivered')).toBe('regression');
  });
  it('writes duplicates once', () => {
    expect(replay(['sent', 'sent', 'delivered', 'delivered'])).toEqual(['sent', 'delivered']);
    expect(judgeStatus('delivered', 'delivered')).toBe('duplicate');
  });
  it('writes a failure after sent or delivered, not after read', () => {
    expect(replay(['sent', 'failed'])).toEqual(['sent', 'failed']);
    expect(replay(['delivered', 'failed'])).toEqual(['delivered', 'failed']);
    expect(replay(['read', 'failed'])).toEqual(['read']);
    expect(replay(['failed', 'delivered'])).toEqual(['failed']);
  });
  it('knows the four statuses', () => {
    expect(['sent', 'delivered', 'read', 'failed'].every(isWaStatus)).toBe(true);
    expect(isWaStatus('played')).toBe(false);
  });
});
