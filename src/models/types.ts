import type * as tf from '@tensorflow/tfjs';

/** Learning-rate groups, as in the reference (early 1e-6, middle 1e-5, head 1e-3). */
export const GROUP_NAMES = ['early', 'middle', 'head'] as const;
export type GroupName = (typeof GROUP_NAMES)[number];
/** `stem` is what the reference left out of every group (the ResNet stem); config decides. */
export type LayerGroup = GroupName | 'stem';

/** What a pretrained checkpoint expects, timm-style: drives weight loading and preprocessing. */
export interface PretrainedConfig {
  inputSize: number;
  mean: [number, number, number];
  std: [number, number, number];
  /** torchvision name of the first convolution and of the classifier (for head swaps). */
  firstConv: string;
  classifier: string;
  numClasses: number;
}

export interface BuildOptions {
  numClasses: number;
  /**
   * Square input size the input layer declares. Omitted: any height and width (the models are
   * fully convolutional up to global pooling, so one set of weights runs at every size).
   */
  inputSize?: number;
  /** Seed for the initialisers, so that two builds with the same seed are identical. */
  seed?: number;
  /**
   * false: start every weight at zero instead of drawing random values, for a model whose
   * weights are loaded next (much faster to build). Default true.
   */
  initialize?: boolean;
}

/**
 * Static facts about one architecture. Everything is keyed by layer name, so the same spec
 * serves a freshly built model and one loaded back from a run folder.
 */
export interface ArchSpec {
  name: string;
  /** Builds the model: NHWC float input normalised by the config's mean/std, logits out. */
  build(opts: BuildOptions): tf.LayersModel;
  /** The learning-rate group of a layer. */
  groupOfLayer(layerName: string): LayerGroup;
  /** Name of the layer whose output Grad-CAM uses by default. */
  camTargetLayer: string;
  /** Names of the layers replaceHead swaps for freshly initialised ones. */
  headLayerNames: readonly string[];
  pretrained: PretrainedConfig;
  /**
   * Renames a timm state-dict key to the torchvision key this model's layers are named after;
   * undefined for a key that has no counterpart. Absent when timm names equal torchvision's.
   */
  timmToTorchvision?: (key: string) => string | undefined;
  /**
   * Renames a weight of the matching Keras application (converted with tensorflowjs_converter,
   * e.g. `convnext_tiny_stage_0_block_0_depthwise_conv/kernel`) to a torchvision key in Tim's
   * layouts; null for weights Tim has no use for (Keras's preprocessing layers), undefined for
   * names it does not know.
   */
  kerasToTorchvision?: (weightName: string) => string | null | undefined;
  /** How this architecture's own weight files are told apart from others', by their names. */
  weights: WeightFamily;
  /**
   * Weight files of a same-named model built another way (a Keras application), recognised so
   * the message can say why they cannot carry over.
   */
  foreignWeights?: readonly WeightFamily[];
}

/** A kind of weight file, recognised by its tensor names. */
export interface WeightFamily {
  /** How a message names it: "it looks like <looksLike>". */
  looksLike: string;
  /** Whether these names (one per line) are this family's. */
  recognisesWeights(names: string): boolean;
}

/** A built or loaded model together with its architecture's facts. */
export interface TimModel {
  spec: ArchSpec;
  model: tf.LayersModel;
  numClasses: number;
}
