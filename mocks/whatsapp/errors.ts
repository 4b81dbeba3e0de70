/**
 * The Graph / WhatsApp error catalogue the mock answers with: one row per code, with Meta's title,
 * the default `error_data.details`, the Graph `type`, and the HTTP status under each profile.
 *
 * Profiles: `2026` follows the newest public copies of Meta's table (429 for the throttling codes,
 * 503 for the availability codes); `legacy` follows the older transcription (400 for nearly
 * everything, 404 for 132001). See docs/whatsapp-mock.md for how each code is reached.
 */

/** Which copy of Meta's table decides the HTTP status of an error. */
export type ErrorProfile = '2026' | 'legacy';

/** How a code reaches a client in the mock (documentation and tests use this). */
export type ErrorReach = 'sync' | 'async' | 'both' | 'fault';

/** One row of the catalogue. */
export interface ErrorDef {
  code: number;
  /** Meta's title; the sync `message` is `(#code) title` unless a row overrides it. */
  title: string;
  /** Graph exception type. */
  type: 'OAuthException' | 'GraphMethodException';
  /** Default `error_data.details` (and webhook `error_data.details`). */
  details: string;
  /** HTTP status per profile. */
  http: Record<ErrorProfile, number>;
  /** How the mock produces it: by behaviour (sync/async/both) or only through an injected fault. */
  reach: ErrorReach;
  /** Graph sets `is_transient` on errors worth retrying. */
  transient?: boolean;
}

function row(
  code: number,
  title: string,
  details: string,
  http2026: number,
  httpLegacy: number,
  reach: ErrorReach,
  extra: { type?: ErrorDef['type']; transient?: boolean } = {},
): ErrorDef {
  const def: ErrorDef = {
    code,
    title,
    type: extra.type ?? 'OAuthException',
    details,
    http: { '2026': http2026, legacy: httpLegacy },
    reach,
  };
  if (extra.transient) def.transient = true;
  return def;
}

/** The catalogue, keyed by code. */
export const ERROR_CATALOGUE: ReadonlyMap<number, ErrorDef> = new Map(
  [
    row(0, 'AuthException', 'We were unable to authenticate the app user.', 401, 401, 'fault'),
    row(1, 'API Unknown', 'Invalid request or possible server error.', 500, 400, 'both', { transient: true }),
    row(2, 'API Service', 'Temporary due to downtime or due to being overloaded.', 503, 503, 'fault', {
      transient: true,
    }),
    row(3, 'API Method', 'Capability or permissions issue.', 403, 500, 'fault'),
    row(4, 'API Too Many Calls', 'The app has reached its API call rate limit.', 429, 400, 'fault', {
      transient: true,
    }),
    row(10, 'Permission Denied', 'Permission is either not granted or has been removed.', 403, 403, 'fault'),
    row(
      100,
      'Invalid parameter',
      'The request included one or more unsupported or misspelled parameters.',
      400,
      400,
      'sync',
    ),
    row(190, 'Access token has expired', 'The access token is invalid or has expired.', 401, 401, 'sync'),
    row(200, 'API Permission', 'Permission is either not granted or has been removed.', 403, 403, 'fault'),
    row(
      368,
      'Temporarily blocked for policies violations',
      'The WhatsApp Business Account associated with the app has been restricted or disabled for violating a platform policy.',
      403,
      403,
      'fault',
    ),
    // Graph's answer when a webhook subscription's callback fails its verification request; the
    // message names what the callback answered (see setup.ts).
    row(
      2200,
      'Callback verification failed',
      'The callback URL did not answer the verification request with the challenge.',
      400,
      400,
      'sync',
    ),
    row(
      2500,
      'Unknown path components',
      'The request path does not match a Graph API node or edge.',
      400,
      400,
      'sync',
    ),
    row(
      80007,
      'Rate limit issues',
      'The WhatsApp Business Account has reached its rate limit.',
      429,
      400,
      'fault',
      { transient: true },
    ),
    row(130429, 'Rate limit hit', 'Cloud API message throughput has been reached.', 429, 400, 'sync', {
      transient: true,
    }),
    row(
      130472,
      "User's number is part of an experiment",
      "Message failed to send because the user's number is part of an experiment.",
      400,
      400,
      'fault',
    ),
    row(
      130497,
      'Business account is restricted from messaging users in this country',
      'The business account is restricted from messaging users in this country.',
      403,
      403,
      'fault',
    ),
    row(131000, 'Something went wrong', 'Message failed to send due to an unknown error.', 500, 500, 'both', {
      transient: true,
    }),
    row(131005, 'Access denied', 'Permission is either not granted or has been removed.', 403, 403, 'fault'),
    row(
      131008,
      'Required parameter is missing',
      'The request is missing a required parameter.',
      400,
      400,
      'sync',
    ),
    row(
      131009,
      'Parameter value is not valid',
      'One or more parameter values are invalid.',
      400,
      400,
      'sync',
    ),
    row(131016, 'Service unavailable', 'A service is temporarily unavailable.', 503, 500, 'sync', {
      transient: true,
    }),
    row(
      131021,
      'Recipient cannot be sender',
      'Sender and recipient phone number is the same.',
      400,
      400,
      'sync',
    ),
    row(
      131026,
      'Message undeliverable',
      'Unable to deliver message. Reasons can include: the recipient phone number is not a WhatsApp phone number; the recipient has not accepted the new Terms of Service; the recipient is using an old WhatsApp version.',
      400,
      400,
      'async',
    ),
    row(
      131030,
      'Recipient phone number not in allowed list',
      'Recipient phone number not in allowed list: add the recipient phone number to the recipient list and try again.',
      400,
      400,
      'sync',
    ),
    row(131031, 'Account has been locked', 'The business account has been locked.', 403, 403, 'fault'),
    row(
      131042,
      'Business eligibility payment issue',
      'Message failed to send because there were one or more errors related to your payment method.',
      402,
      400,
      'fault',
    ),
    row(
      131045,
      'Incorrect certificate',
      'Message failed to send due to a phone number registration error.',
      400,
      500,
      'fault',
    ),
    row(
      131047,
      'Re-engagement message',
      'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
      400,
      400,
      'both',
    ),
    row(
      131048,
      'Spam rate limit hit',
      'Message failed to send because there are restrictions on how many messages can be sent from this phone number.',
      429,
      400,
      'async',
    ),
    row(
      131049,
      'This message was not delivered to maintain healthy ecosystem engagement.',
      'In order to maintain a healthy ecosystem engagement, the message failed to be delivered.',
      429,
      400,
      'fault',
    ),
    row(
      131050,
      'User has stopped marketing messages',
      'Unable to deliver the marketing message because the user has chosen to stop receiving marketing messages from the business.',
      400,
      400,
      'async',
    ),
    row(131051, 'Unsupported message type', 'Message type is not currently supported.', 400, 400, 'sync'),
    row(131052, 'Media download error', 'Unable to download the media sent by the user.', 400, 400, 'fault'),
    row(131053, 'Media upload error', 'Unable to upload the media used in the message.', 400, 400, 'sync'),
    row(
      131056,
      '(Business Account, Consumer Account) pair rate limit hit',
      'Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.',
      429,
      400,
      'sync',
      { transient: true },
    ),
    row(
      131057,
      'Account in maintenance mode',
      'Business account is in maintenance mode.',
      503,
      500,
      'fault',
      {
        transient: true,
      },
    ),
    row(
      132000,
      'Number of parameters does not match the expected number of params',
      'The number of variable parameter values included in the request did not match the number of variable parameters defined in the template.',
      400,
      400,
      'sync',
    ),
    row(
      132001,
      'Template name does not exist in the translation',
      'The template does not exist in the specified language or the template has not been approved.',
      400,
      404,
      'sync',
    ),
    row(132005, 'Translated text too long', 'Translated text is too long.', 400, 400, 'sync'),
    row(
      132007,
      'Template Format Character Policy Violated',
      'Template content violates a WhatsApp policy.',
      400,
      400,
      'fault',
    ),
    row(
      132012,
      'Parameter format does not match format in the created template',
      'Variable parameter values formatted incorrectly.',
      400,
      400,
      'sync',
    ),
    row(
      132015,
      'Template is Paused',
      'Template is paused due to low quality so it cannot be sent.',
      400,
      400,
      'sync',
    ),
    row(
      132016,
      'Template is Disabled',
      'Template has been paused too many times due to low quality and is now permanently disabled.',
      400,
      400,
      'sync',
    ),
    row(133004, 'Server temporarily unavailable', 'Server is temporarily unavailable.', 503, 503, 'fault', {
      transient: true,
    }),
    row(
      133010,
      'Phone number not registered',
      'The phone number is not registered on the WhatsApp Business Platform.',
      400,
      400,
      'sync',
    ),
    row(
      133005,
      'Two step verification PIN Mismatch',
      'The two-step verification PIN in the request does not match the PIN set on the phone number.',
      400,
      400,
      'sync',
    ),
    row(
      133006,
      'Phone number re-verification needed',
      'The phone number needs to be verified (request_code, verify_code) before it can be registered.',
      400,
      400,
      'sync',
    ),
    row(
      133016,
      'Account register deregister rate limit exceeded',
      'Registration or deregistration failed because there were too many attempts for this phone number in a short period of time.',
      400,
      400,
      'sync',
    ),
    row(
      135000,
      'Generic user error',
      'Message failed to send because of an unknown error with your request parameters.',
      400,
      400,
      'fault',
    ),
  ].map((d) => [d.code, d]),
);

/** Where Meta's docs explain the codes (the `href` of webhook error objects). */
export const ERROR_CODES_HREF =
  'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/';

/** The row for `code`, or a generic row for codes outside the catalogue (e.g. an injected fault with an unusual code). */
export function errorDef(code: number): ErrorDef {
  return (
    ERROR_CATALOGUE.get(code) ?? {
      code,
      title: 'Unknown error',
      type: 'OAuthException',
      details: 'An error occurred.',
      http: { '2026': 400, legacy: 400 },
      reach: 'fault',
    }
  );
}

/** HTTP status of `code` under `profile`. */
export function httpStatusFor(code: number, profile: ErrorProfile): number {
  return errorDef(code).http[profile];
}

/** Options that shape one Graph error response beyond the catalogue defaults. */
export interface GraphErrorOptions {
  /** Replaces the catalogue details (`error_data.details`). */
  details?: string;
  /** Replaces the whole `message` (Graph-level errors such as 190 and 100/33 do not use `(#code) title`). */
  message?: string;
  subcode?: number;
  /** Replaces the catalogue's Graph exception type (e.g. GraphMethodException for unknown objects). */
  type?: ErrorDef['type'];
  /** Leave `error_data` out (Graph-level auth errors have none). */
  noErrorData?: boolean;
  userTitle?: string;
  userMsg?: string;
  /** Extra response headers (e.g. Retry-After). */
  headers?: Record<string, string>;
}

/**
 * A Graph error raised anywhere in request handling; the app's error handler turns it into the
 * envelope. Validation code throws these rather than building replies, so the checks stay pure.
 */
export class GraphError extends Error {
  override readonly name = 'GraphError';
  constructor(
    readonly code: number,
    readonly opts: GraphErrorOptions = {},
  ) {
    super(opts.message ?? `(#${code}) ${errorDef(code).title}`);
  }
}

/** The JSON body of a Graph error. */
export interface GraphErrorBody {
  error: {
    message: string;
    type: string;
    code: number;
    error_subcode?: number;
    is_transient?: boolean;
    error_user_title?: string;
    error_user_msg?: string;
    error_data?: { messaging_product: 'whatsapp'; details: string };
    fbtrace_id: string;
  };
}

/** Builds the Graph envelope and HTTP status for `err` under `profile`. */
export function graphErrorResponse(
  err: GraphError,
  profile: ErrorProfile,
  fbtraceId: string,
): { statusCode: number; body: GraphErrorBody } {
  const def = errorDef(err.code);
  // Field order as Graph writes it: message, type, code, subcode, …, error_data, fbtrace_id.
  const error = {
    message: err.opts.message ?? `(#${err.code}) ${def.title}`,
    type: err.opts.type ?? def.type,
    code: err.code,
  } as GraphErrorBody['error'];
  if (err.opts.subcode !== undefined) error.error_subcode = err.opts.subcode;
  if (def.transient) error.is_transient = true;
  if (err.opts.userTitle) error.error_user_title = err.opts.userTitle;
  if (err.opts.userMsg) error.error_user_msg = err.opts.userMsg;
  if (!err.opts.noErrorData) {
    error.error_data = { messaging_product: 'whatsapp', details: err.opts.details ?? def.details };
  }
  error.fbtrace_id = fbtraceId;
  const body: GraphErrorBody = { error };
  return { statusCode: def.http[profile], body };
}

/** The error object carried by a `failed` status webhook (and by `value.errors[]`). */
export interface WebhookErrorObject {
  code: number;
  title: string;
  message: string;
  error_data: { details: string };
  href: string;
}

/** Webhook-side error object for `code` (async failures). */
export function webhookError(code: number, details?: string): WebhookErrorObject {
  const def = errorDef(code);
  return {
    code,
    title: def.title,
    message: def.title,
    error_data: { details: details ?? def.details },
    href: ERROR_CODES_HREF,
  };
}

/** `100 Invalid parameter` with a details sentence — the error Graph gives for wrong types and unknown keys. */
export function invalidParam(details: string): GraphError {
  return new GraphError(100, { details });
}

/** `131008 Required parameter is missing` naming the parameter. */
export function missingParam(path: string): GraphError {
  return new GraphError(131008, { details: `The parameter ${path} is required.` });
}

/** `131009 Parameter value is not valid` with a details sentence. */
export function invalidValue(details: string): GraphError {
  return new GraphError(131009, { details });
}
