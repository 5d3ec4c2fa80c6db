// The direct transport (node:http) against real sockets on 127.0.0.1: one kept-alive connection for
// a run's requests, a request sent again when the server had just closed that connection, and a
// server that takes a request and never answers.
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { directTransport } from '../../src/client/http/direct.ts';

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** A raw HTTP server: `onRequest` gets the socket and the request's number on it. */
const listen = async (onRequest: (socket: Socket, n: number, connection: number) => void) => {
  let connections = 0;
  const server = createServer((socket) => {
    const connection = ++connections;
    let n = 0;
    socket.on('data', (d) => {
      if (d.toString('latin1').includes('\r\n\r\n')) onRequest(socket, ++n, connection);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: new URL(`http://127.0.0.1:${port}/`), connections: () => connections };
};

const ok = (socket: Socket, body: string) =>
  socket.write(
    `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: keep-alive\r\n\r\n${body}`,
  );

const get = { method: 'GET' as const, headers: {} };

describe('the direct transport', () => {
  it('sends every request of a run over one kept-alive connection', async () => {
    const server = await listen((socket, n) => ok(socket, `{"n":${n}}`));
    const t = directTransport(server.url, {});
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await t.send({ ...get, url: server.url.href }));
    await t.close();
    expect(answers.map((a) => a.text)).toEqual(['{"n":1}', '{"n":2}', '{"n":3}']);
    expect(server.connections()).toBe(1);
  });

  it('sends a request again on a new connection when the kept-alive one was reset under it', async () => {
    const server = await listen((socket, n, connection) => {
      // The first connection answers once, then resets as the next request arrives.
      if (connection === 1 && n === 2) socket.resetAndDestroy();
      else ok(socket, `{"connection":${connection}}`);
    });
    const t = directTransport(server.url, {});
    await t.send({ ...get, url: server.url.href });
    const again = await t.send({ ...get, url: server.url.href });
    await t.close();
    expect(again).toMatchObject({ status: 200, text: '{"connection":2}' });
  });

  it('gives up on a server that takes the request and never answers, with a timeout code', async () => {
    const server = await listen(() => {});
    const t = directTransport(server.url, {}, { connectMs: 1000, responseMs: 300 });
    const started = Date.now();
    await expect(t.send({ ...get, url: server.url.href })).rejects.toMatchObject({
      code: 'RESPONSE_TIMEOUT',
    });
    expect(Date.now() - started).toBeLessThan(3000);
    await t.close();
  });
});
