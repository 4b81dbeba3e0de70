import { describe, expect, it } from 'vitest';
import {
  admin,
  closesAfter,
  graphCall,
  type LooseJson,
  sendMessage,
  startMock,
  startReceiver,
  textMessage,
  W,
} from './whatsapp-helpers.js';

// The setup calls a connector or SDK makes before it sends, over a real socket with fetch: the
// number and its profile, registration with a two-step PIN, verification codes, and the webhook
// subscription of the WABA, whose override callback is checked with a real hub.challenge
// handshake before webhooks move to it.

const open = closesAfter('each');

/** A Graph call with a form-encoded body, as several SDKs send setup calls. */
async function formCall(
  base: string,
  path: string,
  params: Record<string, string>,
): Promise<{ status: number; json: LooseJson }> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${W.token}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams(params).toString(),
  });
  return { status: res.status, json: await res.json() };
}

const ph = `/v23.0/${W.phoneId}`;

describe('setup calls over a real socket', () => {
  it('reads the number (also without a version), lists it under the WABA and updates the business profile', async () => {
    const { app, base } = await startMock();
    open.push(app);
    const numbers = await graphCall(base, 'GET', `/v23.0/${W.waba}/phone_numbers`);
    expect(numbers.status).toBe(200);
    expect(numbers.json.data).toEqual([
      expect.objectContaining({
        id: W.phoneId,
        display_phone_number: '+1 555-078-3881',
        verified_name: expect.any(String),
        code_verification_status: 'VERIFIED',
        quality_rating: 'GREEN',
      }),
    ]);
    expect(numbers.json.paging.cursors).toEqual({ before: expect.any(String), after: expect.any(String) });
    // Unversioned, as SDKs that leave the version to the app call it: served at the default version.
    const node = await graphCall(base, 'GET', `/${W.phoneId}?fields=status,platform_type`);
    expect(node.status).toBe(200);
    expect(node.headers.get('facebook-api-version')).toBe('v23.0');
    expect(node.json).toEqual({ status: 'CONNECTED', platform_type: 'CLOUD_API', id: W.phoneId });

    const profileUrl = `${ph}/whatsapp_business_profile`;
    const before = await graphCall(base, 'GET', `${profileUrl}?fields=about,vertical`);
    expect(before.json).toEqual({ data: [{ about: expect.any(String), vertical: 'RETAIL' }] });
    // Form-encoded, with websites as JSON text (how Graph takes nested values in a form).
    const update = await formCall(base, profileUrl, {
      messaging_product: 'whatsapp',
      about: 'Open 9–5, Mon–Sat',
      websites: JSON.stringify(['https://shop.example.com/']),
      vertical: 'RETAIL',
    });
    expect(update).toEqual({ status: 200, json: { success: true } });
    const bad = await graphCall(base, 'POST', profileUrl, {
      messaging_product: 'whatsapp',
      vertical: 'MOON',
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ code: 100, type: 'OAuthException' });
    const after = await graphCall(base, 'GET', `${profileUrl}?fields=about,websites`);
    expect(after.json.data[0]).toEqual({
      about: 'Open 9–5, Mon–Sat',
      websites: ['https://shop.example.com/'],
    });
    // The profile belongs to the number, not to the WABA.
    const wrongNode = await graphCall(base, 'GET', `/v23.0/${W.waba}/whatsapp_business_profile`);
    expect(wrongNode.json.error).toMatchObject({ code: 100, error_subcode: 33 });
  });

  it('request_code → verify_code → register with a PIN; deregister stops sends (133010) until registered again', async () => {
    const { app, base } = await startMock();
    open.push(app);
    await admin(base, 'POST', '/_mock/inbound', { from: W.user, type: 'text', text: { body: 'hi' } });

    const requested = await formCall(base, `${ph}/request_code`, { code_method: 'SMS', language: 'en_US' });
    expect(requested).toEqual({ status: 200, json: { success: true } });
    // While the number awaits its code, it cannot be registered (133006).
    const early = await graphCall(base, 'POST', `${ph}/register`, {
      messaging_product: 'whatsapp',
      pin: '135790',
    });
    expect(early.json.error.code).toBe(133006);
    const code = (await admin(base, 'GET', '/_mock/verification-code')).json.code as string;
    expect(code).toMatch(/^\d{6}$/);
    const wrong = await graphCall(base, 'POST', `${ph}/verify_code`, {
      code: code === '000000' ? '999999' : '000000',
    });
    expect(wrong.status).toBe(400);
    expect(wrong.json.error.message).toBe('The verification code is invalid or has expired');
    expect(await graphCall(base, 'POST', `${ph}/verify_code`, { code })).toMatchObject({
      status: 200,
      json: { success: true },
    });

    const reg = await graphCall(base, 'POST', `${ph}/register`, {
      messaging_product: 'whatsapp',
      pin: '135790',
    });
    expect(reg).toMatchObject({ status: 200, json: { success: true } });
    expect((await graphCall(base, 'GET', `${ph}?fields=is_pin_enabled`)).json.is_pin_enabled).toBe(true);

    expect(await graphCall(base, 'POST', `${ph}/deregister`)).toMatchObject({
      status: 200,
      json: { success: true },
    });
    const refused = await sendMessage(base, textMessage());
    expect(refused.status).toBe(400);
    expect(refused.json.error).toMatchObject({ code: 133010, type: 'OAuthException' });
    expect((await graphCall(base, 'GET', `${ph}?fields=status`)).json.status).toBe('DISCONNECTED');

    // The PIN set at registration guards the next one (133005); the right PIN brings sends back.
    const mismatch = await graphCall(base, 'POST', `${ph}/register`, {
      messaging_product: 'whatsapp',
      pin: '111111',
    });
    expect(mismatch.json.error.code).toBe(133005);
    const back = await graphCall(base, 'POST', `${ph}/register`, {
      messaging_product: 'whatsapp',
      pin: '135790',
    });
    expect(back.status).toBe(200);
    expect((await sendMessage(base, textMessage())).status).toBe(200);

    // Changing the PIN (two-step verification) with POST /{phone-number-id}.
    expect(await graphCall(base, 'POST', ph, { pin: '246802' })).toMatchObject({
      status: 200,
      json: { success: true },
    });
    const oldPin = await graphCall(base, 'POST', `${ph}/register`, {
      messaging_product: 'whatsapp',
      pin: '135790',
    });
    expect(oldPin.json.error.code).toBe(133005);

    // Register and deregister calls are limited (10 per 72 h), refused PINs included: 5 made so
    // far (the 133006 one was refused before it counted), 5 left.
    for (let i = 0; i < 5; i++) {
      const ok = await graphCall(base, 'POST', `${ph}/register`, {
        messaging_product: 'whatsapp',
        pin: '246802',
      });
      expect(ok.status).toBe(200);
    }
    const limited = await graphCall(base, 'POST', `${ph}/register`, {
      messaging_product: 'whatsapp',
      pin: '246802',
    });
    expect(limited.status).toBe(400);
    expect(limited.json.error.code).toBe(133016);
  });

  it('subscribed_apps: an override callback is verified by hub.challenge, then gets the webhooks; unsubscribing holds them', async () => {
    const primary = await startReceiver();
    const override = await startReceiver({ verifyToken: 'override-verify' });
    const refusing = await startReceiver({ verifyToken: 'something-else' });
    open.push(primary, override, refusing);
    const { app, base } = await startMock({ webhookUrl: primary.url });
    open.push(app);
    const url = `/v23.0/${W.waba}/subscribed_apps`;
    const inbound = (body: string) =>
      admin(base, 'POST', '/_mock/inbound', { from: W.user, type: 'text', text: { body } });

    const list = await graphCall(base, 'GET', url);
    expect(list.json.data).toEqual([
      {
        whatsapp_business_api_data: {
          link: expect.any(String),
          name: expect.any(String),
          id: expect.stringMatching(/^\d{16}$/),
        },
      },
    ]);

    await inbound('one');
    await primary.waitFor(() => primary.received.length >= 1, 5000, 'the first inbound');

    // A receiver that refuses the verify token: Graph's 2200, and nothing moves.
    const failed = await graphCall(base, 'POST', url, {
      override_callback_uri: refusing.url,
      verify_token: 'override-verify',
    });
    expect(failed.status).toBe(400);
    expect(failed.json.error).toMatchObject({ code: 2200, type: 'OAuthException' });
    expect(failed.json.error.message).toMatch(/Callback verification failed .*HTTP Status Code = 403/);
    expect(refusing.verifications).toHaveLength(1);
    // What the callback answered is named; what the service is, is not.
    expect(JSON.stringify(failed.json)).not.toMatch(/mock|wacrm|emulat|simulat/i);

    const ok = await graphCall(base, 'POST', url, {
      override_callback_uri: override.url,
      verify_token: 'override-verify',
    });
    expect(ok).toMatchObject({ status: 200, json: { success: true } });
    expect(override.verifications[0]).toMatchObject({
      'hub.mode': 'subscribe',
      'hub.verify_token': 'override-verify',
    });
    expect((await graphCall(base, 'GET', url)).json.data[0].override_callback_uri).toBe(override.url);
    await inbound('two');
    await override.waitFor(() => override.received.length >= 1, 5000, 'the override to get a webhook');
    expect(override.received[0]?.signatureOk).toBe(true);
    expect(primary.received).toHaveLength(1);

    // No subscribed app: webhooks are held, then delivered to the app's own callback on resubscribing.
    expect(await graphCall(base, 'DELETE', url)).toMatchObject({ status: 200, json: { success: true } });
    expect((await graphCall(base, 'GET', url)).json).toEqual({ data: [] });
    await inbound('three');
    await new Promise((r) => setTimeout(r, 150));
    expect(primary.received).toHaveLength(1);
    expect(override.received).toHaveLength(1);
    expect(await graphCall(base, 'POST', url)).toMatchObject({ status: 200, json: { success: true } });
    await primary.waitFor(() => primary.received.length >= 2, 5000, 'the held webhook');
    const texts = primary.received.map(
      (r) => (r.body.entry[0]?.changes[0]?.value.messages?.[0] as LooseJson)?.text?.body,
    );
    expect(texts).toEqual(['one', 'three']);
    expect(primary.received.every((r) => r.signatureOk)).toBe(true);
  });
});
