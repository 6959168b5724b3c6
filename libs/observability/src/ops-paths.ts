/**
 * The paths `OpsController` answers (liveness, readiness, metrics): open to probes and scrapers without
 * credentials, since they carry no personal data, and left out of access logs and traces.
 */
export const OPS_PATHS: ReadonlySet<string> = new Set(['/health', '/health/live', '/health/ready', '/metrics']);
