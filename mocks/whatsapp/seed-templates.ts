import type { TemplateComponent, TemplateDefinition } from './templates.js';

// The templates a fresh mock holds. They mirror what a CRM's WhatsApp workflows send (order
// confirmations, payment reminders, shipping notices, OTPs, promotions), in several languages,
// with both positional ({{1}}) and NAMED ({{customer_name}}) parameters, so that a connector's
// field mapping (CRM field → template parameter) can be checked against the rendered text.

const SHOP_URL = 'https://shop.example.com';

function body(text: string, example?: Record<string, unknown>): TemplateComponent {
  return example ? { type: 'BODY', text, example } : { type: 'BODY', text };
}

function namedExample(pairs: Array<[string, string]>): Record<string, unknown> {
  return { body_text_named_params: pairs.map(([param_name, example]) => ({ param_name, example })) };
}

function otp(language: string, bodyText: string, footerText: string, buttonText: string): TemplateDefinition {
  return {
    name: 'otp_verification',
    language,
    category: 'AUTHENTICATION',
    components: [
      { type: 'BODY', text: bodyText, add_security_recommendation: true },
      { type: 'FOOTER', text: footerText, code_expiration_minutes: 10 },
      { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE', text: buttonText }] },
    ],
  };
}

function orderConfirmation(
  language: string,
  headerText: string,
  bodyText: string,
  viewOrder: string,
  agent: string,
): TemplateDefinition {
  return {
    name: 'order_confirmation',
    language,
    category: 'UTILITY',
    parameter_format: 'NAMED',
    components: [
      {
        type: 'HEADER',
        format: 'TEXT',
        text: headerText,
        example: { header_text_named_params: [{ param_name: 'order_id', example: 'A-10023' }] },
      },
      body(
        bodyText,
        namedExample([
          ['customer_name', 'Maria'],
          ['order_id', 'A-10023'],
          ['amount', '$42.50'],
          ['phone_number', '+16505551234'],
        ]),
      ),
      {
        type: 'BUTTONS',
        buttons: [
          {
            type: 'URL',
            text: viewOrder,
            url: `${SHOP_URL}/orders/{{1}}`,
            example: [`${SHOP_URL}/orders/A-10023`],
          },
          { type: 'QUICK_REPLY', text: agent },
        ],
      },
    ],
  };
}

/** The seeded templates: 24 APPROVED across UTILITY / MARKETING / AUTHENTICATION, plus PAUSED, REJECTED and DISABLED ones. */
export const SEED_TEMPLATES: readonly TemplateDefinition[] = [
  {
    name: 'hello_world',
    language: 'en_US',
    category: 'UTILITY',
    components: [
      { type: 'HEADER', format: 'TEXT', text: 'Hello World' },
      body(
        'Welcome and congratulations!! This message demonstrates your ability to send a WhatsApp message notification from the Cloud API, hosted by Meta. Thank you for taking the time to test with us.',
      ),
      { type: 'FOOTER', text: 'WhatsApp Business Platform sample message' },
    ],
  },
  orderConfirmation(
    'en_US',
    'Order {{order_id}} confirmed',
    "Hi {{customer_name}}, thanks for your order {{order_id}}. Total: {{amount}}. We'll message you at {{phone_number}} when it ships.",
    'View order',
    'Talk to an agent',
  ),
  orderConfirmation(
    'es',
    'Pedido {{order_id}} confirmado',
    'Hola {{customer_name}}, gracias por tu pedido {{order_id}}. Total: {{amount}}. Te escribiremos al {{phone_number}} cuando salga.',
    'Ver pedido',
    'Hablar con un agente',
  ),
  orderConfirmation(
    'ar',
    'تم تأكيد الطلب {{order_id}}',
    'مرحبًا {{customer_name}}، شكرًا لطلبك {{order_id}}. الإجمالي: {{amount}}. سنراسلك على {{phone_number}} عند شحن الطلب.',
    'عرض الطلب',
    'التحدث إلى موظف',
  ),
  orderConfirmation(
    'zh_CN',
    '订单 {{order_id}} 已确认',
    '{{customer_name}}，您好！感谢您的订单 {{order_id}}。总计：{{amount}}。发货时我们会通过 {{phone_number}} 通知您。',
    '查看订单',
    '联系客服',
  ),
  {
    name: 'payment_reminder',
    language: 'en_US',
    category: 'UTILITY',
    components: [
      { type: 'HEADER', format: 'TEXT', text: 'Payment reminder' },
      body('Hello {{1}}, this is a reminder that your payment of {{2}} for invoice {{3}} is due on {{4}}.', {
        body_text: [['Maria', '$120.00', 'INV-2291', 'March 3, 2026']],
      }),
      { type: 'FOOTER', text: 'Ignore this message if you have already paid.' },
      {
        type: 'BUTTONS',
        buttons: [
          {
            type: 'URL',
            text: 'Pay now',
            url: `${SHOP_URL}/pay/{{1}}`,
            example: [`${SHOP_URL}/pay/INV-2291`],
          },
        ],
      },
    ],
  },
  {
    name: 'payment_reminder',
    language: 'es',
    category: 'UTILITY',
    components: [
      { type: 'HEADER', format: 'TEXT', text: 'Recordatorio de pago' },
      body('Hola {{1}}, te recordamos que tu pago de {{2}} de la factura {{3}} vence el {{4}}.', {
        body_text: [['María', '120,00 €', 'INV-2291', '3 de marzo de 2026']],
      }),
      { type: 'FOOTER', text: 'Ignora este mensaje si ya pagaste.' },
      {
        type: 'BUTTONS',
        buttons: [
          {
            type: 'URL',
            text: 'Pagar ahora',
            url: `${SHOP_URL}/pay/{{1}}`,
            example: [`${SHOP_URL}/pay/INV-2291`],
          },
        ],
      },
    ],
  },
  {
    name: 'payment_reminder',
    language: 'zh_CN',
    category: 'UTILITY',
    components: [
      body('{{1}}，您好。提醒您：发票 {{3}} 的应付金额 {{2}} 将于 {{4}} 到期。', {
        body_text: [['王芳', '¥860.00', 'INV-2291', '2026年3月3日']],
      }),
    ],
  },
  {
    name: 'shipping_notice',
    language: 'en_US',
    category: 'UTILITY',
    parameter_format: 'NAMED',
    components: [
      { type: 'HEADER', format: 'IMAGE', example: { header_handle: ['https://cdn.example.com/parcel.jpg'] } },
      body(
        'Good news {{customer_name}}! Order {{order_id}} has shipped with {{carrier}}. Tracking number: {{tracking_number}}.',
        namedExample([
          ['customer_name', 'Maria'],
          ['order_id', 'A-10023'],
          ['carrier', 'DHL'],
          ['tracking_number', '1Z999AA10123456784'],
        ]),
      ),
      {
        type: 'BUTTONS',
        buttons: [
          {
            type: 'URL',
            text: 'Track package',
            url: `${SHOP_URL}/track/{{1}}`,
            example: [`${SHOP_URL}/track/1Z999`],
          },
        ],
      },
    ],
  },
  {
    name: 'shipping_notice',
    language: 'pt_BR',
    category: 'UTILITY',
    parameter_format: 'NAMED',
    components: [
      body(
        'Boa notícia, {{customer_name}}! O pedido {{order_id}} foi enviado pela {{carrier}}. Código de rastreio: {{tracking_number}}.',
        namedExample([
          ['customer_name', 'João'],
          ['order_id', 'A-10023'],
          ['carrier', 'Correios'],
          ['tracking_number', 'BR123456789'],
        ]),
      ),
    ],
  },
  {
    name: 'delivery_update',
    language: 'en_US',
    category: 'UTILITY',
    components: [
      body('Hi {{1}}, your package {{2}} will be delivered on {{3}} between {{4}}.', {
        body_text: [['Maria', '1Z999AA10123456784', 'Friday, March 6', '9:00 and 12:00']],
      }),
      { type: 'FOOTER', text: 'Reply if you will not be home.' },
      {
        type: 'BUTTONS',
        buttons: [
          { type: 'QUICK_REPLY', text: 'Reschedule' },
          { type: 'QUICK_REPLY', text: 'OK, thanks' },
        ],
      },
    ],
  },
  {
    name: 'delivery_update',
    language: 'zh_CN',
    category: 'UTILITY',
    components: [
      body('{{1}}，您好！您的包裹 {{2}} 将于 {{3}} {{4}} 送达。', {
        body_text: [['王芳', 'SF1234567890', '3月6日', '9:00-12:00']],
      }),
      {
        type: 'BUTTONS',
        buttons: [
          { type: 'QUICK_REPLY', text: '改期' },
          { type: 'QUICK_REPLY', text: '好的' },
        ],
      },
    ],
  },
  {
    name: 'appointment_reminder',
    language: 'en_US',
    category: 'UTILITY',
    parameter_format: 'NAMED',
    components: [
      { type: 'HEADER', format: 'TEXT', text: 'Appointment reminder' },
      body(
        'Hi {{customer_name}}, your appointment with {{agent_name}} is on {{appointment_date}} at {{appointment_time}}. Reply to confirm, or call us from {{phone_number}} to reschedule.',
        namedExample([
          ['customer_name', 'Maria'],
          ['agent_name', 'Dr. Lee'],
          ['appointment_date', 'March 9'],
          ['appointment_time', '10:30'],
          ['phone_number', '+16505551234'],
        ]),
      ),
      {
        type: 'BUTTONS',
        buttons: [
          { type: 'QUICK_REPLY', text: 'Confirm' },
          { type: 'QUICK_REPLY', text: 'Reschedule' },
          { type: 'PHONE_NUMBER', text: 'Call us', phone_number: '+15550783881' },
        ],
      },
    ],
  },
  {
    name: 'appointment_reminder',
    language: 'ar',
    category: 'UTILITY',
    parameter_format: 'NAMED',
    components: [
      body(
        'مرحبًا {{customer_name}}، موعدك مع {{agent_name}} يوم {{appointment_date}} الساعة {{appointment_time}}. للتعديل اتصل بنا من {{phone_number}}.',
        namedExample([
          ['customer_name', 'ليلى'],
          ['agent_name', 'د. سامي'],
          ['appointment_date', '9 مارس'],
          ['appointment_time', '10:30'],
          ['phone_number', '+971501234567'],
        ]),
      ),
      {
        type: 'BUTTONS',
        buttons: [
          { type: 'QUICK_REPLY', text: 'تأكيد' },
          { type: 'QUICK_REPLY', text: 'تغيير الموعد' },
        ],
      },
    ],
  },
  {
    name: 'invoice_ready',
    language: 'en_US',
    category: 'UTILITY',
    components: [
      {
        type: 'HEADER',
        format: 'DOCUMENT',
        example: { header_handle: ['https://cdn.example.com/invoice.pdf'] },
      },
      body('Hi {{1}}, your invoice {{2}} for {{3}} is attached.', {
        body_text: [['Maria', 'INV-2291', '$120.00']],
      }),
    ],
  },
  {
    name: 'refund_processed',
    language: 'en_US',
    category: 'UTILITY',
    parameter_format: 'NAMED',
    components: [
      body(
        "Hi {{customer_name}}, we've refunded {{amount}} for order {{order_id}}. It should reach your account within {{refund_days}} business days.",
        namedExample([
          ['customer_name', 'Maria'],
          ['amount', '$42.50'],
          ['order_id', 'A-10023'],
          ['refund_days', '5'],
        ]),
      ),
    ],
  },
  otp(
    'en_US',
    '*{{1}}* is your verification code. For your security, do not share this code.',
    'This code expires in 10 minutes.',
    'Copy code',
  ),
  otp(
    'es',
    'Tu código de verificación es *{{1}}*. Por tu seguridad, no lo compartas.',
    'Este código caduca en 10 minutos.',
    'Copiar código',
  ),
  otp(
    'ar',
    'رمز التحقق الخاص بك هو *{{1}}*. حفاظًا على أمانك، لا تشارك هذا الرمز.',
    'تنتهي صلاحية هذا الرمز خلال 10 دقائق.',
    'نسخ الرمز',
  ),
  {
    name: 'summer_promotion',
    language: 'en_US',
    category: 'MARKETING',
    components: [
      { type: 'HEADER', format: 'IMAGE', example: { header_handle: ['https://cdn.example.com/summer.jpg'] } },
      body('Hi {{1}}, enjoy {{2}} off everything until {{3}} with code {{4}}.', {
        body_text: [['Maria', '20%', 'August 31', 'SUMMER20']],
      }),
      { type: 'FOOTER', text: 'Reply STOP to unsubscribe' },
      {
        type: 'BUTTONS',
        buttons: [
          { type: 'URL', text: 'Shop now', url: `${SHOP_URL}/summer` },
          { type: 'COPY_CODE', text: 'Copy offer code', example: 'SUMMER20' },
          { type: 'QUICK_REPLY', text: 'Stop promotions' },
        ],
      },
    ],
  },
  {
    name: 'cart_reminder',
    language: 'en_US',
    category: 'MARKETING',
    parameter_format: 'NAMED',
    components: [
      body(
        'Hi {{customer_name}}, you left {{item_name}} in your cart. Complete your order today for {{amount}}.',
        namedExample([
          ['customer_name', 'Maria'],
          ['item_name', 'Trail Runner 2'],
          ['amount', '$89.99'],
        ]),
      ),
      { type: 'FOOTER', text: 'Reply STOP to unsubscribe' },
      {
        type: 'BUTTONS',
        buttons: [
          {
            type: 'URL',
            text: 'Open cart',
            url: `${SHOP_URL}/cart/{{1}}`,
            example: [`${SHOP_URL}/cart/c-77`],
          },
          { type: 'QUICK_REPLY', text: 'Stop promotions' },
        ],
      },
    ],
  },
  {
    name: 'new_arrivals',
    language: 'fr',
    category: 'MARKETING',
    parameter_format: 'NAMED',
    components: [
      { type: 'HEADER', format: 'TEXT', text: 'Nouveautés' },
      body(
        'Bonjour {{customer_name}}, la collection {{collection_name}} vient d’arriver en boutique. Profitez de {{discount}} avec le code {{code}}.',
        namedExample([
          ['customer_name', 'Camille'],
          ['collection_name', 'Printemps'],
          ['discount', '15 %'],
          ['code', 'PRINTEMPS15'],
        ]),
      ),
      { type: 'FOOTER', text: 'Répondez STOP pour vous désabonner' },
    ],
  },
  {
    name: 'loyalty_points',
    language: 'hi',
    category: 'MARKETING',
    components: [
      body('नमस्ते {{1}}, आपके खाते में {{2}} लॉयल्टी पॉइंट्स हैं। इन्हें {{3}} तक इस्तेमाल करें।', {
        body_text: [['प्रिया', '1,250', '31 मार्च']],
      }),
    ],
  },
  {
    name: 'feedback_request',
    language: 'en_US',
    category: 'MARKETING',
    components: [
      body('Hi {{1}}, how was your experience with order {{2}}? Tap a button to rate us.', {
        body_text: [['Maria', 'A-10023']],
      }),
      {
        type: 'BUTTONS',
        buttons: [
          { type: 'QUICK_REPLY', text: 'Great' },
          { type: 'QUICK_REPLY', text: 'Okay' },
          { type: 'QUICK_REPLY', text: 'Not good' },
        ],
      },
    ],
  },
  {
    name: 'flash_sale',
    language: 'en_US',
    category: 'MARKETING',
    status: 'PAUSED',
    components: [body('Hi {{1}}, our flash sale ends in {{2}} hours!', { body_text: [['Maria', '3']] })],
  },
  {
    name: 'crypto_giveaway',
    language: 'en_US',
    category: 'MARKETING',
    status: 'REJECTED',
    components: [body('Hi {{1}}, claim your free tokens now!', { body_text: [['Maria']] })],
  },
  {
    name: 'old_newsletter',
    language: 'en_US',
    category: 'MARKETING',
    status: 'DISABLED',
    components: [body('Hi {{1}}, here is our monthly newsletter.', { body_text: [['Maria']] })],
  },
];
