/**
 * The keyword table the product defines (docs/connector.md): which words in a customer message
 * must give which CRM tag. The reference connector implements it on its side; this copy is the
 * harness's ground truth, with phrases the message generator builds messages from.
 */
export const KEYWORD_TAGS = {
  order_status: ['where is my order', 'order status', 'أين طلبي', '我的订单', 'mi pedido'],
  refund: ['refund', 'money back', 'استرداد', '退款', 'reembolso'],
  complaint: ['complaint', 'terrible', 'شكوى', '投诉', 'queja'],
  pricing: ['price', 'how much', 'سعر', '价格', 'precio'],
  shipping: ['shipping', 'delivery', 'شحن', '快递', 'envío'],
  order_confirmation: ['confirm my order', 'تأكيد الطلب', '确认订单', 'confirmar pedido'],
  unsubscribe: ['unsubscribe', 'stop messages', 'إلغاء الاشتراك', '退订', 'darme de baja'],
} as const;

/** A tag of the keyword table. */
export type KeywordTag = keyof typeof KEYWORD_TAGS;

/** Languages the generator writes customer messages in. */
export type MessageLanguage = 'en' | 'ar' | 'zh' | 'es';

/** One phrase per tag and language; each contains exactly its tag's keyword and no other. */
export const TAG_PHRASES: Record<KeywordTag, Record<MessageLanguage, string>> = {
  order_status: {
    en: 'Hi, where is my order? It has been a few days.',
    ar: 'مرحبا، أين طلبي؟ مرت عدة أيام.',
    zh: '你好，我的订单到哪里了？',
    es: 'Hola, ¿dónde está mi pedido?',
  },
  refund: {
    en: 'I would like a refund for my last purchase.',
    ar: 'أريد استرداد المبلغ من فضلك.',
    zh: '我想要退款。',
    es: 'Quisiera un reembolso de mi compra.',
  },
  complaint: {
    en: 'This is terrible, I want to make a complaint.',
    ar: 'لدي شكوى بخصوص الخدمة.',
    zh: '我要投诉你们的服务。',
    es: 'Tengo una queja sobre el servicio.',
  },
  pricing: {
    en: 'What is the price of the blue one?',
    ar: 'كم سعر هذا المنتج؟',
    zh: '这个价格是多少？',
    es: '¿Cuál es el precio del azul?',
  },
  shipping: {
    en: 'Do you offer express shipping?',
    ar: 'هل يوجد شحن سريع؟',
    zh: '快递什么时候到？',
    es: '¿Cuánto tarda el envío?',
  },
  order_confirmation: {
    en: 'Could you confirm my order please?',
    ar: 'أرجو تأكيد الطلب من فضلك.',
    zh: '请帮我确认订单。',
    es: '¿Pueden confirmar pedido hoy?',
  },
  unsubscribe: {
    en: 'Please unsubscribe me from these offers.',
    ar: 'أريد إلغاء الاشتراك في العروض.',
    zh: '请帮我退订这些消息。',
    es: 'Quiero darme de baja de las ofertas.',
  },
};

/** Messages that carry no keyword at all (small talk, emoji). */
export const NEUTRAL_PHRASES: Record<MessageLanguage, string[]> = {
  en: ['Thanks, have a nice day!', 'Good morning 😊', 'Ok, got it.', 'See you tomorrow 👍', 'Hello there!'],
  ar: ['شكرا جزيلا 🌹', 'صباح الخير', 'تمام، فهمت.', 'إلى اللقاء'],
  zh: ['谢谢！', '好的，明白了 👌', '早上好', '再见'],
  es: ['Gracias, buen día', 'Hola 👋', 'Vale, entendido.', 'Hasta mañana'],
};

/** Tags the keyword table gives a text (case-insensitive substring match), in table order. */
export function tagsFor(text: string): KeywordTag[] {
  const lower = text.toLowerCase();
  const out: KeywordTag[] = [];
  for (const [tag, words] of Object.entries(KEYWORD_TAGS) as Array<[KeywordTag, readonly string[]]>) {
    if (words.some((w) => lower.includes(w.toLowerCase()))) out.push(tag);
  }
  return out;
}
