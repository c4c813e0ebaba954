/** ImageNet normalisation (per RGB channel, on pixels scaled to [0, 1]) used by every torchvision and timm checkpoint Tim imports. */
export const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];
