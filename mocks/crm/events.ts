import type { ErrorDetail } from './errors.js';
import type { CrmEventInput } from './types.js';
import { boundedJson, isObject, oneOf, str, typeName, validateBody } from './validate.js';

/** Event types the harness commonly emits; any `[a-z0-9_.-]{1,64}` string is allowed too. */
export const KNOWN_EVENT_TYPES = [
  'order.created',
  'payment.due',
  'shipment.sent',
  'delivery.updated',
  'appointment.reminder',
  'promotion.launched',
  'otp.requested',
] as const;

const PATH_RE = /^(contact|data)(\.[A-Za-z0-9_-]+)+$/;
const PATH_HELP = 'a field path such as contact.name or data.order_id';

/** The object forms of a ref: which path fields each `type` takes. */
const REF_OBJECT_FIELDS: Record<string, readonly string[]> = {
  currency: ['amount', 'code', 'fallback'],
  image: ['link'],
  video: ['link'],
  document: ['link'],
  coupon_code: ['value'],
};
const REF_HELP =
  "a field path (contact.name, data.order_id) or one of { type: 'currency', amount, code, fallback }, " +
  "{ type: 'image'|'video'|'document', link }, { type: 'coupon_code', value } whose values are paths";

function checkRef(v: unknown, path: string, out: ErrorDetail[]): void {
  if (typeof v === 'string') {
    if (!PATH_RE.test(v) || v.length > 128) out.push({ path, message: `must be ${PATH_HELP}` });
    return;
  }
  const type = isObject(v) ? v['type'] : undefined;
  const fields =
    typeof type === 'string' && Object.hasOwn(REF_OBJECT_FIELDS, type) ? REF_OBJECT_FIELDS[type] : undefined;
  if (!isObject(v) || !fields) {
    out.push({ path, message: `must be ${REF_HELP}` });
    return;
  }
  for (const k of Object.keys(v)) {
    if (k !== 'type' && !fields.includes(k))
      out.push({ path: `${path}.${k}`, message: 'is not a known field' });
  }
  for (const k of fields) {
    const p = v[k];
    if (typeof p !== 'string' || !PATH_RE.test(p) || p.length > 128)
      out.push({ path: `${path}.${k}`, message: `must be ${PATH_HELP}` });
  }
}

/** A component's refs: positional (an array) or named (an object name → ref). */
function checkRefs(v: unknown, path: string, out: ErrorDetail[], maxItems: number): void {
  if (Array.isArray(v)) {
    if (v.length > maxItems) out.push({ path, message: `must have at most ${maxItems} refs` });
    else for (const [i, r] of v.entries()) checkRef(r, `${path}.${i}`, out);
  } else if (isObject(v)) {
    const keys = Object.keys(v);
    if (keys.length > maxItems) out.push({ path, message: `must have at most ${maxItems} refs` });
    for (const k of keys.slice(0, maxItems)) {
      if (!/^[A-Za-z0-9_]{1,64}$/.test(k))
        out.push({ path: `${path}.${k.slice(0, 64)}`, message: 'must be a parameter name of A-Z a-z 0-9 _' });
      else checkRef(v[k], `${path}.${k}`, out);
    }
  } else {
    out.push({ path, message: `must be an array of refs or an object name → ref, got ${typeName(v)}` });
  }
}

function checkParameters(v: unknown, path: string, out: ErrorDetail[]): unknown {
  if (!isObject(v)) {
    out.push({ path, message: `must be an object { header?, body?, buttons? }, got ${typeName(v)}` });
    return undefined;
  }
  for (const k of Object.keys(v)) {
    if (!['header', 'body', 'buttons'].includes(k))
      out.push({ path: `${path}.${k}`, message: 'is not a known field (known: header, body, buttons)' });
  }
  if (v['header'] !== undefined) checkRefs(v['header'], `${path}.header`, out, 10);
  if (v['body'] !== undefined) checkRefs(v['body'], `${path}.body`, out, 100);
  const buttons = v['buttons'];
  if (buttons !== undefined) {
    if (!Array.isArray(buttons) || buttons.length > 10) {
      out.push({
        path: `${path}.buttons`,
        message: 'must be an array of at most 10 { index, sub_type, ref }',
      });
    } else {
      for (const [i, b] of buttons.entries()) {
        const p = `${path}.buttons.${i}`;
        if (!isObject(b)) {
          out.push({ path: p, message: 'must be an object { index, sub_type, ref }' });
          continue;
        }
        if (!Number.isInteger(b['index']) || (b['index'] as number) < 0 || (b['index'] as number) > 9)
          out.push({ path: `${p}.index`, message: 'must be an integer 0-9' });
        if (
          typeof b['sub_type'] !== 'string' ||
          !['url', 'quick_reply', 'copy_code', 'catalog', 'flow'].includes(b['sub_type'])
        )
          out.push({
            path: `${p}.sub_type`,
            message: 'must be one of url, quick_reply, copy_code, catalog, flow',
          });
        checkRef(b['ref'], `${p}.ref`, out);
        for (const k of Object.keys(b))
          if (!['index', 'sub_type', 'ref'].includes(k))
            out.push({ path: `${p}.${k}`, message: 'is not a known field' });
      }
    }
  }
  return v;
}

/** Validates what `POST /_mock/events` (or `handle.emitEvent`) is given; throws a 422 naming every bad field. */
export function validateEventInput(input: unknown): CrmEventInput {
  const v = validateBody(input, {
    type: {
      check: str({
        min: 1,
        max: 64,
        pattern: /^[a-z0-9_.-]+$/,
        patternHelp: '1-64 characters of a-z 0-9 _ . - (order.created)',
      }),
      required: true,
    },
    contact_id: { check: str({ min: 1, max: 64 }), required: true },
    data: { check: boundedJson({ maxBytes: 65_536, maxLeaves: 1000, kinds: ['object'] }), required: true },
    action: {
      check: (value, path, out) => {
        if (!isObject(value)) {
          out.push({ path, message: `must be an object, got ${typeName(value)}` });
          return undefined;
        }
        const inner: ErrorDetail[] = [];
        try {
          validateBody(value, {
            channel: { check: oneOf(['whatsapp']), required: true },
            template: { check: str({ min: 1, max: 512 }), required: true },
            language: { check: str({ min: 2, max: 16 }), required: true },
            category: { check: oneOf(['UTILITY', 'MARKETING', 'AUTHENTICATION']), required: true },
            parameters: { check: checkParameters, required: true },
          });
        } catch (err) {
          const details = (err as { details?: ErrorDetail[] }).details ?? [];
          for (const d of details) inner.push({ path: `${path}.${d.path}`, message: d.message });
        }
        out.push(...inner);
        return value;
      },
      required: true,
    },
  });
  return v as unknown as CrmEventInput;
}
