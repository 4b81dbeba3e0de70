import { STATUS_CODES } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Clock } from '../../kernel/clock.js';
import { createRng, type Rng } from '../../kernel/random.js';
import type { WhatsAppCore } from './core.js';
import { GraphError, invalidParam } from './errors.js';
import { publicTemplate } from './templates.js';
import { makeNumericId } from './wamid.js';

/**
 * The setup side of the Graph API that SDKs and connectors call before (and besides) sending:
 * node reads with `fields=`, the phone numbers of the WABA, the business profile, registration,
 * two-step PIN, verification codes, webhook subscriptions and template edits. Shapes and errors
 * follow Meta's OpenAPI file and reference pages; where those are silent the choice is written
 * in docs/whatsapp-mock.md ("Setup calls").
 */

/** The business the mock plays: a plausible shop, so nothing in an answer names a test tool. */
export const BUSINESS_NAME = 'Harbor Lane Goods';

const TIER_LABEL: Record<string, string> = {
  '250': 'TIER_250',
  '2000': 'TIER_2K',
  '10000': 'TIER_10K',
  '100000': 'TIER_100K',
  unlimited: 'TIER_UNLIMITED',
};

/** Meta's business verticals (OAS `WhatsAppBusinessVertical`). */
const VERTICALS = new Set([
  '',
  'OTHER',
  'AUTO',
  'BEAUTY',
  'APPAREL',
  'EDU',
  'ENTERTAIN',
  'EVENT_PLAN',
  'FINANCE',
  'GROCERY',
  'GOVT',
  'HOTEL',
  'HEALTH',
  'NONPROFIT',
  'PROF_SERVICES',
  'RETAIL',
  'TRAVEL',
  'RESTAURANT',
  'ALCOHOL',
  'ONLINE_GAMBLING',
  'PHYSICAL_GAMBLING',
  'OTC_DRUGS',
]);

/** The template fields `fields=` may name (node reads and `message_templates` lists). */
export const TEMPLATE_FIELDS: ReadonlySet<string> = new Set([
  'id',
  'name',
  'status',
  'category',
  'language',
  'components',
  'parameter_format',
  'rejected_reason',
  'previous_category',
]);

/** Graph node types, as Graph names them in "nonexisting field" errors. */
const NODE_TYPE = {
  phone: 'WhatsAppBusinessPhoneNumber',
  waba: 'WhatsAppBusinessAccount',
  template: 'WhatsAppBusinessHSM',
  profile: 'WhatsAppBusinessProfile',
} as const;

/** Edges the mock serves on each node kind (any method); a wrong method on one is 100/33. */
const EDGES: Record<'phone' | 'waba' | 'template', ReadonlySet<string>> = {
  phone: new Set([
    'messages',
    'media',
    'whatsapp_business_profile',
    'register',
    'deregister',
    'request_code',
    'verify_code',
  ]),
  waba: new Set(['message_templates', 'phone_numbers', 'subscribed_apps']),
  template: new Set(),
};

/** Register + deregister calls allowed per number in a moving window (Meta: 10 in 72 h → 133016). */
const REGISTRATION_LIMIT = { calls: 10, windowMs: 72 * 3_600_000 };
/** How long a requested verification code stays good (Meta does not publish it: a guess). */
const CODE_TTL_MS = 10 * 60_000;

/** The business profile as Graph returns it (`GET …/whatsapp_business_profile`). */
export interface BusinessProfile {
  about: string;
  address: string;
  description: string;
  email: string;
  profile_picture_url: string;
  websites: string[];
  vertical: string;
}

interface Subscription {
  appId: string;
  overrideUrl?: string;
}

/**
 * What setup calls change about the number and the WABA. Registration gates sends (a deregistered
 * number's sends get 133010); subscriptions decide where webhooks go (an override callback) or
 * whether they go at all (no subscribed app: held until one subscribes).
 */
export class NumberSetup {
  registered = true;
  /** The two-step verification PIN once one is set (register or `POST /{phone-number-id}`). */
  pin: string | undefined;
  codeVerificationStatus: 'VERIFIED' | 'NOT_VERIFIED' = 'VERIFIED';
  profile: BusinessProfile = defaultProfile();
  subscriptions: Subscription[];
  /** The webhook URL in force before an override or an unsubscribe changed it. */
  savedWebhookUrl: string | undefined;
  private pendingCode: { code: string; expiresAtMs: number } | undefined;
  private registrationCallsMs: number[] = [];
  private readonly rng: Rng;

  constructor(
    private readonly clock: Clock,
    seed: number,
    readonly appId: string,
  ) {
    this.rng = createRng(seed ^ 0x7f4a);
    this.subscriptions = [{ appId }];
  }

  /** Back to a registered, verified number with the default profile and one subscribed app. */
  reset(): void {
    this.registered = true;
    this.pin = undefined;
    this.codeVerificationStatus = 'VERIFIED';
    this.profile = defaultProfile();
    this.subscriptions = [{ appId: this.appId }];
    this.savedWebhookUrl = undefined;
    this.pendingCode = undefined;
    this.registrationCallsMs = [];
  }

  /** Counts a register/deregister call; throws 133016 past Meta's limit. */
  takeRegistrationCall(): void {
    const nowMs = this.clock.nowMs();
    this.registrationCallsMs = this.registrationCallsMs.filter(
      (t) => nowMs - t < REGISTRATION_LIMIT.windowMs,
    );
    if (this.registrationCallsMs.length >= REGISTRATION_LIMIT.calls) throw new GraphError(133016);
    this.registrationCallsMs.push(nowMs);
  }

  /** A new six-digit code, as if sent by SMS or voice call; replaces any earlier one. */
  requestCode(): string {
    const code = String(Math.floor(this.rng.next() * 1_000_000)).padStart(6, '0');
    this.pendingCode = { code, expiresAtMs: this.clock.nowMs() + CODE_TTL_MS };
    this.codeVerificationStatus = 'NOT_VERIFIED';
    return code;
  }

  /** The code last requested, while it is good (the admin API shows it: there is no SMS here). */
  currentCode(): { code: string; expiresInMs: number } | undefined {
    const p = this.pendingCode;
    if (!p) return undefined;
    const left = p.expiresAtMs - this.clock.nowMs();
    return left > 0 ? { code: p.code, expiresInMs: left } : undefined;
  }

  /** Checks a code against the pending one; true (and the number verified) when it matches in time. */
  verifyCode(code: string): boolean {
    const current = this.currentCode();
    if (!current || current.code !== code) return false;
    this.pendingCode = undefined;
    this.codeVerificationStatus = 'VERIFIED';
    return true;
  }
}

function defaultProfile(): BusinessProfile {
  return {
    about: 'Homeware and gifts, shipped across the country.',
    address: '41 Harbor Lane, Portland, OR 97209',
    description: 'Family-run homeware shop. Ask us about orders, deliveries and returns.',
    email: 'hello@harborlanegoods.com',
    profile_picture_url: 'https://pps.whatsapp.net/v/t61.24694-24/410553197_1052337489147751_n.jpg',
    websites: ['https://www.harborlanegoods.com/'],
    vertical: 'RETAIL',
  };
}

/** `(#100) Tried accessing nonexisting field (x) on node type (T)`, Graph's answer to an unknown field or edge read. */
export function nonexistingField(field: string, nodeType: string): GraphError {
  return new GraphError(100, {
    message: `(#100) Tried accessing nonexisting field (${field.slice(0, 60)}) on node type (${nodeType})`,
    noErrorData: true,
  });
}

/**
 * The names in a `fields=` text (`a,b{c,d},e` → a, b, e: a sub-selection is accepted and the whole
 * sub-object returned), or undefined when absent. Throws 100 when given twice or not as text.
 */
export function parseFields(query: unknown): string[] | undefined {
  const raw = (query as Record<string, unknown> | undefined)?.['fields'];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw invalidParam('Param fields must be given once, as a string.');
  const names: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of raw) {
    if (ch === '{') depth++;
    else if (ch === '}') depth = Math.max(0, depth - 1);
    else if (depth === 0 && ch === ',') {
      if (current.trim() !== '') names.push(current.trim());
      current = '';
    } else if (depth === 0) current += ch;
  }
  if (current.trim() !== '') names.push(current.trim());
  return names;
}

/** Keeps only `fields` (plus `id`) of `full`; unknown names are Graph's nonexisting-field error. */
export function selectFields(
  full: Record<string, unknown>,
  fields: string[] | undefined,
  known: ReadonlySet<string>,
  nodeType: string,
): Record<string, unknown> {
  if (fields === undefined) return full;
  for (const f of fields) if (!known.has(f)) throw nonexistingField(f, nodeType);
  const out: Record<string, unknown> = {};
  for (const f of fields) if (full[f] !== undefined) out[f] = full[f];
  // Graph always answers the id of a node it read, asked for or not (last, as Graph writes it).
  delete out['id'];
  if (full['id'] !== undefined) out['id'] = full['id'];
  return out;
}

const PHONE_FIELDS = new Set([
  'id',
  'verified_name',
  'code_verification_status',
  'display_phone_number',
  'quality_rating',
  'platform_type',
  'throughput',
  'messaging_limit_tier',
  'whatsapp_business_manager_messaging_limit',
  'name_status',
  'status',
  'account_mode',
  'is_official_business_account',
  'is_pin_enabled',
  'last_onboarded_time',
]);
const PHONE_DEFAULT = [
  'verified_name',
  'code_verification_status',
  'display_phone_number',
  'quality_rating',
  'platform_type',
  'throughput',
  'messaging_limit_tier',
  'id',
];
const WABA_FIELDS = new Set([
  'id',
  'name',
  'currency',
  'timezone_id',
  'message_template_namespace',
  'account_review_status',
  'business_verification_status',
  'country',
  'ownership_type',
]);
const WABA_DEFAULT = ['id', 'name', 'currency', 'timezone_id', 'message_template_namespace'];
const PROFILE_FIELDS = new Set([
  'messaging_product',
  'about',
  'address',
  'description',
  'email',
  'profile_picture_url',
  'websites',
  'vertical',
]);

/** Display form of the number, as Graph shows it (`+1 555-078-3881` for a NANP number). */
function displayForm(digits: string): string {
  if (/^1\d{10}$/.test(digits)) return `+1 ${digits.slice(1, 4)}-${digits.slice(4, 7)}-${digits.slice(7)}`;
  return `+${digits}`;
}

function phoneNode(core: WhatsAppCore): Record<string, unknown> {
  const cfg = core.cfg;
  const setup = core.setup;
  const tier = TIER_LABEL[String(cfg.messagingTier)];
  return {
    verified_name: BUSINESS_NAME,
    code_verification_status: setup.codeVerificationStatus,
    display_phone_number: displayForm(cfg.displayPhoneNumber.replace(/\D/g, '')),
    quality_rating: 'GREEN',
    platform_type: setup.registered ? 'CLOUD_API' : 'NOT_APPLICABLE',
    throughput: { level: cfg.throughputPerSec > 80 ? 'HIGH' : 'STANDARD' },
    messaging_limit_tier: tier,
    whatsapp_business_manager_messaging_limit: tier,
    name_status: 'APPROVED',
    status: setup.registered ? 'CONNECTED' : 'DISCONNECTED',
    account_mode: 'LIVE',
    is_official_business_account: false,
    is_pin_enabled: setup.pin !== undefined,
    last_onboarded_time: '2025-03-04T17:21:09+0000',
    id: cfg.phoneNumberId,
  };
}

function pick(full: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (full[k] !== undefined) out[k] = full[k];
  return out;
}

function wabaNode(core: WhatsAppCore): Record<string, unknown> {
  return {
    id: core.cfg.wabaId,
    name: BUSINESS_NAME,
    currency: 'USD',
    timezone_id: '1',
    message_template_namespace: 'c8ae5f90_307a_ca4c_b8f6_d1e2a2573574',
    account_review_status: 'APPROVED',
    business_verification_status: 'verified',
    country: 'US',
    ownership_type: 'SELF',
  };
}

/** Which kind of node `id` is for this mock, if any. */
export function nodeKind(core: WhatsAppCore, id: string): 'phone' | 'waba' | 'template' | undefined {
  if (id === core.cfg.phoneNumberId) return 'phone';
  if (id === core.cfg.wabaId) return 'waba';
  if (core.templates.get(id)) return 'template';
  return undefined;
}

/**
 * `GET /{node-id}` for the mock's own nodes: the default fields, or with `fields=` only those plus
 * `id`. Undefined for an id that is none of them (the caller answers 100/33 or tries its own nodes).
 */
export function readNode(
  core: WhatsAppCore,
  id: string,
  query: unknown,
): Record<string, unknown> | undefined {
  const fields = parseFields(query);
  const kind = nodeKind(core, id);
  if (kind === 'phone') {
    const full = phoneNode(core);
    return fields ? selectFields(full, fields, PHONE_FIELDS, NODE_TYPE.phone) : pick(full, PHONE_DEFAULT);
  }
  if (kind === 'waba') {
    const full = wabaNode(core);
    return fields ? selectFields(full, fields, WABA_FIELDS, NODE_TYPE.waba) : pick(full, WABA_DEFAULT);
  }
  if (kind === 'template') {
    const tpl = core.templates.get(id);
    if (!tpl) return undefined;
    return selectFields(publicTemplate(tpl), fields, TEMPLATE_FIELDS, NODE_TYPE.template);
  }
  return undefined;
}

/**
 * The Graph error for a path no route matched, in Graph's order: a node path deeper than one edge
 * is `2500 Unknown path components`; an id that is not one of the mock's nodes is `100/33`
 * (Graph resolves the node before the edge); an edge the node has, asked with a method it does
 * not take, is `100/33` too ("…or does not support this operation"); an edge the node does not
 * have is `100 Tried accessing nonexisting field` on GET and `2500` on other methods.
 */
export function unmatchedGraphPath(core: WhatsAppCore, method: string, path: string): GraphError {
  const parts = path.split('/').filter((p) => p.length > 0);
  const [, nodeId, ...rest] = parts;
  if (nodeId === undefined || rest.length > 1) {
    return new GraphError(2500, {
      message: `Unknown path components: /${rest.join('/').slice(0, 100)}`,
      noErrorData: true,
    });
  }
  const kind = nodeKind(core, nodeId);
  if (kind === undefined) return core.unknownObject(method, nodeId);
  const edge = rest[0];
  if (edge === undefined || EDGES[kind].has(edge)) return core.unknownObject(method, nodeId);
  if (method === 'GET' || method === 'HEAD') return nonexistingField(edge, NODE_TYPE[kind]);
  return new GraphError(2500, {
    message: `Unknown path components: /${edge.slice(0, 100)}`,
    noErrorData: true,
  });
}

/** Body and query merged: Graph takes parameters from either (SDKs send setup calls both ways). */
function paramsOf(request: FastifyRequest): Record<string, unknown> {
  const body = request.body;
  const out: Record<string, unknown> = { ...((request.query as Record<string, unknown>) ?? {}) };
  if (body !== undefined && body !== null) {
    if (typeof body !== 'object' || Array.isArray(body))
      throw invalidParam('The request body must be a JSON object.');
    Object.assign(out, body);
  }
  delete out['access_token'];
  return out;
}

function onlyParams(params: Record<string, unknown>, allowed: readonly string[]): void {
  for (const k of Object.keys(params)) {
    if (!allowed.includes(k)) {
      throw new GraphError(100, {
        message: `(#100) Param ${k.slice(0, 40)} is not a valid parameter for this call.`,
        details: `Allowed parameters: ${allowed.join(', ')}.`,
      });
    }
  }
}

function required(params: Record<string, unknown>, key: string): string {
  const v = params[key];
  if (v === undefined || v === '') {
    throw new GraphError(100, {
      message: `(#100) The parameter ${key} is required`,
      details: `The parameter ${key} is required.`,
    });
  }
  if (typeof v !== 'string') throw invalidParam(`Param ${key} must be a string.`);
  return v;
}

function messagingProduct(params: Record<string, unknown>): void {
  const mp = required(params, 'messaging_product');
  if (mp !== 'whatsapp') throw invalidParam('Param messaging_product must be "whatsapp".');
}

function sixDigits(params: Record<string, unknown>, key: string): string {
  const v = required(params, key);
  if (!/^\d{6}$/.test(v)) throw invalidParam(`Param ${key} must be a 6-digit number.`);
  return v;
}

function boundedString(v: unknown, key: string, min: number, max: number): string {
  if (typeof v !== 'string') throw invalidParam(`Param ${key} must be a string.`);
  const length = [...v].length;
  if (length < min || length > max) {
    throw invalidParam(
      min > 0
        ? `Param ${key} must be between ${min} and ${max} characters long.`
        : `Param ${key} must be at most ${max} characters long.`,
    );
  }
  return v;
}

/** Applies a `POST …/whatsapp_business_profile` body to `profile` (all checks before any change). */
export function updateProfile(profile: BusinessProfile, params: Record<string, unknown>): BusinessProfile {
  onlyParams(params, [
    'messaging_product',
    'about',
    'address',
    'description',
    'email',
    'profile_picture_handle',
    'websites',
    'vertical',
  ]);
  messagingProduct(params);
  const next: BusinessProfile = { ...profile, websites: [...profile.websites] };
  if (params['about'] !== undefined) next.about = boundedString(params['about'], 'about', 1, 139);
  if (params['address'] !== undefined) next.address = boundedString(params['address'], 'address', 0, 256);
  if (params['description'] !== undefined)
    next.description = boundedString(params['description'], 'description', 0, 512);
  if (params['email'] !== undefined) {
    const email = boundedString(params['email'], 'email', 0, 128);
    if (email !== '' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email))
      throw invalidParam('Param email must be a valid email address.');
    next.email = email;
  }
  if (params['websites'] !== undefined) {
    const w = params['websites'];
    if (!Array.isArray(w) || w.length > 2)
      throw invalidParam('Param websites must be an array of at most 2 URLs.');
    next.websites = w.map((u, i) => {
      const url = boundedString(u, `websites[${i}]`, 1, 256);
      if (!/^https?:\/\/\S+$/i.test(url))
        throw invalidParam(`Param websites[${i}] must start with http:// or https://.`);
      return url;
    });
  }
  if (params['vertical'] !== undefined) {
    const v = params['vertical'];
    if (typeof v !== 'string' || !VERTICALS.has(v))
      throw invalidParam('Param vertical must be one of the business verticals (RETAIL, RESTAURANT, …).');
    next.vertical = v;
  }
  if (params['profile_picture_handle'] !== undefined) {
    const handle = boundedString(params['profile_picture_handle'], 'profile_picture_handle', 1, 4096);
    // A handle comes from Meta's resumable upload API, which the mock does not offer: any handle is
    // taken, and the picture URL changes as it would.
    let h = 0;
    for (const ch of handle) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
    next.profile_picture_url = `https://pps.whatsapp.net/v/t61.24694-24/${h}_n.jpg`;
  }
  return next;
}

function subscriptionData(s: Subscription): Record<string, unknown> {
  const app = {
    link: `https://www.facebook.com/games/?app_id=${s.appId}`,
    name: `${BUSINESS_NAME} Connect`,
    id: s.appId,
  };
  return s.overrideUrl === undefined
    ? { whatsapp_business_api_data: app }
    : { override_callback_uri: s.overrideUrl, whatsapp_business_api_data: app };
}

interface NodeParams {
  version: string;
  nodeId: string;
}

/** A new app id for the subscription list (16 digits, like Meta's). */
export function newAppId(seed: number): string {
  return makeNumericId(createRng(seed ^ 0x51ed), 16);
}

/**
 * Registers the setup routes. `GET /{node-id}` itself stays in graph.ts (media ids are resolved
 * there too) and calls {@link readNode}.
 */
export function registerSetupRoutes(app: FastifyInstance, core: WhatsAppCore): void {
  const phoneOnly = (method: string, nodeId: string): void => {
    if (nodeKind(core, nodeId) !== 'phone') throw core.unknownObject(method, nodeId);
  };
  const wabaOnly = (method: string, nodeId: string): void => {
    if (nodeKind(core, nodeId) !== 'waba') throw core.unknownObject(method, nodeId);
  };

  app.get<{ Params: NodeParams }>('/:version/:nodeId/phone_numbers', async (request) => {
    wabaOnly('get', request.params.nodeId);
    const fields = parseFields(request.query);
    const full = phoneNode(core);
    const item = fields
      ? selectFields(full, fields, PHONE_FIELDS, NODE_TYPE.phone)
      : pick(full, PHONE_DEFAULT);
    const cursor = Buffer.from(`${core.cfg.phoneNumberId}`).toString('base64url');
    return { data: [item], paging: { cursors: { before: cursor, after: cursor } } };
  });

  app.get<{ Params: NodeParams }>('/:version/:nodeId/whatsapp_business_profile', async (request) => {
    phoneOnly('get', request.params.nodeId);
    const fields = parseFields(request.query);
    const full: Record<string, unknown> = { ...core.setup.profile, messaging_product: 'whatsapp' };
    const item = selectFields(full, fields, PROFILE_FIELDS, NODE_TYPE.profile);
    // The profile is no node of its own here: Graph answers it without an id.
    return { data: [item] };
  });

  app.post<{ Params: NodeParams }>('/:version/:nodeId/whatsapp_business_profile', async (request) => {
    phoneOnly('post', request.params.nodeId);
    core.setup.profile = updateProfile(core.setup.profile, paramsOf(request));
    return { success: true };
  });

  app.post<{ Params: NodeParams }>('/:version/:nodeId/register', async (request) => {
    phoneOnly('post', request.params.nodeId);
    const params = paramsOf(request);
    onlyParams(params, ['messaging_product', 'pin', 'backup', 'tier', 'data_localization_region']);
    messagingProduct(params);
    const pin = sixDigits(params, 'pin');
    const setup = core.setup;
    if (setup.codeVerificationStatus !== 'VERIFIED') throw new GraphError(133006);
    setup.takeRegistrationCall();
    if (setup.pin !== undefined && setup.pin !== pin) throw new GraphError(133005);
    setup.pin = pin;
    setup.registered = true;
    return { success: true };
  });

  app.post<{ Params: NodeParams }>('/:version/:nodeId/deregister', async (request) => {
    phoneOnly('post', request.params.nodeId);
    onlyParams(paramsOf(request), ['messaging_product']);
    const setup = core.setup;
    if (!setup.registered) {
      throw new GraphError(100, {
        message: 'Phone number not registered on the WhatsApp Business Platform.',
        subcode: 2207051,
        type: 'OAuthException',
        noErrorData: true,
      });
    }
    setup.takeRegistrationCall();
    setup.registered = false;
    return { success: true };
  });

  app.post<{ Params: NodeParams }>('/:version/:nodeId/request_code', async (request) => {
    phoneOnly('post', request.params.nodeId);
    const params = paramsOf(request);
    onlyParams(params, ['code_method', 'language']);
    const method = required(params, 'code_method');
    if (method !== 'SMS' && method !== 'VOICE') {
      throw new GraphError(100, {
        message: 'Invalid parameter: code_method must be SMS or VOICE',
        type: 'OAuthException',
        noErrorData: true,
      });
    }
    const language = required(params, 'language');
    if (!/^[a-z]{2,3}(?:_[A-Z]{2})?$/.test(language))
      throw invalidParam('Param language must be a language code such as en_US.');
    core.setup.requestCode();
    return { success: true };
  });

  app.post<{ Params: NodeParams }>('/:version/:nodeId/verify_code', async (request) => {
    phoneOnly('post', request.params.nodeId);
    const params = paramsOf(request);
    onlyParams(params, ['code']);
    const code = required(params, 'code');
    if (!/^\d{6}$/.test(code)) {
      throw new GraphError(100, {
        message: 'Invalid verification code format',
        type: 'OAuthException',
        noErrorData: true,
      });
    }
    if (!core.setup.verifyCode(code)) {
      throw new GraphError(100, {
        message: 'The verification code is invalid or has expired',
        type: 'OAuthException',
        noErrorData: true,
      });
    }
    return { success: true };
  });

  app.get<{ Params: NodeParams }>('/:version/:nodeId/subscribed_apps', async (request) => {
    wabaOnly('get', request.params.nodeId);
    return { data: core.setup.subscriptions.map((s) => subscriptionData(s)) };
  });

  app.post<{ Params: NodeParams }>('/:version/:nodeId/subscribed_apps', async (request) => {
    wabaOnly('post', request.params.nodeId);
    const params = paramsOf(request);
    onlyParams(params, ['override_callback_uri', 'verify_token']);
    const uri = params['override_callback_uri'];
    const token = params['verify_token'];
    const setup = core.setup;
    if (uri === undefined && token === undefined) {
      // Subscribing without an override: webhooks go to the app's callback again.
      if (setup.savedWebhookUrl !== undefined) core.setWebhookUrl(setup.savedWebhookUrl);
      setup.savedWebhookUrl = undefined;
      setup.subscriptions = [{ appId: setup.appId }];
      return { success: true };
    }
    if (typeof uri !== 'string' || typeof token !== 'string' || uri === '' || token === '') {
      throw invalidParam('Params override_callback_uri and verify_token must be given together.');
    }
    let parsed: URL;
    try {
      parsed = new URL(uri);
    } catch {
      throw invalidParam('Param override_callback_uri must be a valid URL.');
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      throw invalidParam('Param override_callback_uri must be an https URL.');
    }
    const check = await core.verifyWebhook({ url: uri, verifyToken: token });
    if (!check.ok) {
      const status = check.statusCode;
      const why =
        status === undefined
          ? "curl_errno = 7; curl_error = Couldn't connect to server; HTTP Status Code = 0"
          : `HTTP Status Code = ${status}; HTTP Message = ${STATUS_CODES[status] ?? 'Unknown'}${
              status === 200 ? '; the response does not match the challenge' : ''
            }`;
      throw new GraphError(2200, {
        message: `(#2200) Callback verification failed with the following errors: ${why}`,
        type: 'OAuthException',
        noErrorData: true,
      });
    }
    if (setup.savedWebhookUrl === undefined) setup.savedWebhookUrl = core.getWebhookUrl();
    core.setWebhookUrl(uri);
    setup.subscriptions = [{ appId: setup.appId, overrideUrl: uri }];
    return { success: true };
  });

  app.delete<{ Params: NodeParams }>('/:version/:nodeId/subscribed_apps', async (request) => {
    wabaOnly('delete', request.params.nodeId);
    const setup = core.setup;
    if (setup.subscriptions.length > 0) {
      // No subscribed app: Meta stops sending; the mock holds webhooks until one subscribes again.
      if (setup.savedWebhookUrl === undefined) setup.savedWebhookUrl = core.getWebhookUrl();
      core.setWebhookUrl(undefined);
      setup.subscriptions = [];
    }
    return { success: true };
  });

  // Two-step PIN on the phone number and template edits share Graph's `POST /{node-id}`.
  app.post<{ Params: NodeParams }>('/:version/:nodeId', async (request) => {
    const { nodeId } = request.params;
    const kind = nodeKind(core, nodeId);
    const params = paramsOf(request);
    if (kind === 'phone') {
      onlyParams(params, ['pin']);
      core.setup.pin = sixDigits(params, 'pin');
      return { success: true };
    }
    if (kind === 'template') {
      core.templates.edit(nodeId, params);
      return { success: true };
    }
    throw core.unknownObject('post', nodeId);
  });

  // Meta sends the code by SMS or voice call; here it can be read back instead.
  app.get('/_mock/verification-code', async (_request, reply) => {
    const current = core.setup.currentCode();
    if (!current) {
      return reply.code(404).send({
        error: { code: 'no_code', message: 'no verification code requested in the last 10 minutes' },
      });
    }
    return current;
  });
}
