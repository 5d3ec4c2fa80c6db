// The direct transport (node:http) against real sockets on 127.0.0.1: one kept-alive connection for
// a run's requests, a request sent again when the server had just closed that connection (unless
// a second copy would do harm), a server that takes a request and never answers or trickles its
// answer, and one that takes no connection at all.
import { spawn } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { directTransport } from '../../src/client/http/direct.ts';
import { cleanEnv } from '../helpers/cli.ts';

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

const get = { method: 'GET' as const, headers: {}, repeatable: true };
const activation = { method: 'POST' as const, headers: {}, body: '{}', repeatable: false };

/** The first connection answers once, then resets as the next request arrives. */
const resetOnSecondRequest = () =>
  listen((socket, n, connection) => {
    if (connection === 1 && n === 2) socket.resetAndDestroy();
    else ok(socket, `{"connection":${connection}}`);
  });

/**
 * A listener whose process is stopped (SIGSTOP), its accept queue full: the kernel leaves every
 * further connection attempt unanswered, as a dropped SYN on the network would.
 */
const unanswered = async () => {
  const child = spawn(
    process.execPath,
    [
      '-e',
      "require('net').createServer().listen({ port: 0, host: '127.0.0.1', backlog: 1 }, function () { console.log(this.address().port) })",
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], env: cleanEnv() },
  );
  const port = Number(
    await new Promise<string>((resolve) => child.stdout.once('data', (d) => resolve(String(d)))),
  );
  child.kill('SIGSTOP');
  const queued: Socket[] = [];
  for (;;) {
    const socket = connect(port, '127.0.0.1');
    queued.push(socket);
    const accepted = await new Promise<boolean>((resolve) => {
      // Generous: a slow answer taken for none would leave room in the queue.
      socket.once('connect', () => resolve(true));
      setTimeout(() => resolve(false), 1000);
    });
    if (!accepted) break;
  }
  return {
    url: new URL(`http://127.0.0.1:${port}/`),
    stop: () => {
      child.kill('SIGKILL');
      for (const s of queued) s.destroy();
    },
  };
};

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
    const server = await resetOnSecondRequest();
    const t = directTransport(server.url, {});
    await t.send({ ...get, url: server.url.href });
    const again = await t.send({ ...get, url: server.url.href });
    await t.close();
    expect(again).toMatchObject({ status: 200, text: '{"connection":2}' });
  });

  it('does not send an activation again after a reset: had the server taken it, it would hold two seats', async () => {
    const server = await resetOnSecondRequest();
    const t = directTransport(server.url, {});
    await t.send({ ...get, url: server.url.href });
    await expect(t.send({ ...activation, url: server.url.href })).rejects.toMatchObject({
      code: 'ECONNRESET',
    });
    await t.close();
    expect(server.connections()).toBe(1);
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

  it('gives up on a server that answers a byte now and then and never the end, by the deadline, not an idle time', async () => {
    const timers: NodeJS.Timeout[] = [];
    const server = await listen((socket) => {
      socket.write(
        'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n',
      );
      timers.push(setInterval(() => socket.write('1\r\n \r\n'), 100));
    });
    const t = directTransport(server.url, {}, { connectMs: 1000, responseMs: 500 });
    const started = Date.now();
    try {
      await expect(t.send({ ...get, url: server.url.href })).rejects.toMatchObject({
        code: 'RESPONSE_TIMEOUT',
      });
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      for (const timer of timers) clearInterval(timer);
      await t.close();
    }
  });

  it('gives up on a server that never takes the connection, with a connect timeout code', async () => {
    const server = await unanswered();
    try {
      const t = directTransport(server.url, {}, { connectMs: 400, responseMs: 5000 });
      const started = Date.now();
      await expect(t.send({ ...get, url: server.url.href })).rejects.toMatchObject({
        code: 'CONNECT_TIMEOUT',
      });
      expect(Date.now() - started).toBeGreaterThanOrEqual(350);
      expect(Date.now() - started).toBeLessThan(3000);
      await t.close();
    } finally {
      server.stop();
    }
  });
});
