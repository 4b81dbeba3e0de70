import type { ErrorDetail } from './errors.js';
import type { CrmEventInput, ParamRef } from './types.js';
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

function checkRef(v: unknown, path: string, out: ErrorDetail[]): void {
  if (typeof v === 'string') {
    if (!PATH_RE.test(v) || v.length > 128) out.push({ path, message: `must be ${PATH_HELP}` });
    return;
  }
  if (!isObject(v) || v['type'] !== 'currency') {
    out.push({ path, message: `must be ${PATH_HELP} or { type: 'currency', amount, code, fallback }` });
    return;
  }
  for (const k of Object.keys(v)) {
    if (!['type', 'amount', 'code', 'fallback'].includes(k))
      out.push({ path: `${path}.${k}`, message: 'is not a known field' });
  }
  for (const k of ['amount', 'code', 'fallback']) {
    const p = v[k];
    if (typeof p !== 'string' || !PATH_RE.test(p))
      out.push({ path: `${path}.${k}`, message: `must be ${PATH_HELP}` });
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
  const header = v['header'];
  if (header !== undefined) {
    if (!Array.isArray(header) || header.length > 1)
      out.push({ path: `${path}.header`, message: 'must be an array of at most 1 ref' });
    else for (const [i, r] of header.entries()) checkRef(r as ParamRef, `${path}.header.${i}`, out);
  }
  const body = v['body'];
  if (Array.isArray(body)) {
    if (body.length > 100) out.push({ path: `${path}.body`, message: 'must have at most 100 refs' });
    else for (const [i, r] of body.entries()) checkRef(r, `${path}.body.${i}`, out);
  } else if (isObject(body)) {
    const keys = Object.keys(body);
    if (keys.length > 100) out.push({ path: `${path}.body`, message: 'must have at most 100 refs' });
    for (const k of keys.slice(0, 100)) {
      if (!/^[a-z_][a-z0-9_]{0,63}$/.test(k))
        out.push({
          path: `${path}.body.${k.slice(0, 64)}`,
          message: 'must be a parameter name of a-z 0-9 _',
        });
      else checkRef(body[k], `${path}.body.${k}`, out);
    }
  } else if (body !== undefined) {
    out.push({
      path: `${path}.body`,
      message: `must be an array of refs or an object name → ref, got ${typeName(body)}`,
    });
  }
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
