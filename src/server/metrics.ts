// What an operator scrapes at GET /metrics (Prometheus text format, prom-client): per pool the
// quota and what is in use (read from the store at each scrape), counters of what happened to
// licenses per organisation and product in this process (fed by the service's events), request latency by route, and
// whether the database answers.
// Counters are per replica: Prometheus sums them.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { isKatalonError } from '../core/errors.ts';
import type { LicenseEvent, Service } from './service/index.ts';
import type { Availability } from './store/availability.ts';

export const createMetrics = (database: Availability) => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'kls_' });
  new Gauge({
    name: 'kls_database_up',
    help: 'Whether the database answered this replica the last time it asked (0: an outage)',
    registers: [registry],
    collect() {
      this.set(database.up ? 1 : 0);
    },
  });
  new Counter({
    name: 'kls_database_outages_total',
    help: 'Outages of the database this replica has seen (each logged at its start and end)',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(database.outages);
    },
  });
  const pool = ['org', 'org_name', 'product', 'model'] as const;
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Counter({ name, help, labelNames, registers: [registry] });
  const granted = counter(
    'kls_activations_granted_total',
    'Sessions granted, by the pool model that granted them (resumed: after an outage)',
    ['org', 'product', 'model', 'resumed'],
  );
  const refused = counter('kls_activations_refused_total', 'Activations refused, by error code', [
    'org',
    'product',
    'reason',
  ]);
  const released = counter('kls_sessions_released_total', 'Sessions released by their run', [
    'org',
    'product',
  ]);
  const expired = counter(
    'kls_sessions_expired_total',
    'Sessions ended because their lease ran out (a crashed run)',
    ['org', 'product'],
  );
  const terminated = counter(
    'kls_sessions_terminated_total',
    'Sessions ended by an admin (termination, removal, withdrawal)',
    ['org', 'product'],
  );
  const issued = counter(
    'kls_offline_licenses_issued_total',
    'Offline and testing licenses issued',
    ['org', 'product', 'kind'],
  );
  const droppedLogLines = counter(
    'kls_log_lines_dropped_total',
    'Log lines that could not be written (the log disk full): the log says so once it can',
    [],
  );
  const recounted = counter(
    'kls_pool_counters_corrected_total',
    "Grants that found the pool's counters disagreeing with its rows (and decided on the rows)",
    ['org', 'product'],
  );
  const requests = new Histogram({
    name: 'kls_http_request_duration_seconds',
    help: 'Time to answer a request, by route',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });

  const gauges = {
    quota: new Gauge({
      name: 'kls_pool_quota',
      help: 'Subscribed licenses of the pool',
      labelNames: pool,
      registers: [registry],
    }),
    sessions: new Gauge({
      name: 'kls_pool_sessions_in_use',
      help: 'Live online sessions',
      labelNames: pool,
      registers: [registry],
    }),
    offline: new Gauge({
      name: 'kls_pool_offline_licenses',
      help: 'Unexpired offline licenses',
      labelNames: pool,
      registers: [registry],
    }),
    machines: new Gauge({
      name: 'kls_pool_registered_machines',
      help: 'Registered machines',
      labelNames: pool,
      registers: [registry],
    }),
  };

  return {
    /** Counts one license event. */
    count: (e: LicenseEvent) => {
      // A refusal to a non-member names whatever organisation the key holder chose: one series per
      // guess would grow without bound, so those are counted under no organisation.
      const stranger = e.event === 'refused' && e.reason === 'NOT_A_MEMBER';
      const at = { org: stranger ? '' : String(e.orgId), product: e.product };
      switch (e.event) {
        case 'granted':
          return granted.inc({ ...at, model: e.model ?? '', resumed: String(e.resumed) });
        case 'refused':
          return refused.inc({ ...at, reason: e.reason });
        case 'released':
          return released.inc(at, e.sessionIds.length);
        case 'terminated':
          return terminated.inc(at, e.sessionIds.length);
        case 'expired':
          return expired.inc(at, e.sessions);
        case 'recounted':
          return recounted.inc(at);
        case 'offline-issued':
          return issued.inc({ ...at, kind: e.kind });
      }
    },
    /** Counts log lines that could not be written. */
    droppedLogLines: (lines: number) => droppedLogLines.inc(lines),
    /** Observes one answered request (route: the route's pattern, never its URL). */
    observe: (method: string, route: string, status: number, seconds: number) =>
      requests.observe({ method, route, status: String(status) }, seconds),
    /** The text a scrape gets, with the pools read now. */
    scrape: async (service: Service): Promise<string> => {
      for (const g of Object.values(gauges)) g.reset();
      // In an outage the pools are left out; what the database's state is still answers.
      const pools = await service.poolGauges().catch((error: unknown) => {
        if (isKatalonError(error) && error.code === 'DATABASE_UNAVAILABLE') return [];
        throw error;
      });
      for (const p of pools) {
        const at = {
          org: String(p.org_id),
          org_name: p.org_name,
          product: p.product,
          model: p.model,
        };
        gauges.quota.set(at, p.quota);
        gauges.sessions.set(at, p.sessions);
        gauges.offline.set(at, p.offline);
        gauges.machines.set(at, p.machines);
      }
      return registry.metrics();
    },
    contentType: registry.contentType,
  };
};

export type Metrics = ReturnType<typeof createMetrics>;
