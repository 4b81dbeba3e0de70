import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../../../kernel/random.js';
import { DIRTY_KINDS, dirtyPhone, generateSeedContacts, randomMobile } from '../../../../mocks/crm/seed.js';
import { api, testCrm } from './helpers.js';

const EPOCH = Date.UTC(2026, 0, 5);

describe('seed contacts', () => {
  it('are reproducible from the seed and differ between seeds', () => {
    const a = generateSeedContacts(7, { count: 50 }, EPOCH);
    const b = generateSeedContacts(7, { count: 50 }, EPOCH);
    const c = generateSeedContacts(8, { count: 50 }, EPOCH);
    expect(a).toEqual(b);
    expect(a.map((x) => x.fields.name)).not.toEqual(c.map((x) => x.fields.name));
  });

  it('span many locales and countries, in native scripts, with valid mobile numbers', () => {
    const all = generateSeedContacts(1, { count: 400, dirtyShare: 0 }, EPOCH);
    const countries = new Set(all.map((x) => x.fields.country));
    expect(countries.size).toBeGreaterThanOrEqual(15);
    expect(all.some((x) => /[\u0600-\u06ff]/.test(x.fields.name))).toBe(true); // Arabic
    expect(all.some((x) => /[\u4e00-\u9fff]/.test(x.fields.name))).toBe(true); // Chinese
    expect(all.some((x) => x.locale === 'es' || x.locale === 'es_MX')).toBe(true);
    for (const x of all) {
      const p = parsePhoneNumberFromString(x.e164);
      expect(p?.isValid(), x.e164).toBe(true);
      expect(x.fields.phone).toBe(x.e164);
      expect(x.dirty).toEqual([]);
      expect(x.fields.consent).not.toBe('none');
      expect(x.fields.opted_out).toBe(false);
    }
  });

  it('makes about dirtyShare of the records dirty, with every kind represented', () => {
    const all = generateSeedContacts(3, { count: 1000, dirtyShare: 0.3 }, EPOCH);
    const dirty = all.filter((x) => x.dirty.length > 0);
    expect(dirty.length).toBeGreaterThan(240);
    expect(dirty.length).toBeLessThan(360);
    const kinds = new Set(dirty.flatMap((x) => x.dirty));
    expect([...kinds].sort()).toEqual([...DIRTY_KINDS].sort());
    for (const d of all.filter((x) => x.dirty.includes('duplicate'))) {
      const original = all[d.duplicateOf as number];
      expect(original?.e164).toBe(d.e164);
      expect(original?.fields.name).toBe(d.fields.name);
    }
    expect(all.filter((x) => x.dirty.includes('opted_out')).every((x) => x.fields.opted_out)).toBe(true);
    expect(
      all.filter((x) => x.dirty.includes('missing_plus')).every((x) => !x.fields.phone.startsWith('+')),
    ).toBe(true);
  });

  it('writes Taiwanese local numbers as 09XX-XXX-XXX', () => {
    const e164 = randomMobile(createRng(1), 'TW');
    expect(e164).toMatch(/^\+8869\d{8}$/);
    expect(dirtyPhone(e164, 'local_format', createRng(1))).toMatch(/^09\d{2}-\d{3}-\d{3}$/);
    expect(dirtyPhone(e164, 'missing_plus', createRng(1))).toBe(e164.slice(1));
  });

  it('restricts to the locales asked for and rejects unknown ones', () => {
    const all = generateSeedContacts(1, { count: 40, locales: ['ar', 'zh_TW'] }, EPOCH);
    expect(new Set(all.map((x) => x.locale))).toEqual(new Set(['ar', 'zh_TW']));
    expect(() => generateSeedContacts(1, { count: 1, locales: ['xx'] }, EPOCH)).toThrow(
      /unknown seed locale "xx"/,
    );
    expect(() => generateSeedContacts(1, { count: -1 }, EPOCH)).toThrow(/count/);
    expect(() => generateSeedContacts(1, { count: 1, dirtyShare: 2 }, EPOCH)).toThrow(/dirtyShare/);
  });

  it('seeds the CRM (200 by default) and every dirty record is findable by its real E.164', async () => {
    const { app } = testCrm({ seedContacts: undefined as never, seed: 5 });
    try {
      expect(app.crm.contacts()).toHaveLength(200);
      const info = app.crm.seedInfo();
      expect(info).toHaveLength(200);
      const withDirtyPhone = info.filter((i) =>
        i.dirty.some((d) => ['local_format', 'missing_plus', 'punctuation', 'duplicate'].includes(d)),
      );
      expect(withDirtyPhone.length).toBeGreaterThan(5);
      for (const i of withDirtyPhone) {
        const res = await api(app, 'GET', `/contacts?phone=${encodeURIComponent(i.e164)}`);
        expect(
          res.json().data.map((c: { id: string }) => c.id),
          `${i.e164} ${app.crm.contact(i.id)?.phone}`,
        ).toContain(i.id);
      }
      // Seeding is not traffic: nothing journalled.
      expect(app.crm.journal.query({ kind: 'contact.upserted' })).toHaveLength(0);
      const dump = await app.inject({ method: 'GET', url: '/_mock/state/seed?limit=5' });
      expect(dump.json().total).toBe(200);
      expect(dump.json().data[0]).toHaveProperty('e164');
    } finally {
      await app.close();
    }
  });
});
