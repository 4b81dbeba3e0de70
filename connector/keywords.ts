/** Tags the connector assigns from keywords in a customer's message. */
export type KeywordTag =
  | 'order_status'
  | 'refund'
  | 'complaint'
  | 'pricing'
  | 'shipping'
  | 'order_confirmation'
  | 'unsubscribe';

/**
 * The keyword table (ground truth: the harness's message generator uses the same table, and
 * docs/connector.md shows it). Matching is a case-insensitive substring match.
 */
export const KEYWORD_TABLE: ReadonlyArray<{ tag: KeywordTag; keywords: readonly string[] }> = [
  {
    tag: 'order_status',
    keywords: ['where is my order', 'order status', 'أين طلبي', '我的订单', 'mi pedido'],
  },
  { tag: 'refund', keywords: ['refund', 'money back', 'استرداد', '退款', 'reembolso'] },
  { tag: 'complaint', keywords: ['complaint', 'terrible', 'شكوى', '投诉', 'queja'] },
  { tag: 'pricing', keywords: ['price', 'how much', 'سعر', '价格', 'precio'] },
  { tag: 'shipping', keywords: ['shipping', 'delivery', 'شحن', '快递', 'envío'] },
  {
    tag: 'order_confirmation',
    keywords: ['confirm my order', 'تأكيد الطلب', '确认订单', 'confirmar pedido'],
  },
  {
    tag: 'unsubscribe',
    keywords: ['unsubscribe', 'stop messages', 'إلغاء الاشتراك', '退订', 'darme de baja'],
  },
];

/** The language of each keyword, so an automatic reply can answer in the customer's language. */
export type ReplyLanguage = 'en' | 'ar' | 'zh' | 'es';

function languageOf(keyword: string): ReplyLanguage {
  if (/[\u0600-\u06ff]/.test(keyword)) return 'ar';
  if (/[\u4e00-\u9fff]/.test(keyword)) return 'zh';
  if (/pedido|reembolso|queja|precio|envío|baja/.test(keyword)) return 'es';
  return 'en';
}

// NFC so that a precomposed `í` in the table matches a decomposed `i` + accent in a message.
const PREPARED = KEYWORD_TABLE.map(({ tag, keywords }) => ({
  tag,
  keywords: keywords.map((k) => ({ text: k.normalize('NFC').toLowerCase(), language: languageOf(k) })),
}));

/** One keyword hit. */
export interface KeywordMatch {
  tag: KeywordTag;
  keyword: string;
  language: ReplyLanguage;
}

/** Every tag whose keywords occur in `text` (case-insensitive substring), in table order, once each. */
export function matchKeywords(text: string | undefined | null): KeywordMatch[] {
  if (!text) return [];
  const haystack = text.normalize('NFC').toLowerCase();
  const out: KeywordMatch[] = [];
  for (const { tag, keywords } of PREPARED) {
    const hit = keywords.find((k) => haystack.includes(k.text));
    if (hit) out.push({ tag, keyword: hit.text, language: hit.language });
  }
  return out;
}

/** The automatic answer to an order-confirmation question, per language. */
export const ORDER_CONFIRMATION_REPLY: Record<ReplyLanguage, string> = {
  en: 'Thank you! Your order is confirmed. We will send you an update when it ships.',
  ar: 'شكرًا لك! تم تأكيد طلبك. سنرسل لك تحديثًا عند شحنه.',
  zh: '谢谢！您的订单已确认。发货时我们会通知您。',
  es: '¡Gracias! Tu pedido está confirmado. Te avisaremos cuando se envíe.',
};
