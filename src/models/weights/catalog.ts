/** Where a known ImageNet checkpoint comes from. */
export const WEIGHT_SOURCES = ['torchvision', 'timm'] as const;
export type WeightSource = (typeof WEIGHT_SOURCES)[number];

export interface KnownWeights {
  arch: string;
  source: WeightSource;
  /** Base URL; `TIM_WEIGHTS_MIRROR` replaces it and keeps `name`. */
  base: string;
  /** Path after the base: the file name for torchvision, the hub repository's file for timm. */
  name: string;
  /** File name in the cache folder. */
  cacheName: string;
  /**
   * Full SHA-256 where it is published beside the file; timm's hub files are checked against the
   * hash the hub states for them (its `X-Linked-Etag`).
   */
  sha256?: string;
  /** The default file for its arch and source (false for alternatives fetched by URL). */
  isDefault: boolean;
}

const TORCHVISION = 'https://download.pytorch.org/models/';
const HUB = 'https://huggingface.co/';

function torchvision(arch: string, file: string, sha256: string, isDefault = true): KnownWeights {
  return { arch, source: 'torchvision', base: TORCHVISION, name: file, cacheName: file, sha256, isDefault };
}

function timm(arch: string, repo: string): KnownWeights {
  return { arch, source: 'timm', base: HUB, name: `${repo}/resolve/main/model.safetensors`, cacheName: `${repo.replace(/^timm\//, '')}.safetensors`, isDefault: true };
}

/**
 * torchvision's IMAGENET1K_V1 weights (those the reference project loaded), the V2 ResNet-50,
 * and timm's default ImageNet-1k tags on the Hugging Face hub. torchvision 0.14 still names the
 * EfficientNet-B0 file `efficientnet_b0_rwightman-3dd342df.pth`, a prefix that belongs to timm's
 * original file and not to this one; later torchvision renamed it after its real hash.
 */
export const KNOWN_WEIGHTS: readonly KnownWeights[] = [
  torchvision('resnet50', 'resnet50-0676ba61.pth', '0676ba61b6795bbe1773cffd859882e5e297624d384b6993f7c9e683e722fb8a'),
  torchvision('resnet50', 'resnet50-11ad3fa6.pth', '11ad3fa62ca79e40addfd354a8ec4b7c75143b3038b8d2a807fbc68deab379ca', false),
  torchvision('efficientnet_b0', 'efficientnet_b0_rwightman-7f5810bc.pth', '7f5810bc96def8f7552d5b7e68d53c4786f81167d28291b21c0d90e1fca14934'),
  torchvision('efficientnet_b0', 'efficientnet_b0_rwightman-3dd342df.pth', '7f5810bc96def8f7552d5b7e68d53c4786f81167d28291b21c0d90e1fca14934', false),
  torchvision('convnext_tiny', 'convnext_tiny-983f1562.pth', '983f1562536e84ff750a1576fb08e54de751dbf2e17c0d8a4a13704341fdcd3d'),
  timm('resnet50', 'timm/resnet50.a1_in1k'),
  timm('efficientnet_b0', 'timm/efficientnet_b0.ra_in1k'),
  timm('convnext_tiny', 'timm/convnext_tiny.fb_in1k'),
];

export function defaultWeights(arch: string, source: WeightSource): KnownWeights | undefined {
  return KNOWN_WEIGHTS.find((w) => w.arch === arch && w.source === source && w.isDefault);
}

/** The catalogue entry whose file an arbitrary URL names, so that its full hash is used. */
export function knownByUrl(url: string): KnownWeights | undefined {
  return KNOWN_WEIGHTS.find((w) => url.endsWith(`/${w.name}`));
}
