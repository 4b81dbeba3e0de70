import { describe, expect, it } from 'vitest';
import {
  ERROR_CATALOGUE,
  GraphError,
  graphErrorResponse,
  httpStatusFor,
  webhookError,
} from '../../../../mocks/whatsapp/errors.js';

describe('WhatsApp error catalogue', () => {
  it('answers the throttling codes with 429 under 2026 and 400 under legacy', () => {
    for (const code of [4, 80007, 130429, 131048, 131056]) {
      expect(httpStatusFor(code, '2026'), String(code)).toBe(429);
      expect(httpStatusFor(code, 'legacy'), String(code)).toBe(400);
    }
    expect(httpStatusFor(132001, '2026')).toBe(400);
    expect(httpStatusFor(132001, 'legacy')).toBe(404);
    expect(httpStatusFor(190, '2026')).toBe(401);
    expect(httpStatusFor(131016, '2026')).toBe(503);
  });

  it('has a title, details and a 4xx/5xx status in both profiles for every row', () => {
    expect(ERROR_CATALOGUE.size).toBeGreaterThanOrEqual(40);
    for (const def of ERROR_CATALOGUE.values()) {
      expect(def.title.length, String(def.code)).toBeGreaterThan(0);
      expect(def.details.length, String(def.code)).toBeGreaterThan(0);
      for (const status of Object.values(def.http)) {
        expect(status).toBeGreaterThanOrEqual(400);
        expect(status).toBeLessThan(600);
      }
    }
  });

  it('builds the Graph envelope: (#code) title, type, code, error_data.details, fbtrace_id', () => {
    const { statusCode, body } = graphErrorResponse(new GraphError(131056), '2026', 'Atrace12345');
    expect(statusCode).toBe(429);
    expect(body.error.message).toBe('(#131056) (Business Account, Consumer Account) pair rate limit hit');
    expect(body.error.type).toBe('OAuthException');
    expect(body.error.code).toBe(131056);
    expect(body.error.error_data?.messaging_product).toBe('whatsapp');
    expect(body.error.error_data?.details).toMatch(/too many messages/);
    expect(body.error.fbtrace_id).toBe('Atrace12345');
    expect(Object.keys(body.error).at(-1)).toBe('fbtrace_id');
  });

  it('lets Graph-level errors replace the message, drop error_data and carry a subcode', () => {
    const err = new GraphError(100, {
      message: 'Unsupported post request.',
      subcode: 33,
      noErrorData: true,
      type: 'GraphMethodException',
    });
    const { statusCode, body } = graphErrorResponse(err, 'legacy', 'x');
    expect(statusCode).toBe(400);
    expect(body.error).toEqual({
      message: 'Unsupported post request.',
      type: 'GraphMethodException',
      code: 100,
      error_subcode: 33,
      fbtrace_id: 'x',
    });
  });

  it('shapes webhook error objects with code, title, message, details and href', () => {
    const e = webhookError(131047);
    expect(e.code).toBe(131047);
    expect(e.title).toBe('Re-engagement message');
    expect(e.message).toBe(e.title);
    expect(e.error_data.details).toMatch(/24 hours/);
    expect(e.href).toMatch(/^https:\/\/developers\.facebook\.com\//);
  });

  it('gives codes outside the catalogue a generic 400 row rather than throwing', () => {
    const { statusCode, body } = graphErrorResponse(new GraphError(999999), '2026', 't');
    expect(statusCode).toBe(400);
    expect(body.error.code).toBe(999999);
  });
});
