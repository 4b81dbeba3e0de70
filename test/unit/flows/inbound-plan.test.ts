import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../../kernel/random.js';
import { LONG_CONVERSATION_MESSAGES, planConversations } from '../../../src/flows/inbound-plan.js';
import { tagsFor } from '../../../src/flows/keywords.js';

describe('planConversations', () => {
  const plan = planConversations({ messages: 400, conversations: 200 }, createRng(7));

  it('plans exactly the messages asked for, over every conversation', () => {
    expect(plan).toHaveLength(400);
    expect(new Set(plan.map((p) => p.conversation)).size).toBe(200);
  });

  it('is reproducible from the seed', () => {
    const again = planConversations({ messages: 400, conversations: 200 }, createRng(7));
    expect(again.map((p) => p.expectation.text)).toEqual(plan.map((p) => p.expectation.text));
    const other = planConversations({ messages: 400, conversations: 200 }, createRng(8));
    expect(other.map((p) => p.expectation.text)).not.toEqual(plan.map((p) => p.expectation.text));
  });

  it('keeps each conversation in order and gives every customer a valid international number', () => {
    const seen = new Map<number, number>();
    for (const p of plan) {
      expect(p.position).toBe((seen.get(p.conversation) ?? 0) + 1);
      seen.set(p.conversation, p.position);
      expect(parsePhoneNumberFromString(`+${p.fromWaId}`)?.isValid(), p.fromWaId).toBe(true);
    }
  });

  it('derives the ground truth from the keyword table and the handover rules', () => {
    let complaints = 0;
    let longs = 0;
    for (const p of plan) {
      expect(p.expectation.expectedTags).toEqual(tagsFor(p.expectation.text));
      expect(p.expectation.expectAutoReply).toBe(p.expectation.expectedTags.includes('order_confirmation'));
      if (p.expectation.expectedHandover === 'complaint') complaints++;
      if (p.expectation.expectedHandover === 'long_conversation') {
        longs++;
        expect(p.position).toBe(LONG_CONVERSATION_MESSAGES + 1);
      }
    }
    expect(complaints).toBeGreaterThan(0);
    expect(longs).toBeGreaterThan(0);
    expect(plan.filter((p) => p.expectation.expectedTags.length > 0).length).toBeGreaterThan(100);
  });
});
