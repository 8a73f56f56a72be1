import { EnvError } from '@baton/telemetry';
import { readGatewayConfig } from './config';

describe('readGatewayConfig', () => {
  it('trusts the built-in issuer at the public URL when it is on', () => {
    const c = readGatewayConfig({ HTTP_PORT: '3999', BATON_DEV_ISSUER: 'true' });
    expect(c.oidc.issuer).toBe('http://127.0.0.1:3999/dev-issuer');
    expect(c.devIssuer?.dir).toMatch(/\.baton\/issuer$/);
    expect(c.corsOrigins).toEqual([]);
  });

  it('needs an issuer otherwise, and reads the role map', () => {
    expect(() => readGatewayConfig({})).toThrow(EnvError);
    const c = readGatewayConfig({ BATON_OIDC_ISSUER: 'https://id.example/realms/x', BATON_ROLE_MAP: '{"baton-admins":"admin","sre":["operator","approver"]}', BATON_CORS_ORIGINS: 'https://a.example, https://b.example' });
    expect(c.oidc.roleMap).toEqual({ 'baton-admins': ['admin'], sre: ['operator', 'approver'] });
    expect(c.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
  });

  it('refuses a role map naming an unknown role, naming the variable', () => {
    expect(() => readGatewayConfig({ BATON_OIDC_ISSUER: 'https://id.example', BATON_ROLE_MAP: '{"x":"root"}' })).toThrow(/BATON_ROLE_MAP/);
    expect(() => readGatewayConfig({ BATON_OIDC_ISSUER: 'https://id.example', BATON_ROLE_MAP: 'admin' })).toThrow(/BATON_ROLE_MAP/);
  });
});
