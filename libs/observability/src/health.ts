/** A named dependency check: resolves when healthy, rejects with the reason otherwise. */
export interface HealthCheck {
  name: string;
  check: () => Promise<unknown>;
  /**
   * A dependency the service works without for a while (Redis for deadlines, which are reconciled from
   * MySQL when it returns): reported down, the service `degraded` but still ready.
   */
  tolerated?: boolean;
}

export interface HealthReport {
  status: 'ok' | 'degraded' | 'error';
  checks: Record<string, { status: 'up' | 'down'; latencyMs: number; error?: string; details?: unknown }>;
}

export async function runHealthChecks(checks: HealthCheck[], timeoutMs = 3000): Promise<HealthReport> {
  const results = await Promise.all(
    checks.map(async ({ name, check }) => {
      const started = Date.now();
      try {
        const details = await Promise.race([
          check(),
          new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs).unref()),
        ]);
        return [name, { status: 'up' as const, latencyMs: Date.now() - started, ...(details ? { details } : {}) }] as const;
      } catch (e) {
        return [name, { status: 'down' as const, latencyMs: Date.now() - started, error: (e as Error).message }] as const;
      }
    }),
  );
  const report: HealthReport = { status: 'ok', checks: {} };
  results.forEach(([name, result], i) => {
    report.checks[name] = result;
    if (result.status === 'up') return;
    if (!checks[i].tolerated) report.status = 'error';
    else if (report.status === 'ok') report.status = 'degraded';
  });
  return report;
}

/**
 * The checks of the dependencies most services share, named as `/health` reports them. Typed by the
 * one call each needs, so this lib depends on no client library.
 */
export function dependencyChecks(deps: {
  mysql?: { query(sql: string): Promise<unknown> };
  kafka?: { describeCluster(): Promise<{ brokers: unknown[] }> };
  redis?: { ping(): Promise<unknown> };
  /** Dependencies the service keeps working without for a while: down, they make it degraded, not unready. */
  tolerate?: Array<'mysql' | 'kafka' | 'redis'>;
}): HealthCheck[] {
  const checks: HealthCheck[] = [];
  const { mysql, kafka, redis } = deps;
  const tolerated = (name: 'mysql' | 'kafka' | 'redis') => (deps.tolerate?.includes(name) ? { tolerated: true } : {});
  if (mysql) checks.push({ name: 'mysql', check: () => mysql.query('SELECT 1'), ...tolerated('mysql') });
  if (kafka) checks.push({ name: 'kafka', check: async () => ({ brokers: (await kafka.describeCluster()).brokers.length }), ...tolerated('kafka') });
  if (redis) checks.push({ name: 'redis', check: () => redis.ping(), ...tolerated('redis') });
  return checks;
}
