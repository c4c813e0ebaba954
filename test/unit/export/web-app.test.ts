import { webAppScript } from '../../../src/export/web';

describe('the exported page’s script', () => {
  it('bundles for the browser with no Node module stubbed, the layers’ fused ops in it', () => {
    // esbuild fails on any Node built-in the page reaches (platform browser, nothing aliased).
    const js = webAppScript();
    expect(js).toContain('TimBatchNormTraining');
    expect(js).toContain('TimLayerNorm');
  });
});
