// Requests straight to the license server, over Node's own HTTP client: one keep-alive connection
// for a run's activation, heartbeats and release.
import type { ClientRequest } from 'node:http';
import type { Socket } from 'node:net';
import {
  CONNECT_TIMEOUT_MS,
  RESPONSE_TIMEOUT_MS,
  timedOut,
  type OutgoingRequest,
  type TlsSettings,
  type Transport,
} from './transport.ts';
import { errnoCode } from '../../platform/errno.ts';

export const directTransport = (
  target: URL,
  tls: TlsSettings,
  { connectMs, responseMs } = { connectMs: CONNECT_TIMEOUT_MS, responseMs: RESPONSE_TIMEOUT_MS },
): Transport => {
  // Taken here, not imported: node:https loads OpenSSL's bindings (~20 ms), for https servers only.
  const { Agent, request } = process.getBuiltinModule(
    target.protocol === 'https:' ? 'node:https' : 'node:http',
  );
  const agent = new Agent({ keepAlive: true, ...tls });

  const once = (r: OutgoingRequest) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const headers =
        r.body === undefined
          ? r.headers
          : { ...r.headers, 'content-length': String(Buffer.byteLength(r.body)) };
      const req: ClientRequest = request(r.url, { method: r.method, agent, headers });
      // Counted from the request on (once connected), to the answer's last byte: a server that
      // takes it and never answers, or answers a byte now and then (transport.ts).
      let deadline: NodeJS.Timeout | undefined;
      const answerBy = () =>
        (deadline ??= setTimeout(() => {
          fail(timedOut('RESPONSE_TIMEOUT', responseMs));
          req.destroy();
        }, responseMs));
      const fail = (error: Error) => {
        clearTimeout(deadline);
        reject(Object.assign(error, { reused: req.reusedSocket }));
      };
      req.once('error', fail);
      req.once('socket', (socket: Socket) => {
        if (!socket.connecting) return answerBy();
        const timer = setTimeout(
          () => req.destroy(timedOut('CONNECT_TIMEOUT', connectMs)),
          connectMs,
        );
        socket
          .once('connect', () => (clearTimeout(timer), answerBy()))
          .once('close', () => clearTimeout(timer));
      });
      req.once('response', (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.once('error', fail);
        response.once('end', () => {
          clearTimeout(deadline);
          resolve({ status: response.statusCode ?? 0, text });
        });
      });
      req.end(r.body);
    });

  return {
    send: async (r) => {
      try {
        return await once(r);
      } catch (error) {
        // The server closed a kept-alive connection just as this request went out (Node's advice
        // for reusedSocket): sent again on a new connection, if a second copy does no harm. A reset
        // can also come after the server took it (a crash, a proxy): an activation sent twice
        // would hold two seats, so it is not sent again.
        const reused = (error as { reused?: boolean }).reused;
        if (r.repeatable && reused && errnoCode(error) === 'ECONNRESET') return once(r);
        throw error;
      }
    },
    close: () => {
      agent.destroy();
      return Promise.resolve();
    },
  };
};
