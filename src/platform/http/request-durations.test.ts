import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { RequestDurations } from './request-durations.js';

const observations: Array<[string, string, number, number]> = [
  ['GET', '/healthz', 200, 0.0004],
  ['GET', '/healthz', 200, 0.001],
  ['GET', '/api/v2/users/me', 200, 0.003],
  ['GET', '/api/v2/users/me', 401, 0.02],
  ['POST', '/access/sign_in', 200, 0.7],
  ['POST', '/access/sign_in', 200, 9],
  ['GET', 'unmatched', 404, 0.05],
];

describe('the request duration histogram', () => {
  it("prints what prom-client's own histogram prints for the same requests", async () => {
    const ours = new Registry();
    const durations = new RequestDurations(ours);
    const theirs = new Registry();
    const histogram = new Histogram({
      name: 'riposte_http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [theirs],
    });
    for (const [method, route, status, seconds] of observations) {
      durations.observe(method, route, status, seconds);
      histogram.observe({ method, route, status: String(status) }, seconds);
    }
    const printed = await ours.metrics();
    expect(printed).toBe(await theirs.metrics());
    expect(printed).toContain('riposte_http_request_duration_seconds_bucket{le="0.001",method="GET",route="/healthz",status="200"} 2');
    expect(printed).toContain('riposte_http_request_duration_seconds_count{method="POST",route="/access/sign_in",status="200"} 2');
  });

  it('starts again empty when the registry resets its metrics', async () => {
    const registry = new Registry();
    const durations = new RequestDurations(registry);
    durations.observe('GET', '/healthz', 200, 0.002);
    registry.resetMetrics();
    expect(await registry.metrics()).not.toContain('_count{');
  });
});
