/**
 * DeferredCounter: increments summed off prom-client show up on scrape exactly as direct
 * increments would — per label set, cumulative across scrapes, absent until first added.
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { DeferredCounter } from '../../../src/http/deferred-counter.js';

describe('DeferredCounter', () => {
  it('shows the sums per label set on scrape, cumulative across scrapes', async () => {
    const registry = new Registry();
    const c = new DeferredCounter({ name: 'test_requests_total', help: 'h', labelNames: ['api', 'status'], registry });
    expect(await registry.metrics()).not.toMatch(/test_requests_total\{/);
    c.add('Produce', 'OK', () => ({ api: 'Produce', status: 'OK' }), 1);
    c.add('Produce', 'OK', () => ({ api: 'Produce', status: 'OK' }), 2);
    c.add('Produce', 'ERROR', () => ({ api: 'Produce', status: 'ERROR' }), 1);
    c.add('Fetch', 'OK', () => ({ api: 'Fetch', status: 'OK' }), 5);
    const first = await registry.metrics();
    expect(first).toContain('test_requests_total{api="Produce",status="OK"} 3');
    expect(first).toContain('test_requests_total{api="Produce",status="ERROR"} 1');
    expect(first).toContain('test_requests_total{api="Fetch",status="OK"} 5');
    c.add('Produce', 'OK', () => ({ api: 'Produce', status: 'OK' }), 4);
    const second = await registry.metrics();
    expect(second).toContain('test_requests_total{api="Produce",status="OK"} 7');
    expect(second).toContain('test_requests_total{api="Fetch",status="OK"} 5');
  });
});
