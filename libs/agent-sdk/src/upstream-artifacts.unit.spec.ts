import { upstreamArtifacts } from './upstream-artifacts';

const HASH = `sha256:${'a'.repeat(64)}`;

describe('upstreamArtifacts', () => {
  it('reads the artifacts from inputs.upstream, by stage, and ignores what is not an artifact reference', () => {
    const inputs = {
      upstream: {
        design: { artifacts: { 'api_spec.yaml': { hash: HASH, size: 12, mediaType: 'application/yaml' }, broken: { hash: 'nope' }, text: 'text', sizeOnly: { size: 1 } }, verdict: 'ok' },
        prd: { summary: 'no artifacts here' },
      },
    };
    expect(upstreamArtifacts(inputs)).toEqual([{ stageId: 'design', name: 'api_spec.yaml', hash: HASH, size: 12, mediaType: 'application/yaml' }]);
  });

  it('finds nothing when inputs.upstream is missing or not an object', () => {
    expect(upstreamArtifacts({})).toEqual([]);
    expect(upstreamArtifacts({ upstream: 'nothing' })).toEqual([]);
  });
});
