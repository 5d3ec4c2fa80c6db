// Attack on /metrics by a key holder: activations in organisations they are not a member of (any
// ID they choose) must not add a metric series per guess, which would grow the server's memory and
// every scrape without bound.
import { expect, it } from 'vitest';
import { ADMIN_TOKEN, api, randomMachineId, seedOrg, startServer } from '../helpers/server.ts';

it('a key holder guessing organisation IDs adds no metric series per guess', async () => {
  const server = await startServer();
  try {
    const { apiKey } = await seedOrg(server.url);
    for (const orgId of [900001, 900002, 900003]) {
      const r = await api(
        server.url,
        'POST',
        '/v1/sessions',
        { orgId, product: 'KRE', machineId: randomMachineId() },
        apiKey,
      );
      expect(r.body.error.code).toBe('NOT_A_MEMBER');
    }
    const text = (await api(server.url, 'GET', '/metrics', undefined, ADMIN_TOKEN)).body as string;
    const refused = text.split('\n').filter((l) => l.startsWith('kls_activations_refused_total{'));
    expect(refused.filter((l) => /org="9000\d\d"/.test(l))).toEqual([]);
    expect(refused).toContain(
      'kls_activations_refused_total{org="",product="KRE",reason="NOT_A_MEMBER"} 3',
    );
  } finally {
    await server.stop();
  }
});
