import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { Registry } from 'prom-client';
import { HealthCheck, runHealthChecks } from './health';

export const HEALTH_CHECKS = Symbol('HEALTH_CHECKS');
export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');

/** `GET /health` (200 or 503, each dependency named) and `GET /metrics` (Prometheus text). */
@Controller()
export class OpsController {
  constructor(
    @Inject(HEALTH_CHECKS) private readonly checks: HealthCheck[],
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
  ) {}

  @Get('health')
  async health(@Res() res: Response): Promise<void> {
    const report = await runHealthChecks(this.checks);
    res.status(report.status === 'ok' ? 200 : 503).json(report);
  }

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}
