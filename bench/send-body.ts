// The send both WhatsApp benches fire: a template with NAMED parameters, a currency and a URL
// button (order_confirmation), to recipient `i`.

/** The JSON body of send number `i` (to +1415500…, one recipient per `i`). */
export function templateSendBody(i: number): string {
  const to = `1415${String(5_000_000 + i).padStart(7, '0')}`;
  return JSON.stringify({
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to: `+${to}`,
    type: 'template',
    biz_opaque_callback_data: `flow-${i}`,
    template: {
      name: 'order_confirmation',
      language: { code: 'en_US' },
      components: [
        { type: 'header', parameters: [{ type: 'text', parameter_name: 'order_id', text: `A-${i}` }] },
        {
          type: 'body',
          parameters: [
            { type: 'text', parameter_name: 'customer_name', text: `Customer ${i}` },
            { type: 'text', parameter_name: 'order_id', text: `A-${i}` },
            {
              type: 'currency',
              parameter_name: 'amount',
              currency: { fallback_value: '$42.50', code: 'USD', amount_1000: 42500 },
            },
            { type: 'text', parameter_name: 'phone_number', text: `+${to}` },
          ],
        },
        { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: `A-${i}` }] },
      ],
    },
  });
}
