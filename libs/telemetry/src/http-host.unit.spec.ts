import { thrownBy } from '@baton/testing';
import { EnvError } from './env';
import { DEFAULT_HTTP_HOST, envHttpHost } from './http-service.bootstrap';

describe('HTTP_HOST', () => {
  it('defaults to loopback and takes IP addresses and host names', () => {
    expect(envHttpHost({})).toBe(DEFAULT_HTTP_HOST);
    for (const host of ['0.0.0.0', '127.0.0.1', '::', '::1', 'localhost', 'baton-gateway.default.svc']) expect(envHttpHost({ HTTP_HOST: host })).toBe(host);
  });

  it('refuses garbage with INVALID_ENV naming the variable', () => {
    for (const host of ['not a host', 'http://0.0.0.0', '0.0.0.0:3000', '-bad.example', 'a..b']) {
      const err = thrownBy(() => envHttpHost({ HTTP_HOST: host }));
      expect(err).toBeInstanceOf(EnvError);
      expect(err).toMatchObject({ code: 'INVALID_ENV', variable: 'HTTP_HOST', reason: 'malformed' });
    }
  });
});
