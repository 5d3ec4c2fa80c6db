// The server under the bench: a store (a data dir, and a PostgreSQL database for the shared one),
// replicas started on it with their CPU time read from /proc, and organisations seeded through the
// admin CLI or, for years of history, straight into the store.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { DEV_ROOT_FILE } from '../dev-root.ts';
import { freePort } from '../harness/env.ts';
import { node, server } from './measure.ts';
import { newKeyExchange } from '../../src/core/license/grant.ts';

export const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';

/** A store for the server rows: its own data dir, and a PostgreSQL database for the shared one. */
export interface BenchStore {
  label: string;
  dataDir: string;
  env: Record<string, string | undefined>;
}

export interface Replica {
  base: string;
  /** CPU time the replica's process has used so far (user + system), in ms; NaN off Linux. */
  cpuMs: () => number;
  stop: () => void;
}

const clockTicks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;
/** Fields 14 and 15 of /proc/PID/stat (utime, stime), counted after the ")" that ends the name. */
const cpuMsOf = (pid: number): number => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
  } catch {
    return Number.NaN;
  }
};

/**
 * The store's data dir, made and its key certified as the tour does (the checkout's root), once:
 * katalonc runs only on sessions a certified server signs, and signing is part of what is measured.
 */
const certify = (store: BenchStore): void => {
  const certificate = join(store.dataDir, 'bench.cert');
  if (existsSync(certificate)) return;
  mkdirSync(store.dataDir, { recursive: true, mode: 0o700 });
  const admin = (args: string[]) => {
    const r = spawnSync(node, [server, ...args], {
      encoding: 'utf8',
      env: { ...process.env, ...store.env },
    });
    if (r.status !== 0) throw new Error(`${store.label}: ${args[0]} ${args[1]}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const serverKey = admin(['--data-dir', store.dataDir, 'keys', 'public']);
  const until = new Date(Date.now() + 365 * 86_400_000).toISOString().slice(0, 10);
  admin(
    ['root', 'certify', '--root', DEV_ROOT_FILE, '--server-key', serverKey].concat([
      '--max-licenses',
      '10000',
      '--until',
      until,
      '--out',
      certificate,
    ]),
  );
  admin(['--data-dir', store.dataDir, 'certificate', 'install', certificate]);
};

/** A fresh nonce, as katalonc sends with each activation, heartbeat and resume (signed or MACed back). */
export const nonce = (): string => randomBytes(16).toString('hex');
/** A fresh X25519 key, as katalonc sends with each activation and resume (its lease key wrapped for it). */
export const kx = (): string => newKeyExchange().publicKey;

/** Starts a server replica on the store (certified); resolves once /healthz answers. */
export const startReplica = async (store: BenchStore): Promise<Replica> => {
  certify(store);
  // At --log-level warn the server does not log its address: the port is chosen here.
  const port = await freePort();
  const args = ['--data-dir', store.dataDir, 'start', '--port', String(port)];
  const proc = spawn(node, [server, ...args, '--log-level', 'warn', '--lease-seconds', '600'], {
    env: { ...process.env, ...store.env, KLS_ADMIN_TOKEN: ADMIN_TOKEN },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  process.on('exit', () => proc.kill()); // also when a step below fails
  const base = `http://127.0.0.1:${port}`;
  for (let tries = 0; ; tries++) {
    if (
      await fetch(`${base}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (tries > 100) throw new Error(`${store.label}: the server did not start`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { base, cpuMs: () => cpuMsOf(proc.pid!), stop: () => proc.kill('SIGTERM') };
};

/** An organisation with one member, their key and a floating KRE pool with room for everything. */
export const seedOrg = (store: BenchStore) => {
  const admin = (args: string[]) =>
    JSON.parse(
      spawnSync(node, [server, '--data-dir', store.dataDir, ...args, '--json'], {
        encoding: 'utf8',
        env: { ...process.env, ...store.env },
      }).stdout,
    );
  const org = Number(
    admin(['org', 'create', '--name', `Bench ${randomBytes(4).toString('hex')}`]).id,
  );
  admin(['user', 'add', '--org', String(org), '--email', `b${org}@bench.test`]);
  const apiKey = admin(['apikey', 'create', '--org', String(org), '--email', `b${org}@bench.test`])
    .apiKey as string;
  const pool = admin([
    'pool',
    'create',
    '--org',
    String(org),
    '--product',
    'KRE',
    '--model',
    'floating',
    '--billing',
    'yearly',
    '--quota',
    '1000000',
    '--machine-quota',
    '1000000',
    '--expires',
    '2099-12-31',
  ]);
  return { org, apiKey, poolId: Number(pool.id) };
};

/**
 * A pool with history: 1,000,000 ended sessions, 100,000 registered machines and 10,000 live
 * sessions, written straight into the store (as years of use would have).
 */
export const seedHistory = async (
  store: BenchStore,
  poolId: number,
  userId: number,
  size = { machines: 100_000, ended: 1_000_000, live: 10_000 },
) => {
  const now = Date.now();
  const statements = (series: (n: number) => string) => [
    `INSERT INTO machines (pool_id, machine_id, hostname, first_seen, last_seen)
     SELECT ${poolId}, 'M' || n, 'host-' || n, ${now - 1e9}, ${now - 1e9} FROM ${series(size.machines)}`,
    `INSERT INTO sessions (id, pool_id, user_id, machine_id, hostname, os_user, created_at, lease_expires_at, ended_at, end_reason)
     SELECT 'ended-${poolId}-' || n, ${poolId}, ${userId}, 'M' || (n % ${size.machines}), 'h', 'u', ${now - 1e9} + n, ${now - 1e9} + n + 60000, ${now - 1e9} + n + 1000, 'released' FROM ${series(size.ended)}`,
    `INSERT INTO sessions (id, pool_id, user_id, machine_id, hostname, os_user, created_at, lease_expires_at)
     SELECT 'live-${poolId}-' || n, ${poolId}, ${userId}, 'M' || (n % ${size.machines}), 'h', 'u', ${now}, ${now + 86_400_000} FROM ${series(size.live)}`,
    // The pool's counters, as the server keeps them.
    `UPDATE pools SET open_sessions = ${size.live}, machine_count = ${size.machines} WHERE id = ${poolId}`,
  ];
  const url = store.env.KLS_DATABASE_URL;
  if (url) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    for (const sql of statements((n) => `generate_series(1, ${n}) AS n`)) await client.query(sql);
    await client.query('ANALYZE');
    await client.end();
  } else {
    const { DatabaseSync } = await import('node:sqlite');
    const db = new DatabaseSync(join(store.dataDir, 'licenses.db'));
    db.exec('PRAGMA busy_timeout = 5000; BEGIN');
    for (const sql of statements(
      (n) =>
        `(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < ${n}) SELECT n FROM s)`,
    ))
      db.exec(sql);
    db.exec('COMMIT; ANALYZE');
    db.close();
  }
};

export const userIdOf = async (base: string, org: number): Promise<number> => {
  const answer = (await (
    await fetch(`${base}/v1/admin/orgs/${org}/users`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    })
  ).json()) as { users: { userId: number }[] };
  return answer.users[0].userId;
};
