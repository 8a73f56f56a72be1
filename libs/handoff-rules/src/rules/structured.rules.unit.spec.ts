import { sampleArtifacts } from '../samples';
import { art, checkOne, gates, inputOf } from '../testing.helpers';
import { createDefaultRegistry } from './rule-registry';

describe('parses as JSON / YAML', () => {
  it('passes well-formed documents', () => {
    expect(checkOne('valid_json', 'data.json', '{"a": [1, 2]}')).toEqual([]);
    expect(checkOne('parses_as_json', 'data.json', '[]')).toEqual([]);
    expect(checkOne('valid_yaml', 'config.yaml', 'a:\n  - 1\n')).toEqual([]);
    expect(checkOne('parses_as_yaml', 'config.yaml', 'a: b\n')).toEqual([]);
  });

  it('fails with the parser error and its position', () => {
    const [f] = checkOne('valid_json', 'data.json', '{\n  "a": 1,\n}');
    expect(f).toMatchObject({ rule: 'valid_json', missing: ['valid JSON in data.json'] });
    expect(f?.message).toMatch(/^data\.json is not valid JSON at line 3, column 1: .+: fix the syntax$/);
    const [g] = checkOne('valid_yaml', 'config.yaml', 'a: b\n c: d\n');
    expect(g?.message).toMatch(/^config\.yaml is not valid YAML at line \d+, column \d+: .+: fix the syntax$/);
  });

  it('as a gate, checks every JSON artifact, and fails when there is none', () => {
    expect(gates(['valid_json'], inputOf([art('a.json', '{}'), art('b.md', '{')]))).toEqual([]);
    const [f] = gates(['valid_json'], inputOf([art('b.md', 'x')]));
    expect(f?.message).toContain('no JSON artifact was handed over');
  });
});

const DOC = (paths: string): string => `openapi: 3.0.3
info:
  title: T
  version: 1.0.0
paths:
${paths}`;

describe('OpenAPI 3', () => {
  it('passes the sample API spec (YAML) and the same document as JSON', () => {
    expect(checkOne('openapi_3.0_valid', 'api_spec.yaml', sampleArtifacts['api_spec.yaml'])).toEqual([]);
    const asJson = JSON.stringify({ openapi: '3.1.0', info: { title: 'T', version: '1' }, paths: {} });
    expect(checkOne('openapi_valid', 'api.json', asJson)).toEqual([]);
    expect(checkOne('openapi_3_valid', 'api.json', asJson)).toEqual([]);
  });

  it("reports the validator's errors with their paths", () => {
    const bad = DOC(`  /users:
    get:
      summary: List users
      parameters:
        - name: id
          in: query
          schema: { type: string }
          bogus: 1
`);
    const [f] = checkOne('openapi_3.0_valid', 'api_spec.yaml', bad);
    expect(f?.rule).toBe('openapi_3.0_valid');
    expect(f?.message).toMatch(/^api_spec\.yaml is not a valid OpenAPI 3\.0 document/);
    expect(f?.missing).toContain("/paths/~1users/get must have required property 'responses'");
    expect(f?.missing.length).toBeLessThanOrEqual(11);
  });

  it('reports $refs that do not resolve', () => {
    const bad = DOC(`  /users:
    get:
      summary: List users
      responses:
        '200':
          $ref: '#/components/responses/Nope'
`);
    const [f] = checkOne('openapi_valid', 'api_spec.yaml', bad);
    expect(f?.missing).toEqual(['/paths/~1users/get/responses/200 $ref "#/components/responses/Nope" does not resolve: define the target or fix the pointer']);
  });

  it('checks the declared version against the rule', () => {
    const v31 = 'openapi: 3.1.0\ninfo: { title: T, version: "1" }\npaths: {}\n';
    const [f] = checkOne('openapi_3.0_valid', 'api_spec.yaml', v31);
    expect(f?.message).toContain('declares openapi "3.1.0"; this rule requires OpenAPI 3.0.x');
    expect(checkOne('openapi_3.0_valid', 'api_spec.yaml', 'info: { title: T }\n')[0]?.message).toContain('has no "openapi" field');
    expect(checkOne('openapi_3_valid', 'api_spec.yaml', 'swagger: "2.0"\n')[0]?.message).toContain('is Swagger 2.0');
  });

  it('as a gate, applies to every .yaml/.yml/.json artifact with an openapi key, and fails when there is none', () => {
    const good = art('api_spec.yaml', sampleArtifacts['api_spec.yaml']);
    expect(gates(['openapi_valid'], inputOf([good, art('config.yaml', 'a: 1\n')]))).toEqual([]);
    const [f] = gates(['openapi_valid'], inputOf([art('config.yaml', 'a: 1\n')]));
    expect(f).toMatchObject({ artifact: null, missing: ['an OpenAPI document'] });
    expect(f?.message).toContain('no OpenAPI document was handed over');
    const [g] = gates(['openapi_valid'], inputOf([good, art('other.json', '{"openapi": "3.0.3"}')]));
    expect(g?.artifact).toBe('other.json');
  });
});

describe('all_endpoints_documented / error_responses_defined', () => {
  const doc = DOC(`  /users:
    get:
      summary: List users
      responses:
        '200': { description: ok }
        '401': { description: no }
    post:
      responses:
        '201': { description: created }
  /users/{id}:
    delete:
      description: Delete a user
      responses:
        default: { description: error }
    patch:
      summary: Update
      responses: {}
`);

  it('pass on the sample API spec', () => {
    expect(checkOne('all_endpoints_documented', 'api_spec.yaml', sampleArtifacts['api_spec.yaml'])).toEqual([]);
    expect(checkOne('error_responses_defined', 'api_spec.yaml', sampleArtifacts['api_spec.yaml'])).toEqual([]);
  });

  it('all_endpoints_documented lists operations without a summary/description or responses', () => {
    const [f] = checkOne('all_endpoints_documented', 'api_spec.yaml', doc);
    expect(f?.missing).toEqual(['POST /users (no summary or description)', 'PATCH /users/{id} (no responses)']);
    expect(f?.message).toContain('2 of 4 operations in api_spec.yaml are not documented');
  });

  it('error_responses_defined lists operations without a 4xx, 5xx or default response', () => {
    const [f] = checkOne('error_responses_defined', 'api_spec.yaml', doc);
    expect(f?.missing).toEqual(['POST /users', 'PATCH /users/{id}']);
    expect(f?.message).toContain('define no error response: add a 4xx, 5xx or "default" response to each');
  });
});

describe('JSON Schema', () => {
  const schema = { type: 'object', required: ['id', 'estimate'], properties: { id: { type: 'string' }, estimate: { type: 'integer', minimum: 1 }, due: { type: 'string', format: 'date' } } };

  it('validates against an inline schema given as a YAML map', () => {
    expect(checkOne({ schema }, 'ticket.json', '{"id": "T-1", "estimate": 3, "due": "2026-01-31"}')).toEqual([]);
    const [f] = checkOne({ schema }, 'ticket.json', '{"id": 7, "due": "soon"}');
    expect(f?.rule).toBe(`schema: ${JSON.stringify(schema)}`);
    expect(f?.missing).toEqual(["(root) must have required property 'estimate'", '/id must be string', '/due must match format "date"']);
    expect(f?.message).toContain('ticket.json does not match the schema (3 errors)');
  });

  it('validates YAML artifacts and inline JSON written as a string', () => {
    expect(checkOne('schema: {"type": "object", "required": ["name"]}', 'meta.yaml', 'name: x\n')).toEqual([]);
    expect(checkOne('schema: {"type": "object", "required": ["name"]}', 'meta.yaml', 'other: x\n')).toHaveLength(1);
  });

  it('uses a schema registered by name, and fails clearly when the name is unknown', () => {
    const registry = createDefaultRegistry().registerSchema('ticket', schema);
    expect(checkOne('schema: ticket', 'ticket.json', '{"id": "T-1", "estimate": 2}', { registry })).toEqual([]);
    expect(checkOne('schema: ticket', 'ticket.json', '{"id": "T-1", "estimate": 0}', { registry })[0]?.missing).toEqual(['/estimate must be >= 1']);
    const [f] = checkOne('schema: ticket', 'ticket.json', '{}');
    expect(f?.message).toBe("schema \"ticket\" is not registered: register it with registry.registerSchema('ticket', jsonSchema), or write the schema inline");
  });

  it('fails on an artifact that is not JSON or YAML', () => {
    expect(checkOne({ schema }, 'notes.md', '# hi')[0]?.message).toContain('notes.md is not JSON or YAML');
  });
});
