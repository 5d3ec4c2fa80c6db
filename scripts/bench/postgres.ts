// The shared store: one PostgreSQL replica as SQLite's rows, then two replicas loaded at once,
// their heartbeats together against one replica alone.
import type autocannon from 'autocannon';
import { join } from 'node:path';
import { postgresAvailable, postgresSkipped, startPostgres } from '../harness/postgres.ts';
import { add } from './measure.ts';
import { seedOrg, startReplica, type BenchStore } from './replica.ts';
import { benchStore, loadReplica, rps, serverRows, us, type ServerLoad } from './server.ts';

export const benchPostgres = async (work: string, thisMachine: string): Promise<void> => {
  if (!postgresAvailable()) {
    console.log(`  PostgreSQL rows not measured${postgresSkipped()}`);
  } else {
    const cluster = await startPostgres([
      '-c',
      'max_connections=200',
      '-c',
      'shared_buffers=256MB',
    ]);
    process.on('exit', () => cluster.destroy());
    const pgStore: BenchStore = {
      label: 'PostgreSQL, 1 replica',
      dataDir: join(work, 'pg-server'),
      env: { KLS_DATABASE_URL: await cluster.createDatabase() },
    };
    const lone = await benchStore(pgStore, thisMachine);
    lone.replica.stop();
    console.log('Server, PostgreSQL, 2 replicas: both loaded at once, 100 connections each');
    const two = { ...pgStore, label: 'PostgreSQL, 2 replicas', dataDir: join(work, 'pg-two') };
    const replicas = [await startReplica(two), await startReplica(two)];
    const { org, apiKey } = seedOrg(two);
    const both = await Promise.all(replicas.map((r) => loadReplica(r, org, apiKey, thisMachine)));
    for (const [i, r] of both.entries()) serverRows(`PostgreSQL replica ${i + 1} of 2`, r);
    const sum = (pick: (r: ServerLoad) => autocannon.Result) =>
      both.reduce((total, r) => total + pick(r).requests.average, 0);
    add(
      'PostgreSQL: heartbeats/s, 2 replicas vs 1',
      sum((r) => r.heartbeats),
      lone.loaded.heartbeats.requests.average,
      '> 1x',
      (x) => x > 1,
      rps,
    );
    // What a heartbeat costs each replica when two share the database (and these cores), against
    // one replica alone: the replicas' capacity, apart from what the load generator can drive.
    if (!Number.isNaN(lone.loaded.cpuPerHeartbeat))
      add(
        'PostgreSQL: server CPU per heartbeat, each of 2 replicas vs 1 replica',
        (both[0].cpuPerHeartbeat + both[1].cpuPerHeartbeat) / 2,
        lone.loaded.cpuPerHeartbeat,
        '(reported)',
        () => true,
        us,
      );
    for (const r of replicas) r.stop();
  }
};
