import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../kernel/clock.js';
import { createRng } from '../../../kernel/random.js';
import { Journal } from '../../../mocks/shared/journal.js';
import {
  type AuditedCrmMessage,
  auditConsistency,
  consistencyMeasure,
  textHash,
  WhatsAppLedger,
} from '../../../src/checks/consistency.js';

/**
 * A run's worth of WhatsApp traffic written to a journal whose ring is far smaller than the run
 * (as the mock's 200,000-entry ring is smaller than a 72-hour soak), with the ledger listening
 * from the start, and the CRM records a connector would write (dropping some when asked).
 */
function run(opts: { messages: number; customers: number; ringEntries: number; dropEvery?: number }) {
  const clock = new VirtualClock({ epochMs: Date.UTC(2026, 0, 5) });
  const journal = new Journal('whatsapp', clock, opts.ringEntries);
  const ledger = new WhatsAppLedger();
  journal.on('entry', (e) => ledger.record(e));
  const crm: AuditedCrmMessage[] = [];
  for (let i = 0; i < opts.messages; i++) {
    clock.advance(100);
    const customer = String(886_900_000_000 + (i % opts.customers));
    const wamid = `wamid.${i}`;
    const inbound = i % 2 === 0;
    const text = `message ${i}`;
    if (inbound) journal.append('inbound.created', { wamid, from: customer, phone: customer, text });
    else
      journal.append('message.accepted', { wamid, to: `+${customer}`, phone: customer, renderedText: text });
    // Entries the ledger must ignore, as the mock writes several per message.
    journal.append('status.scheduled', { wamid, status: 'sent' });
    journal.append('webhook.delivered', { wamids: [wamid] });
    if (opts.dropEvery !== undefined && i % opts.dropEvery === opts.dropEvery - 1) continue;
    crm.push({
      conversation_id: `conv-${i % opts.customers}`,
      direction: inbound ? 'inbound' : 'outbound',
      body: text,
      wa_message_id: wamid,
    });
  }
  return { journal, ledger, crm };
}

/** The audit as it was: ground truth from what the journal still holds. */
function auditFromJournal(journal: Journal, crm: AuditedCrmMessage[]): number {
  const seen = new Set(
    journal.query({ kind: ['message.accepted', 'inbound.created'] }).map((e) => e.data['wamid']),
  );
  return crm.filter((m) => m.wa_message_id && !seen.has(m.wa_message_id)).length;
}

describe('WhatsAppLedger', () => {
  it('keeps one slot per message for the whole run, though the journal ring overran many times', () => {
    const { journal, ledger, crm } = run({ messages: 6_000, customers: 1_500, ringEntries: 1_000 });
    expect(journal.droppedCount).toBeGreaterThan(15_000);
    expect(ledger.size).toBe(6_000);
    expect(ledger.customers).toBe(1_500);
    expect(ledger.get('wamid.0')).toEqual({
      customer: '886900000000',
      direction: 'inbound',
      textHash: textHash('message 0'),
    });
    expect(ledger.get('wamid.1')).toEqual({ customer: '886900000001', direction: 'outbound' });
    // What the journal-based audit saw: most of the CRM's records "never seen by WhatsApp".
    expect(auditFromJournal(journal, crm)).toBeGreaterThan(5_500);
  });

  it('ignores other kinds and a wamid it already holds', () => {
    const ledger = new WhatsAppLedger();
    ledger.record({ kind: 'status.scheduled', data: { wamid: 'w1' } });
    ledger.record({ kind: 'inbound.created', data: { wamid: 'w1', from: '1', text: 'a' } });
    ledger.record({ kind: 'message.accepted', data: { wamid: 'w1', phone: '1' } });
    expect(ledger.size).toBe(1);
    expect(ledger.get('w1')?.direction).toBe('inbound');
  });
});

describe('auditConsistency', () => {
  it('gives a correct connector 100 % over a run longer than the journal', () => {
    const { ledger, crm } = run({ messages: 6_000, customers: 1_500, ringEntries: 1_000 });
    const audit = auditConsistency(ledger, crm, 1000, createRng(1));
    expect(audit).toMatchObject({
      sampled: 1000,
      matched: 1000,
      whatsappMessages: 6_000,
      missingInCrm: 0,
      unknownToWhatsApp: 0,
    });
    expect(consistencyMeasure(audit)?.value).toBe(1);
  });

  it('does not give 100 % to a connector that drops 2 % of the messages', () => {
    const { ledger, crm } = run({ messages: 6_000, customers: 1_499, ringEntries: 1_000, dropEvery: 50 });
    const audit = auditConsistency(ledger, crm, 1000, createRng(1));
    expect(audit.missingInCrm).toBe(120);
    // Four messages per customer, the drops spread over them: about 8 % of the conversations lost one.
    expect(audit.matched / audit.sampled).toBeLessThan(0.95);
    expect(audit.examples[0]).toMatch(/reached WhatsApp but has no CRM record/);
    const measure = consistencyMeasure(audit);
    expect(measure?.evidence).toContain('120 of 6000 WhatsApp messages have no CRM record');
  });

  it('fails records WhatsApp never saw, wrong directions and changed texts', () => {
    const { ledger, crm } = run({ messages: 40, customers: 10, ringEntries: 10 });
    const tampered = crm.map((m) => ({ ...m }));
    (tampered[0] as AuditedCrmMessage).body = 'something else'; // an inbound text, changed
    (tampered[1] as AuditedCrmMessage).direction = 'inbound'; // an outbound message, flipped
    tampered.push({
      conversation_id: 'conv-2',
      direction: 'inbound',
      body: 'x',
      wa_message_id: 'wamid.fake',
    });
    tampered.push({
      conversation_id: 'conv-made-up',
      direction: 'inbound',
      body: 'y',
      wa_message_id: 'wamid.made-up',
    });
    const audit = auditConsistency(ledger, tampered, 1000, createRng(1));
    // 10 customers and the made-up conversation; customers 0, 1 and 2 and the made-up one mismatch.
    expect(audit.sampled).toBe(11);
    expect(audit.matched).toBe(7);
    expect(audit.unknownToWhatsApp).toBe(2);
    const all = auditConsistency(ledger, tampered, 1000, createRng(1));
    expect(all).toEqual(audit); // deterministic for a seed
    const problems = auditConsistency(ledger, tampered, 1000, createRng(2)).examples.join(' | ');
    expect(problems).toMatch(/text differs|direction outbound|inbound ≠ outbound|never saw|no CRM record/);
  });

  it('has nothing to judge in an empty run', () => {
    const audit = auditConsistency(new WhatsAppLedger(), [], 1000, createRng(1));
    expect(audit.sampled).toBe(0);
    expect(consistencyMeasure(audit)).toBeNull();
  });
});
