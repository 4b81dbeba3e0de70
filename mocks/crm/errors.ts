import type { FastifyReply } from 'fastify';

/** One problem with one field (or header, or query parameter) of a request. */
export interface ErrorDetail {
  path: string;
  message: string;
}

/** The CRM's error codes and their HTTP statuses (docs/crm-api.md, "Errors"). */
export const CRM_ERROR_STATUS = {
  validation_failed: 422,
  unauthorized: 401,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  unavailable: 503,
} as const;

/** A code of {@link CRM_ERROR_STATUS}. */
export type CrmErrorCode = keyof typeof CRM_ERROR_STATUS;

/** An error a route answers with: status, code, a message and the fields at fault. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** 422 (or 400 for malformed input) listing every invalid field. */
export function validationError(details: ErrorDetail[], statusCode = 422): ApiError {
  const paths = [...new Set(details.map((d) => d.path))];
  const message =
    details.length === 1
      ? `${details[0]?.path} ${details[0]?.message}`
      : `${paths.length} fields are invalid: ${paths.join(', ')}`;
  return new ApiError(statusCode, 'validation_failed', message, details);
}

/** 404 for an unknown id, naming the parameter or field that held it. */
export function notFound(what: string, id: string, path = 'id'): ApiError {
  return new ApiError(404, 'not_found', `${what} ${JSON.stringify(id)} does not exist`, [
    { path, message: `no ${what} with this id` },
  ]);
}

/** The JSON body of an error answer. */
export function errorBody(err: ApiError): { error: Record<string, unknown> } {
  return { error: { code: err.code, message: err.message, details: err.details, ...err.extra } };
}

/** Sends `err` in the CRM's error shape and remembers its code for the journal. */
export function sendApiError(reply: FastifyReply, err: ApiError): FastifyReply {
  for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
  (reply.request as { crmErrorCode?: string }).crmErrorCode = err.code;
  return reply.code(err.statusCode).type('application/json; charset=utf-8').send(errorBody(err));
}

/**
 * The error an injected `error=CODE` fault answers with: a known code name picks its status, a
 * number picks the code of that status (or `http_<status>` for statuses the table lacks).
 */
export function faultError(code: string | number): ApiError {
  const text = String(code);
  if (Object.hasOwn(CRM_ERROR_STATUS, text)) {
    const name = text as CrmErrorCode;
    return new ApiError(CRM_ERROR_STATUS[name], name, `injected fault: ${name}`, [
      { path: 'fault', message: `injected ${name}` },
    ]);
  }
  const status = Number(text);
  if (Number.isInteger(status) && status >= 400 && status <= 599) {
    const byStatus = (Object.keys(CRM_ERROR_STATUS) as CrmErrorCode[]).find(
      (k) => CRM_ERROR_STATUS[k] === status,
    );
    const name = byStatus ?? `http_${status}`;
    return new ApiError(status, name, `injected fault: ${name}`, [
      { path: 'fault', message: `injected HTTP ${status}` },
    ]);
  }
  return new ApiError(500, text, `injected fault: ${text}`, [{ path: 'fault', message: `injected ${text}` }]);
}
