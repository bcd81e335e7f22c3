// zod/mini: the same validation as the classic API in a tree-shakable form (https://zod.dev/packages/mini);
// the classic `z` namespace pulls all of zod (≈ 440 KiB) into every Lambda bundle.
import * as z from 'zod/mini';

/**
 * Wire shapes of the Hood blocked-contacts API (Hood API documentation, docs.ocamba.com) and the typed results the
 * client hands back. Hood's answers were only ever seen in documentation examples, so every schema is
 * lenient: each field is optional and a field of the wrong type becomes `undefined` (`.catch`) instead of
 * failing the whole parse. A response we cannot read must become a typed result, never an exception.
 */

const optionalString = z.catch(z.optional(z.string()), undefined);
// IDs are numeric *strings* in every documented example (§1.2); accept a bare number too and normalise.
const idString = z.pipe(z.union([z.string().check(z.minLength(1)), z.number()]), z.transform(String));
const optionalId = z.catch(z.optional(idString), undefined);

/**
 * The error envelope `{code, title, message, trace_id}` (§3.1). Hood's 500 leaves out `message`, the Core
 * validate 500 leaves out `trace_id`: every field is optional.
 */
export const HoodErrorBodySchema = z.object({
  code: z.catch(z.optional(z.int()), undefined),
  title: optionalString,
  message: optionalString,
  trace_id: optionalString,
});
export type HoodErrorBody = z.infer<typeof HoodErrorBodySchema>;

/** Request body of `POST /v1/hood/blocked-contacts` (§1.2). Hood determines `type` itself. */
export const CreateBlockedContactBodySchema = z.object({
  contact: z.string().check(z.minLength(1)),
  description: z.optional(z.string()),
});
export type CreateBlockedContactBody = z.infer<typeof CreateBlockedContactBodySchema>;

/**
 * 201 answer of the create call (§1.2). `contact` comes back masked ("* * * * *"), so it cannot confirm
 * what was stored; `type` is treated as an opaque string (§1.5: only `mobile_phone_number` is documented).
 */
export const CreatedBlockedContactSchema = z.object({
  id: idString,
  company_id: optionalId,
  creator_id: optionalId,
  contact: optionalString,
  type: optionalString,
  description: optionalString,
});
export type CreatedBlockedContact = z.infer<typeof CreatedBlockedContactSchema>;

/** `creator` sub-object of list items (§1.3, §1.4). */
export const BlockedContactCreatorSchema = z.object({
  id: optionalId,
  company_id: optionalId,
  name: optionalString,
  status: optionalString,
  image: z.catch(z.optional(z.nullable(z.string())), undefined),
});
export type BlockedContactCreator = z.infer<typeof BlockedContactCreatorSchema>;

/** One item of the list / view envelope (§1.3, §1.4); times are GMT `YYYY-MM-DD HH:MM:SS`. */
export const BlockedContactSchema = z.object({
  id: idString,
  company_id: optionalId,
  creator_id: optionalId,
  creator: z.catch(z.optional(BlockedContactCreatorSchema), undefined),
  contact: optionalString,
  type: optionalString,
  description: optionalString,
  create_time: optionalString,
  update_time: z.catch(z.optional(z.nullable(z.string())), undefined),
});
export type BlockedContact = z.infer<typeof BlockedContactSchema>;

/** `{total, items}` for both `GET /blocked-contacts` and `GET /blocked-contacts/{id}` (§3.3). */
export const BlockedContactListSchema = z.object({
  total: z.int().check(z.nonnegative()),
  items: z.array(BlockedContactSchema),
});
export type BlockedContactList = z.infer<typeof BlockedContactListSchema>;

/**
 * `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset` (seconds until the window refreshes),
 * present on every answer that is not a 429 (§3.2). Each is optional: a proxy may strip them.
 */
export interface RateLimitInfo {
  limit?: number;
  remaining?: number;
  resetSeconds?: number;
}

/** Request-side options shared by every call. */
export interface CallOptions {
  /** Aborts the request; an abort is reported as `unavailable` / `timeout`, never thrown. */
  signal?: AbortSignal;
  /**
   * A tighter budget for this call (e.g. what is left of a Lambda invocation); the client's
   * `requestTimeoutMs` still caps it.
   */
  timeoutMs?: number;
  /** Sent as `X-Correlation-Id` so one event can be traced through our logs and, maybe, Hood's. */
  correlationId?: string;
}

export interface HoodCreated {
  kind: 'created';
  /** Hood's numeric-string id; `undefined` only when a 201 came with an unreadable body (still created). */
  id: string | undefined;
  /** Opaque (`email` / `mobile_phone_number` expected); `undefined` when the 201 body lacked it. */
  type: string | undefined;
  /** 201 as documented; another 2xx only when its body is recognisably a created blocked contact. */
  status: number;
  rateLimit?: RateLimitInfo;
}

/** A repeat create that Hood answered recognisably as "already blocked" (§4: undocumented; detected conservatively). */
export interface HoodAlreadyBlocked {
  kind: 'already_blocked';
  status: number;
  message?: string;
  traceId?: string;
  rateLimit?: RateLimitInfo;
}

/** 4xx that retrying cannot fix (400 invalid body, 404, 413, 422, …). */
export interface HoodRejected {
  kind: 'rejected';
  status: number;
  code?: number;
  title?: string;
  message?: string;
  traceId?: string;
  rateLimit?: RateLimitInfo;
}

/** 401/403: the token is wrong, expired or rolled (§2); hold the work until it is fixed. */
export interface HoodUnauthorized {
  kind: 'unauthorized';
  status: 401 | 403;
  title?: string;
  message?: string;
  traceId?: string;
  rateLimit?: RateLimitInfo;
}

/** 429 (§3.2). `parallelLimit` is `Retry-After: -1`: too many requests in flight, no reliable retry time. */
export interface HoodRateLimited {
  kind: 'rate_limited';
  status: 429;
  /** `Retry-After` in seconds (integer form, or an HTTP date converted); `undefined` when absent or -1. */
  retryAfterSeconds: number | undefined;
  /**
   * Exact wait in ms when the server says so (`Retry-After-Ms`, a sandbox extension for time-scaled windows),
   * else `retryAfterSeconds * 1000`; `undefined` when unknown.
   */
  retryAfterMs: number | undefined;
  parallelLimit: boolean;
  message?: string;
  traceId?: string;
  rateLimit?: RateLimitInfo;
}

/** Hood could not be reached or did not answer usefully: retry later with backoff. */
export interface HoodUnavailable {
  kind: 'unavailable';
  /** The HTTP status when there was one (5xx, 408, or an unexpected 1xx/2xx/3xx for `bad_response`). */
  status?: number;
  cause: 'server_error' | 'timeout' | 'connection' | 'bad_response';
  traceId?: string;
  /** Human-readable, never contains the token. */
  message: string;
  rateLimit?: RateLimitInfo;
}

/** Every non-success answer any call can produce. */
export type HoodFailure = HoodRejected | HoodUnauthorized | HoodRateLimited | HoodUnavailable;

export type CreateResult = HoodCreated | HoodAlreadyBlocked | HoodFailure;

export interface HoodTokenValid {
  kind: 'valid';
  status: number;
  rateLimit?: RateLimitInfo;
}
export type ValidateResult = HoodTokenValid | HoodFailure;

export interface HoodListed {
  kind: 'listed';
  status: number;
  total: number;
  items: BlockedContact[];
  rateLimit?: RateLimitInfo;
}
export type ListResult = HoodListed | HoodFailure;

export interface CreateBlockedContactInput {
  contact: string;
  description: string;
}

export interface ListBlockedContactsInput {
  /** 1-based page number; sent as `page=N,M` (§1.3). Default 1. */
  page?: number;
  /** Items per page (M of `page=N,M`); Hood's default and maximum are undocumented. Default 100. */
  pageSize?: number;
  /** `read_gdpr_fields=true`: real contacts instead of masked ones (§1.4). */
  readGdprFields?: boolean;
}
