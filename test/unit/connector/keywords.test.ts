import { describe, expect, it } from 'vitest';
import { KEYWORD_TABLE, matchKeywords, ORDER_CONFIRMATION_REPLY } from '../../../connector/keywords.js';

const tags = (text: string) => matchKeywords(text).map((m) => m.tag);

describe('keyword matching', () => {
  it('finds every keyword of the table, in any case, inside longer text', () => {
    for (const { tag, keywords } of KEYWORD_TABLE) {
      for (const k of keywords) {
        expect(tags(`xx ${k} yy`), k).toContain(tag);
        expect(tags(k.toUpperCase()), k.toUpperCase()).toContain(tag);
      }
    }
  });

  it.each([
    ['Hi, WHERE IS MY ORDER? It has been days', ['order_status']],
    ['مرحبا، أين طلبي؟', ['order_status']],
    ['你好，我的订单到哪里了？', ['order_status']],
    ['¿Dónde está Mi Pedido?', ['order_status']],
    ['I want my Money Back', ['refund']],
    ['أريد استرداد المبلغ', ['refund']],
    ['我想要退款。', ['refund']],
    ['Quiero un reembolso', ['refund']],
    ['This is TERRIBLE', ['complaint']],
    ['لدي شكوى', ['complaint']],
    ['我要投诉', ['complaint']],
    ['Tengo una QUEJA', ['complaint']],
    ['How much is it?', ['pricing']],
    ['كم سعر هذا', ['pricing']],
    ['这个价格是多少', ['pricing']],
    ['¿Cuál es el precio?', ['pricing']],
    ['express shipping?', ['shipping']],
    ['هل يوجد شحن سريع', ['shipping']],
    ['快递什么时候到', ['shipping']],
    ['¿Cuánto tarda el ENVÍO?', ['shipping']],
    ['Could you confirm my order please?', ['order_confirmation']],
    ['أرجو تأكيد الطلب', ['order_confirmation']],
    ['请帮我确认订单', ['order_confirmation']],
    ['¿Pueden confirmar pedido hoy?', ['order_confirmation']],
    ['Please UNSUBSCRIBE me', ['unsubscribe']],
    ['أريد إلغاء الاشتراك', ['unsubscribe']],
    ['请帮我退订', ['unsubscribe']],
    ['Quiero darme de baja', ['unsubscribe']],
    ['Thanks, have a nice day! 😊', []],
  ])('%s → %j', (text, expected) => {
    expect(tags(text)).toEqual(expected);
  });

  it('gives several tags once each, in table order', () => {
    expect(tags('terrible delivery, I want a refund, refund now')).toEqual([
      'refund',
      'complaint',
      'shipping',
    ]);
  });

  it('matches a decomposed accent against the table (NFC)', () => {
    expect(tags('envi\u0301o')).toEqual(['shipping']);
  });

  it('reports the language of the keyword, for the automatic reply', () => {
    expect(matchKeywords('请帮我确认订单')[0]?.language).toBe('zh');
    expect(matchKeywords('أرجو تأكيد الطلب')[0]?.language).toBe('ar');
    expect(matchKeywords('confirmar pedido')[0]?.language).toBe('es');
    expect(matchKeywords('confirm my order')[0]?.language).toBe('en');
    expect(Object.keys(ORDER_CONFIRMATION_REPLY).sort()).toEqual(['ar', 'en', 'es', 'zh']);
  });

  it('handles empty and missing text', () => {
    expect(matchKeywords(undefined)).toEqual([]);
    expect(matchKeywords('')).toEqual([]);
  });
});
