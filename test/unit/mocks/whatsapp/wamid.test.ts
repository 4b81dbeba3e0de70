import { describe, expect, it } from 'vitest';
import { createRng } from '../../../../kernel/random.js';
import { decodeWamid, makeTraceId, makeWamid } from '../../../../mocks/whatsapp/wamid.js';

describe('wamid', () => {
  it("has Meta's layout: wamid. + base64 of {wa_id, flag, hex token}", () => {
    const id = makeWamid(createRng(1), '16503879439', 'outbound');
    expect(id).toMatch(/^wamid\.HBgLMTY1MDM4Nzk0MzkVAgARGB[A-Za-z0-9+/]+=*$/);
    expect(id.length).toBeGreaterThanOrEqual(50);
    expect(id.length).toBeLessThanOrEqual(64);
    const inbound = makeWamid(createRng(1), '16503879439', 'inbound');
    expect(inbound).toMatch(/^wamid\.HBgLMTY1MDM4Nzk0MzkVAgASGB/);
  });

  it("decodes Meta's documented example the same way as its own ids", () => {
    expect(decodeWamid('wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJCOTY3NDc0NDFDRUI3NTA0Q0UA')).toEqual({
      waId: '16503879439',
      direction: 'outbound',
    });
    expect(decodeWamid(makeWamid(createRng(3), '447700900123', 'inbound'))).toEqual({
      waId: '447700900123',
      direction: 'inbound',
    });
    expect(decodeWamid('wamid.gBGGSFcCNEOPAgkO_KJ55r4w_ww')).toBeUndefined();
    expect(decodeWamid('not-a-wamid')).toBeUndefined();
  });

  it('is reproducible per seed and unique within a run', () => {
    const a = createRng(42);
    const b = createRng(42);
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const x = makeWamid(a, '16505551234', 'outbound');
      expect(makeWamid(b, '16505551234', 'outbound')).toBe(x);
      seen.add(x);
    }
    expect(seen.size).toBe(5000);
  });

  it('makes 11-character url-safe trace ids', () => {
    const rng = createRng(9);
    for (let i = 0; i < 100; i++) expect(makeTraceId(rng)).toMatch(/^A[A-Za-z0-9_-]{10}$/);
  });
});
