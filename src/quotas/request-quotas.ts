/**
 * RequestQuotas: where the Kafka front door meets the client quotas — one `begin` before a
 * request's handler runs and one `finish` when its response body is ready, both called by the
 * connection's dispatcher. What it does, as Kafka's KafkaApis does:
 *
 * - Produce: the request's size counts against producer_byte_rate (acks=0 too: the connection is
 *   still muted); Fetch from a client: the response's record bytes against consumer_byte_rate,
 *   the fetch capped beforehand to what one window allows (getMaxValueInQuotaWindow); a throttled
 *   fetch is answered empty (its bytes unrecorded; a full fetch's new session dropped), so the
 *   client fetches the same offsets again after the throttle.
 * - Every API but the SASL ones: the handler's event-loop time (decode + the synchronous part of
 *   the handler: Node has no request threads, so time waiting in a purgatory is not counted)
 *   against request_percentage, capped at one window.
 * - The throttle is the larger of the two; it is written into the response's throttleTimeMs
 *   (every response that has the field) and the caller mutes the connection for it after sending
 *   the response (KIP-219).
 */
import type { Body } from '../kafka/handler.js';
import type { RequestHeader } from '../kafka/protocol/frames.js';
import { API_KEY } from '../kafka/protocol/api-registry.js';
import type { ClientQuotaManager } from './client-quota-manager.js';
import { quotaUser } from './quota-entity.js';

/** The APIs outside the request quota: the SASL exchange, which runs before a principal exists. */
const EXEMPT: ReadonlySet<number> = new Set([API_KEY.SaslHandshake, API_KEY.SaslAuthenticate]);

const NANOS_TO_PERCENT = 100 / 1e9;

export interface QuotaTicket {
  /** The throttle in ms for this request (0: none); rewrites `body` where Kafka does. */
  finish(body: Body | null, measured: { requestBytes: number; handlerNanos: number; removeFetchSession: (id: number) => void }): number;
}

interface FetchBody {
  replicaId?: number;
  replicaState?: { replicaId: number };
  maxBytes: number;
  minBytes: number;
  sessionEpoch?: number;
}

export class RequestQuotas {
  constructor(private readonly manager: ClientQuotaManager) {}

  /** Called with the decoded request before its handler; may cap a fetch. */
  begin(header: RequestHeader, request: Body, principal: string | undefined): QuotaTicket {
    const user = quotaUser(principal);
    const clientId = header.clientId ?? '';
    const m = this.manager;
    const isProduce = header.apiKey === API_KEY.Produce;
    const fetch = header.apiKey === API_KEY.Fetch ? (request as unknown as FetchBody) : undefined;
    const clientFetch = fetch !== undefined && (fetch.replicaState?.replicaId ?? fetch.replicaId ?? -1) < 0;
    if (clientFetch && m.enabled('fetch')) {
      const cap = Math.floor(m.maxValueInWindow('fetch', user, clientId));
      if (cap < fetch.maxBytes) {
        fetch.maxBytes = Math.max(1, cap);
        fetch.minBytes = Math.min(fetch.minBytes, fetch.maxBytes);
      }
    }
    return {
      finish(body, measured) {
        let bandwidthMs = 0;
        let fetchBytes = 0;
        if (isProduce) bandwidthMs = m.record('produce', user, clientId, measured.requestBytes);
        if (clientFetch && body !== null && m.enabled('fetch')) {
          fetchBytes = recordBytes(body);
          bandwidthMs = m.record('fetch', user, clientId, fetchBytes);
        }
        const requestMs = EXEMPT.has(header.apiKey) ? 0 : m.record('request', user, clientId, measured.handlerNanos * NANOS_TO_PERCENT);
        const throttleMs = Math.max(bandwidthMs, requestMs);
        if (throttleMs <= 0) return 0;
        if (bandwidthMs >= requestMs) m.throttled(isProduce ? 'produce' : 'fetch', user, clientId, throttleMs);
        else m.throttled('request', user, clientId, throttleMs);
        if (clientFetch && body !== null) {
          if (fetchBytes > 0) m.unrecord('fetch', user, clientId, fetchBytes);
          emptyFetch(body, fetch, measured.removeFetchSession);
        }
        if (body !== null && 'throttleTimeMs' in body) body.throttleTimeMs = Math.max(Number(body.throttleTimeMs) || 0, throttleMs);
        return throttleMs;
      },
    };
  }
}

/** The record bytes of a Fetch response body. */
function recordBytes(body: Body): number {
  let n = 0;
  for (const t of (body.responses as Array<{ partitions: Array<{ records: Buffer | null }> }> | undefined) ?? []) {
    for (const p of t.partitions) n += p.records?.length ?? 0;
  }
  return n;
}

/** Kafka's FetchContext.getThrottledResponse: no partitions; a session just created by a full fetch is not handed out. */
function emptyFetch(body: Body, request: FetchBody, removeFetchSession: (id: number) => void): void {
  body.responses = [];
  const full = (request.sessionEpoch ?? -1) <= 0;
  const sessionId = Number(body.sessionId ?? 0);
  if (full && sessionId !== 0) {
    removeFetchSession(sessionId);
    body.sessionId = 0;
  }
}
