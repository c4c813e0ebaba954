import type { ResizeMode } from '../../config/schema';

export interface AccuracyFigure {
  accuracy: number;
  /** The bootstrap 95% interval, where metrics.json has one. */
  lo?: number;
  hi?: number;
  n: number;
}

/**
 * `metadata.json` of an exported page. The top-level keys are Teachable Machine's image model
 * metadata (which ml5's imageClassifier reads for labels and size); Tim's own facts go under
 * `tim`.
 */
export interface WebMetadata {
  tfjsVersion: string;
  tmVersion: string;
  packageVersion: string;
  packageName: string;
  timeStamp: string;
  userMetadata: Record<string, unknown>;
  modelName: string;
  labels: string[];
  imageSize: number;
  tim: {
    arch: string;
    run: string;
    camTargetLayer: string;
    preprocessing: { resize: ResizeMode; mean: number[]; std: number[] };
    quantization: 'none' | 'float16' | 'uint8';
    /** Held-out accuracy of the run's float model (metrics.json), and of these weights. */
    heldOut?: { float?: AccuracyFigure; exported?: AccuracyFigure };
    /** The run's calibration: the page shows softmax(logits / temperature), and "not confidently" below the threshold. */
    calibration?: { temperature: number; unknownThreshold: number };
  };
}
