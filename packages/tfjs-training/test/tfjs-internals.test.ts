import * as tf from '@tensorflow/tfjs';
import { adamState, batchNormState, stockActivationClass, stockLayerClass } from '../src/tfjs-internals';

describe('the tfjs internals Tim relies on', () => {
  it("AdamOptimizer's hidden state is the optimizer's own, and anything else is refused by name", () => {
    const before = tf.memory().numTensors;
    const adam = tf.train.adam(0.25, 0.9, 0.999);
    const state = adamState(adam);
    expect(state.learningRate).toBe(0.25);
    expect(state.accBeta1.dataSync()[0]).toBeCloseTo(0.9, 6);
    state.learningRate = 0.5;
    expect(adam.getConfig().learningRate).toBe(0.5);
    adam.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const sgd: object = tf.train.sgd(0.1);
    expect(() => adamState(sgd as tf.AdamOptimizer)).toThrow(/has an AdamOptimizer Tim does not know \(learningRate, accBeta1/);
  });

  it("BatchNormalization's fields once built; another layer is refused by name", () => {
    const before = tf.memory().numTensors;
    const bn = tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 });
    const x = tf.ones([2, 3]);
    const y = bn.apply(x);
    const state = batchNormState(bn);
    expect([state.axis, state.momentum, state.epsilon]).toEqual([-1, 0.9, 1e-5]);
    expect(state.movingVariance.read().shape).toEqual([3]);
    tf.dispose([x, y as tf.Tensor]);
    bn.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const dense = tf.layers.dense({ units: 1, name: 'plain_dense' });
    expect(() => batchNormState(dense)).toThrow(/^plain_dense: .* has a BatchNormalization layer Tim does not know/);
  });

  it('stock classes by registered name, checked to be what is asked for', () => {
    expect(new (stockLayerClass('Dense'))({ units: 2 }).getClassName()).toBe('Dense');
    expect(stockActivationClass('relu').className).toBe('relu');
    expect(() => stockLayerClass('NoSuchLayer')).toThrow(/has no 'NoSuchLayer' class registered/);
    expect(() => stockActivationClass('Dense')).toThrow(/'Dense' is not an activation class/);
    expect(() => stockLayerClass('relu')).toThrow(/'relu' is not a layer class/);
  });
});
