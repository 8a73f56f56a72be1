import { gatewayTarget } from './gateway-client';

// No HOME and no BATON_CREDENTIALS_FILE: there is no stored login to read.
describe('gatewayTarget', () => {
  it('takes --gateway or $BATON_GATEWAY_URL, with $BATON_TOKEN', () => {
    expect(gatewayTarget({ BATON_TOKEN: 't-1' }, { gateway: 'http://gw:3000/' })).toEqual({ url: 'http://gw:3000', token: 't-1' });
    expect(gatewayTarget({ BATON_GATEWAY_URL: 'http://gw:3000' }, {})).toEqual({ url: 'http://gw:3000', token: undefined });
  });

  it('stays on NATS without a gateway or a stored login', () => {
    expect(gatewayTarget({}, {})).toBeUndefined();
    expect(gatewayTarget({ NATS_URL: 'nats://x:4222' }, { nats: 'nats://x:4222' })).toBeUndefined();
  });
});
