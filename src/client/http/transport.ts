// How a request reaches the license server: directly (node:http / node:https), or through a proxy
// (undici). Both answer the same way and throw the network's own errors, which api-client.ts turns
// into ours. undici is loaded only when a proxy applies: it costs ~55 ms of start-up (it loads
// node:http2, node:tls and its own 1.4 MB), a fifth of a whole `katalonc run` on loopback.
export interface Transport {
  send(request: OutgoingRequest): Promise<{ status: number; text: string }>;
  close(): Promise<void>;
}

export interface OutgoingRequest {
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** Harmless if the server gets it twice: only such a request is sent again after a reset. */
  repeatable: boolean;
}

/** TLS settings for the server's connection: extra CAs from -caFile, on top of the public roots. */
export interface TlsSettings {
  ca?: string[];
}

export const CONNECT_TIMEOUT_MS = 10_000;
/**
 * The whole answer, from the request sent to its last byte: a deadline, not an idle time, since a
 * peer that trickles a byte now and then (a licensee's proxy) would otherwise hold a heartbeat, and
 * so the run, forever while the seat is free on the server.
 */
export const RESPONSE_TIMEOUT_MS = 15_000;

/** The error of a request past its deadline, with its code (`RESPONSE_TIMEOUT`, `CONNECT_TIMEOUT`). */
export const timedOut = (code: string, ms: number) =>
  Object.assign(new Error(`no answer within ${ms / 1000} s`), { code });
