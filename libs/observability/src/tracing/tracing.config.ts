type Env = Record<string, string | undefined>;

/** Whether and as what a service traces, decided from the standard OpenTelemetry variables alone. */
export type TracingSettings = { enabled: false; reason: string } | { enabled: true; serviceName: string };

/**
 * Tracing is off unless the standard variables ask for it: `OTEL_TRACES_EXPORTER` naming `otlp`, or an OTLP
 * endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) given. `OTEL_SDK_DISABLED=true`
 * and `OTEL_TRACES_EXPORTER=none` switch it off whatever else is set. The service is `OTEL_SERVICE_NAME`, else
 * `tongban-<service>`. Off, nothing of the SDK is loaded and no module is patched.
 */
export function readTracingSettings(service: string, env: Env = process.env): TracingSettings {
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return { enabled: false, reason: 'OTEL_SDK_DISABLED=true' };
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .filter(Boolean);
  if (exporters.includes('none')) return { enabled: false, reason: 'OTEL_TRACES_EXPORTER=none' };
  const endpoint = Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
  if (!exporters.includes('otlp') && !endpoint) {
    return { enabled: false, reason: 'neither OTEL_TRACES_EXPORTER=otlp nor an OTLP endpoint is set' };
  }
  return { enabled: true, serviceName: env.OTEL_SERVICE_NAME?.trim() || `tongban-${service}` };
}
