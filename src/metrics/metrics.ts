import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one app instance (own registry, so tests can build several apps). */
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  readonly cdsRequests = new Counter({
    name: 'cds_service_requests_total',
    help: 'CDS service invocations by service, hook and HTTP status',
    labelNames: ['service', 'hook', 'status'] as const,
    registers: [this.registry],
  });
  readonly cdsLatency = new Histogram({
    name: 'cds_service_request_duration_seconds',
    help: 'CDS service invocation latency',
    labelNames: ['service', 'hook'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly prefetchKeys = new Counter({
    name: 'cds_prefetch_keys_total',
    help: 'Prefetch keys by service and how they were obtained (supplied, fetched, unavailable, incomplete)',
    labelNames: ['service', 'source'] as const,
    registers: [this.registry],
  });
  readonly cardsIssued = new Counter({
    name: 'cds_cards_issued_total',
    help: 'Cards returned by service and indicator',
    labelNames: ['service', 'indicator'] as const,
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }
}
