import * as tf from '@tensorflow/tfjs';

// The package is required inside the tests, not imported at the top: the first test looks at
// tfjs before and after loading it.
type Package = typeof import('../src');
// The module object itself, which a patch would change (an import namespace is a copy).
const os = require('os') as object;

const TIM_OPS = ['TimBatchNormTraining', 'TimLayerNorm', 'TimGelu', 'TimSilu', 'TimSigmoid', 'TimAdam', 'TimAdamInPlace'];

/** The engine's back-propagation method (lean back-propagation replaces it). */
function engineGradients(): unknown {
  return Reflect.get(tf.engine(), 'gradients');
}

/** Everything tfjs would run for `backend`: each kernel's name and function. */
function kernelsOf(backend: string): Map<string, tf.KernelFunc> {
  return new Map(tf.getKernelsForBackend(backend).map((k) => [k.kernelName, k.kernelFunc]));
}

describe('@tim/tfjs-training', () => {
  it('installs nothing when imported: no kernel, gradient, back-propagation or global patch', () => {
    require('@tensorflow/tfjs-backend-wasm');
    const before = { cpu: kernelsOf('cpu'), wasm: kernelsOf('wasm'), engineGradients: engineGradients() };
    const globals = { cpus: Reflect.get(os, 'cpus'), createObjectURL: Reflect.get(URL, 'createObjectURL') };
    const pkg = require('../src') as Package;
    require('../ops');
    expect(kernelsOf('cpu')).toEqual(before.cpu);
    expect(kernelsOf('wasm')).toEqual(before.wasm);
    for (const name of TIM_OPS) expect(tf.getGradient(name)).toBeUndefined();
    expect(engineGradients()).toBe(before.engineGradients);
    expect(pkg.leanBackpropInstalled()).toBe(false);
    expect(pkg.registeredKernels('cpu')).toEqual([]);
    expect(pkg.registeredKernels('wasm')).toEqual([]);
    expect(Reflect.get(os, 'cpus')).toBe(globals.cpus);
    expect(Reflect.get(URL, 'createObjectURL')).toBe(globals.createObjectURL);
  });

  it('enableTraining installs that backend’s kernels, their gradients and lean back-propagation, and says which', async () => {
    const { enableTraining, registeredKernels, leanBackpropInstalled } = require('../src') as Package;
    const cpu = enableTraining('cpu');
    expect(cpu.backend).toBe('cpu');
    expect(cpu.kernels).toEqual(registeredKernels('cpu').sort());
    expect(cpu.kernels).toEqual(expect.arrayContaining(['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter', 'TimBatchNormTraining', 'TimLayerNorm', 'TimAdam']));
    for (const name of cpu.kernels) expect(tf.getKernel(name, 'cpu')).toBeDefined();
    expect(tf.getGradient('TimBatchNormTraining')).toBeDefined();
    expect(leanBackpropInstalled()).toBe(true);
    // Nothing for the backends it was not asked about.
    expect(registeredKernels('wasm')).toEqual([]);
    // Again: the same, nothing added.
    expect(enableTraining('cpu').kernels).toEqual(cpu.kernels);

    const wasm = enableTraining('wasm', { threads: 1 });
    expect(wasm.kernels).toEqual(expect.arrayContaining(['Conv2DBackpropInput', 'Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropInput', 'MaxPoolGrad', 'TimGelu', 'TimSilu', 'TimBatchNormTraining']));
    expect(enableTraining('tensorflow').kernels).toEqual([]);

    // The kernels it installed train: a gradient on cpu, no tensor left behind.
    await tf.setBackend('cpu');
    const before = tf.memory().numTensors;
    const g = tf.tidy(() => tf.grad((w: tf.Tensor) => tf.sum(tf.conv2d(tf.ones<tf.Rank.R4>([1, 4, 4, 2]), w as tf.Tensor4D, 1, 'same')))(tf.ones([3, 3, 2, 2])));
    expect(g.shape).toEqual([3, 3, 2, 2]);
    g.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
