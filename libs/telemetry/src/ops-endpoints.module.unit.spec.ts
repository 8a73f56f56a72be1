import { Controller, type DynamicModule } from '@nestjs/common';
import { OpsEndpointsModule, serviceRootModule } from './ops-endpoints.module';

@Controller()
class ExampleController {}

class ExampleModule {}

const TOKEN = Symbol('example');

describe('serviceRootModule', () => {
  const ops = { service: 'example', version: '1.2.3', readinessChecks: [] };

  it('imports the ops endpoints and declares the service controllers and providers', () => {
    const root = serviceRootModule(ExampleModule, ops, { controllers: [ExampleController], providers: [{ provide: TOKEN, useValue: 42 }] });
    expect(root.module).toBe(ExampleModule);
    expect(root.controllers).toEqual([ExampleController]);
    expect(root.providers).toEqual([{ provide: TOKEN, useValue: 42 }]);
    expect(root.imports).toHaveLength(1);
    expect((root.imports![0] as DynamicModule).module).toBe(OpsEndpointsModule);
  });

  it('imports the same ops module OpsEndpointsModule.forRoot gives', () => {
    const root = serviceRootModule(ExampleModule, { ...ops, readinessTimeoutMs: 500 });
    expect(JSON.stringify(root.imports![0])).toBe(JSON.stringify(OpsEndpointsModule.forRoot({ ...ops, readinessTimeoutMs: 500 })));
    expect(root.controllers).toEqual([]);
    expect(root.providers).toEqual([]);
  });
});
