import { readTracingConfig } from './tracing-config';

describe('readTracingConfig (the standard OTEL_* variables)', () => {
  it('is off when nothing says where spans go', () => {
    expect(readTracingConfig('scheduler', {})).toMatchObject({ enabled: false });
    expect(readTracingConfig('scheduler', { OTEL_EXPORTER_OTLP_ENDPOINT: '  ', OTEL_SERVICE_NAME: 'x' })).toMatchObject({ enabled: false });
  });

  it('is on with an OTLP endpoint, named after the process unless OTEL_SERVICE_NAME says otherwise', () => {
    expect(readTracingConfig('scheduler', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toEqual({ enabled: true, exporter: 'otlp', serviceName: 'scheduler' });
    expect(readTracingConfig('scheduler', { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://j:4318/v1/traces', OTEL_SERVICE_NAME: 'sched-eu' })).toEqual({
      enabled: true,
      exporter: 'otlp',
      serviceName: 'sched-eu',
    });
  });

  it('leaves exporters other than otlp to the SDK', () => {
    expect(readTracingConfig('cli', { OTEL_TRACES_EXPORTER: 'otlp' })).toMatchObject({ enabled: true, exporter: 'otlp' });
    expect(readTracingConfig('cli', { OTEL_TRACES_EXPORTER: 'console' })).toMatchObject({ enabled: true, exporter: 'env' });
    expect(readTracingConfig('cli', { OTEL_TRACES_EXPORTER: 'otlp,console' })).toMatchObject({ enabled: true, exporter: 'env' });
  });

  it('sends JSON over HTTP unless OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL asks for protobuf or gRPC', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://j:4318' };
    expect(readTracingConfig('x', { ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })).toMatchObject({ exporter: 'otlp' });
    expect(readTracingConfig('x', { ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' })).toMatchObject({ exporter: 'env' });
    expect(readTracingConfig('x', { ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' })).toMatchObject({ exporter: 'env' });
  });

  it('is off with OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none, whatever else is set', () => {
    expect(readTracingConfig('x', { OTEL_SDK_DISABLED: 'TRUE', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://j:4318' })).toMatchObject({ enabled: false, reason: 'OTEL_SDK_DISABLED=true' });
    expect(readTracingConfig('x', { OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://j:4318' })).toMatchObject({ enabled: false, reason: 'OTEL_TRACES_EXPORTER=none' });
    expect(readTracingConfig('x', { OTEL_SDK_DISABLED: 'false', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://j:4318' })).toMatchObject({ enabled: true });
  });
});
