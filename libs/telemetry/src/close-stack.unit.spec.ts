import { CloseStack } from './close-stack';

describe('CloseStack', () => {
  it('closes newest first, runs every close even after a failure, and reports failures together', async () => {
    const order: string[] = [];
    const stack = new CloseStack('svc');
    stack.defer(async () => void order.push('pool'));
    stack.defer(async () => {
      order.push('store');
      throw new Error('store broke');
    });
    stack.defer(async () => void order.push('nats'));
    await expect(stack.closeAll()).rejects.toThrow('svc did not close cleanly');
    expect(order).toEqual(['nats', 'store', 'pool']);
    await expect(stack.closeAll()).resolves.toBeUndefined();
    expect(order).toHaveLength(3);
  });
});
