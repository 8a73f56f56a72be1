import { InvalidArgumentError } from '@commander-js/extra-typings';
import { collectParam, looksLikeWorkflowFile, oneOf, parseKeyValue, parseParamValue, parsePositiveInt, parsePriority } from './args';

describe('CLI argument parsing', () => {
  it.each<[string, unknown]>([
    // JSON
    ['3', 3], ['-2.5', -2.5], ['true', true], ['null', null], ['[1,"a"]', [1, 'a']], ['{"a":{"b":1}}', { a: { b: 1 } }], ['"007"', '007'],
    // text
    ['prod', 'prod'], ['007', '007'], ['{not json', '{not json'], ['', ''],
  ])('reads --param value %p as JSON when it looks like JSON, as text otherwise: %p', (text, value) => {
    expect(parseParamValue(text)).toEqual(value);
  });

  it('splits key=value at the first "=" and collects repeated params, last one winning', () => {
    expect(parseKeyValue('query=a=b')).toEqual(['query', 'a=b']);
    expect(parseKeyValue('n=')).toEqual(['n', '']);
    let params = collectParam('env=prod');
    params = collectParam('replicas=3', params);
    params = collectParam('env=staging', params);
    expect(params).toEqual({ env: 'staging', replicas: 3 });
  });

  it('rejects a param without a key or without "="', () => {
    expect(() => parseKeyValue('novalue')).toThrow(InvalidArgumentError);
    expect(() => parseKeyValue('=3')).toThrow('expected key=value, got "=3"');
    expect(() => parseKeyValue(' =3')).toThrow(InvalidArgumentError);
  });

  it('accepts priorities P0-P2 in any case and nothing else', () => {
    expect(parsePriority('p0')).toBe('P0');
    expect(parsePriority('P2')).toBe('P2');
    expect(() => parsePriority('P3')).toThrow('expected one of P0, P1, P2');
    expect(() => parsePriority('high')).toThrow(InvalidArgumentError);
  });

  it('accepts whole numbers of at least 1', () => {
    expect(parsePositiveInt('25')).toBe(25);
    for (const bad of ['0', '-1', '1.5', 'ten', '']) expect(() => parsePositiveInt(bad)).toThrow(InvalidArgumentError);
  });

  it('accepts exactly one of the listed values', () => {
    const state = oneOf(['running', 'paused'] as const);
    expect(state('paused')).toBe('paused');
    expect(() => state('Paused')).toThrow('expected one of running, paused');
  });

  it('tells a workflow file from a workflow id', () => {
    const none = (): boolean => false;
    expect(looksLikeWorkflowFile('examples/workflows/bug-fix.yml', none)).toBe(true);
    expect(looksLikeWorkflowFile('feature.YAML', none)).toBe(true);
    expect(looksLikeWorkflowFile('./wf', none)).toBe(true);
    expect(looksLikeWorkflowFile('WF-FEAT-001', none)).toBe(false);
    expect(looksLikeWorkflowFile('my-flow', (p) => p === 'my-flow')).toBe(true);
  });
});
