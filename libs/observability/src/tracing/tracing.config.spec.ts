import { readTracingSettings } from './tracing.config';

describe('readTracingSettings', () => {
  const RULES: Array<[string, Record<string, string>, boolean]> = [
    ['nothing set', {}, false],
    ['only a service name', { OTEL_SERVICE_NAME: 'x' }, false],
    ['the exporter named otlp', { OTEL_TRACES_EXPORTER: 'otlp' }, true],
    ['otlp among several exporters', { OTEL_TRACES_EXPORTER: 'console, otlp' }, true],
    ['an exporter other than otlp', { OTEL_TRACES_EXPORTER: 'console' }, false],
    ['a general OTLP endpoint', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }, true],
    ['a traces OTLP endpoint', { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' }, true],
    ['an empty endpoint', { OTEL_EXPORTER_OTLP_ENDPOINT: ' ' }, false],
    ['the SDK disabled despite an endpoint', { OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }, false],
    ['the SDK disabled in capitals', { OTEL_SDK_DISABLED: 'TRUE', OTEL_TRACES_EXPORTER: 'otlp' }, false],
    ['OTEL_SDK_DISABLED=false with an endpoint', { OTEL_SDK_DISABLED: 'false', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }, true],
    ['exporter none despite an endpoint', { OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }, false],
  ];

  it.each(RULES)('%s: enabled %s', (_case, env, enabled) => {
    expect(readTracingSettings('gateway', env).enabled).toBe(enabled);
  });

  it('names the service tongban-<service> unless OTEL_SERVICE_NAME says otherwise', () => {
    expect(readTracingSettings('relay', { OTEL_TRACES_EXPORTER: 'otlp' })).toEqual({ enabled: true, serviceName: 'tongban-relay' });
    expect(readTracingSettings('relay', { OTEL_TRACES_EXPORTER: 'otlp', OTEL_SERVICE_NAME: 'relay-sc-2' })).toEqual({
      enabled: true,
      serviceName: 'relay-sc-2',
    });
  });
});
