import type { FastifyReply } from 'fastify';

/** HubSpot's JSON content type, exactly as it sends it (no space before charset). */
export const HS_JSON = 'application/json;charset=utf-8';

/**
 * An error a HubSpot route answers with. `body` holds the envelope's fields besides `status`,
 * `message` and `correlationId` (category, subCategory, errors, context, links, policyName …).
 */
export class HsError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly fields: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HsError';
  }
}

/** One entry of a property-validation message (HubSpot puts a JSON array of these into `message`). */
export interface PropertyProblem {
  name: string;
  error: 'PROPERTY_DOESNT_EXIST' | 'INVALID_OPTION' | 'INVALID_INTEGER' | 'INVALID_EMAIL' | 'READ_ONLY_VALUE';
  message: string;
}

/** 400 VALIDATION_ERROR with a plain message. */
export function validation(message: string, context?: Record<string, string[]>): HsError {
  return new HsError(400, message, { category: 'VALIDATION_ERROR', ...(context ? { context } : {}) });
}

/** 400 for invalid property values, in HubSpot's "Property values were not valid: [...]" form. */
export function invalidProperties(problems: PropertyProblem[], portalId: number): HsError {
  const list = problems.map((p) => ({
    isValid: false,
    message: p.message,
    error: p.error,
    name: p.name,
    localizedErrorMessage: p.message,
    portalId,
  }));
  return new HsError(400, `Property values were not valid: ${JSON.stringify(list)}`, {
    category: 'VALIDATION_ERROR',
    errors: problems.map((p) => ({
      message: p.message,
      code: p.error,
      context: { propertyName: [p.name] },
    })),
  });
}

/** 404 for a record that does not exist; a non-numeric id gets HubSpot's OBJECT_NOT_FOUND wording. */
export function objectNotFound(id: string): HsError {
  if (/^\d+$/.test(id)) return new HsError(404, 'resource not found');
  return new HsError(404, 'Object not found.  objectId are usually numeric.', {
    context: { id: [id] },
    category: 'OBJECT_NOT_FOUND',
  });
}

/**
 * One entry of a 207 answer's `errors` (HubSpot's `StandardError`): `errors` and `links` are
 * required fields of that model in HubSpot's spec and official client, so they are sent empty.
 */
export function standardError(
  category: string,
  message: string,
  context: Record<string, string[]>,
): Record<string, unknown> {
  return { status: 'error', category, message, context, errors: [], links: {} };
}

/** Sends `err` in HubSpot's envelope with a fresh correlation id. */
export function sendHsError(reply: FastifyReply, err: HsError, correlationId: string): FastifyReply {
  for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
  reply.header('x-hubspot-correlation-id', correlationId);
  const category = err.fields['category'];
  (reply.request as { crmErrorCode?: string }).crmErrorCode =
    typeof category === 'string'
      ? category
      : typeof err.fields['policyName'] === 'string'
        ? (err.fields['policyName'] as string)
        : `http_${err.statusCode}`;
  const { category: cat, ...rest } = err.fields;
  // Field order as HubSpot writes it: status, message, correlationId, then the rest, category last.
  const body: Record<string, unknown> = { status: 'error', message: err.message, correlationId, ...rest };
  if (cat !== undefined) body['category'] = cat;
  return reply.code(err.statusCode).type(HS_JSON).send(body);
}
