#!/usr/bin/python3
"""Reference fixtures for Tim's model parity suite, made with torchvision (Debian's python3-torchvision).

For resnet50, efficientnet_b0 and convnext_tiny: a randomly initialised model whose BatchNorm
statistics, affine parameters and layer scales are made non-trivial, saved as
  <arch>.pth                 torch.save(state_dict), the zip format
  <arch>.safetensors         torchvision names
  <arch>_timm.safetensors    the same tensors under timm's names
  <arch>_io.safetensors      input (NHWC, normalised), logits, a replacement 7-class head
                             (head.weight, head.bias) and the logits with it (logits_head)
and, for convnext_tiny, a tfjs layers model with the weight names and layouts that
tensorflowjs_converter gives keras.applications.ConvNeXtTiny (keras_convnext_tiny/).

With --tiny, small files for the unit tests instead (the models-tiny golden): a tiny_cnn state dict (.pth and
.safetensors, with input and logits), tensors of several dtypes and layouts, a checkpoint
wrapping a state dict, a legacy (non-zip) torch file and a plain pickle, each with the values
written as JSON.

Usage: /usr/bin/python3 scripts/models_make_fixtures.py OUT_DIR [--size 64] [--batch 2] [--tiny]
The safetensors files are written by hand (the format is an 8-byte header length, a JSON
header and raw little-endian data), as the safetensors package is not a Debian package.
"""
import argparse
import json
import os
import re
import struct

import torch
import torchvision

ARCHS = ['resnet50', 'efficientnet_b0', 'convnext_tiny']


def write_safetensors(path, tensors, metadata=None):
    header = {'__metadata__': metadata} if metadata else {}
    blobs = []
    offset = 0
    for name, t in tensors.items():
        data = t.detach().to(torch.float32).contiguous().numpy().tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    raw = json.dumps(header).encode()
    raw += b' ' * ((8 - (8 + len(raw)) % 8) % 8)
    tmp = path + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(struct.pack('<Q', len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def perturb(model, gen):
    """Non-trivial normalisation statistics and scales, so that a misplaced tensor shows."""
    with torch.no_grad():
        for name, m in model.named_modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                c = m.num_features
                m.running_mean.copy_(torch.randn(c, generator=gen) * 0.2)
                m.running_var.copy_(torch.rand(c, generator=gen) + 0.5)
                m.weight.copy_(torch.rand(c, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(c, generator=gen) * 0.2)
                m.num_batches_tracked.fill_(17)
            elif isinstance(m, torch.nn.LayerNorm):
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.2)
            if hasattr(m, 'layer_scale'):
                m.layer_scale.copy_(torch.rand(m.layer_scale.shape, generator=gen) * 0.9 + 0.1)


def timm_name(arch, key):
    """torchvision key -> timm key (written independently of Tim's TypeScript mapping)."""
    if arch == 'resnet50':
        return key
    if arch == 'efficientnet_b0':
        top = {'features.0.0': 'conv_stem', 'features.0.1': 'bn1', 'features.8.0': 'conv_head',
               'features.8.1': 'bn2', 'classifier.1': 'classifier'}
        m = re.match(r'^(features\.\d\.\d|classifier\.1)\.(\w+)$', key)
        if m and m.group(1) in top:
            return f'{top[m.group(1)]}.{m.group(2)}'
        m = re.match(r'^features\.(\d)\.(\d+)\.block\.(\d)\.(\w+)\.(\w+)$', key)
        stage, block, part, sub, param = int(m.group(1)), m.group(2), int(m.group(3)), m.group(4), m.group(5)
        if stage == 1:  # DepthwiseSeparableConv: no expansion
            names = {(0, '0'): 'conv_dw', (0, '1'): 'bn1', (1, 'fc1'): 'se.conv_reduce',
                     (1, 'fc2'): 'se.conv_expand', (2, '0'): 'conv_pw', (2, '1'): 'bn2'}
        else:
            names = {(0, '0'): 'conv_pw', (0, '1'): 'bn1', (1, '0'): 'conv_dw', (1, '1'): 'bn2',
                     (2, 'fc1'): 'se.conv_reduce', (2, 'fc2'): 'se.conv_expand', (3, '0'): 'conv_pwl', (3, '1'): 'bn3'}
        return f'blocks.{stage - 1}.{block}.{names[(part, sub)]}.{param}'
    if arch == 'convnext_tiny':
        m = re.match(r'^features\.0\.([01])\.(\w+)$', key)
        if m:
            return f'stem.{m.group(1)}.{m.group(2)}'
        m = re.match(r'^features\.([246])\.([01])\.(\w+)$', key)
        if m:
            return f'stages.{int(m.group(1)) // 2}.downsample.{m.group(2)}.{m.group(3)}'
        m = re.match(r'^features\.([1357])\.(\d+)\.(.+)$', key)
        if m:
            prefix = f'stages.{int(m.group(1)) // 2}.blocks.{m.group(2)}'
            rest = m.group(3)
            if rest == 'layer_scale':
                return f'{prefix}.gamma'
            part, param = rest.rsplit('.', 1)
            return f"{prefix}.{ {'block.0': 'conv_dw', 'block.2': 'norm', 'block.3': 'mlp.fc1', 'block.5': 'mlp.fc2'}[part] }.{param}"
        m = re.match(r'^classifier\.([02])\.(\w+)$', key)
        return f"head.{'norm' if m.group(1) == '0' else 'fc'}.{m.group(2)}"
    raise ValueError(arch)


def keras_convnext(out_dir, sd):
    """A tfjs layers model as tensorflowjs_converter writes keras.applications.ConvNeXtTiny:
    Keras layer names, HWIO kernels, grouped depthwise kernels [7, 7, 1, C], LayerScale and the
    preprocessing Normalization layer's weights. The topology lists the Keras classes."""
    name = 'convnext_tiny'
    weights = []  # (weight name, array)

    def conv(torch_key, keras_layer):
        weights.append((f'{keras_layer}/kernel', sd[f'{torch_key}.weight'].permute(2, 3, 1, 0)))
        weights.append((f'{keras_layer}/bias', sd[f'{torch_key}.bias']))

    def dense(torch_key, keras_layer):
        weights.append((f'{keras_layer}/kernel', sd[f'{torch_key}.weight'].t()))
        weights.append((f'{keras_layer}/bias', sd[f'{torch_key}.bias']))

    def norm(torch_key, keras_layer):
        weights.append((f'{keras_layer}/gamma', sd[f'{torch_key}.weight']))
        weights.append((f'{keras_layer}/beta', sd[f'{torch_key}.bias']))

    layers = [('InputLayer', 'input_1'), ('Normalization', f'{name}_prestem_normalization')]
    weights.append((f'{name}_prestem_normalization/mean', torch.tensor([[[[0.485 * 255, 0.456 * 255, 0.406 * 255]]]])))
    weights.append((f'{name}_prestem_normalization/variance', torch.tensor([[[[(0.229 * 255) ** 2, (0.224 * 255) ** 2, (0.225 * 255) ** 2]]]])))
    weights.append((f'{name}_prestem_normalization/count', torch.tensor(0.0)))
    conv('features.0.0', f'{name}_stem/{name}_stem_conv')
    norm('features.0.1', f'{name}_stem/{name}_stem_layernorm')
    layers.append(('Sequential', f'{name}_stem'))
    for stage, depth in enumerate([3, 3, 9, 3]):
        if stage > 0:
            block = f'{name}_downsampling_block_{stage - 1}'
            norm(f'features.{2 * stage}.0', f'{block}/{name}_downsampling_layernorm_{stage - 1}')
            conv(f'features.{2 * stage}.1', f'{block}/{name}_downsampling_conv_{stage - 1}')
            layers.append(('Sequential', block))
        for b in range(depth):
            tk = f'features.{2 * stage + 1}.{b}'
            kb = f'{name}_stage_{stage}_block_{b}'
            dw = sd[f'{tk}.block.0.weight']  # [C, 1, 7, 7] -> Keras grouped Conv2D kernel [7, 7, 1, C]
            weights.append((f'{kb}_depthwise_conv/kernel', dw.permute(2, 3, 1, 0)))
            weights.append((f'{kb}_depthwise_conv/bias', sd[f'{tk}.block.0.bias']))
            norm(f'{tk}.block.2', f'{kb}_layernorm')
            dense(f'{tk}.block.3', f'{kb}_pointwise_conv_1')
            dense(f'{tk}.block.5', f'{kb}_pointwise_conv_2')
            weights.append((f'{kb}_layer_scale/Variable', sd[f'{tk}.layer_scale'].reshape(-1)))
            layers += [('Conv2D', f'{kb}_depthwise_conv'), ('LayerNormalization', f'{kb}_layernorm'),
                       ('Dense', f'{kb}_pointwise_conv_1'), ('Activation', f'{kb}_gelu'),
                       ('Dense', f'{kb}_pointwise_conv_2'), ('LayerScale', f'{kb}_layer_scale'),
                       ('StochasticDepth', f'{kb}_stochastic_depth'), ('Add', f'{kb}_add')]
    layers += [('GlobalAveragePooling2D', f'{name}_head_gap'), ('LayerNormalization', f'{name}_head_layernorm'),
               ('Dense', f'{name}_head_dense')]
    norm('classifier.0', f'{name}_head_layernorm')
    dense('classifier.2', f'{name}_head_dense')
    os.makedirs(out_dir, exist_ok=True)
    blob = b''.join(w.detach().to(torch.float32).contiguous().numpy().tobytes() for _, w in weights)
    with open(os.path.join(out_dir, 'group1-shard1of1.bin'), 'wb') as f:
        f.write(blob)
    topology = {
        'class_name': 'Functional',
        'config': {'name': name, 'layers': [{'class_name': c, 'config': {'name': n}, 'name': n} for c, n in layers]},
        'keras_version': '2.11.0',
        'backend': 'tensorflow',
    }
    model_json = {
        'format': 'layers-model',
        'generatedBy': 'keras v2.11.0',
        'convertedBy': 'TensorFlow.js Converter v4.2.0',
        'modelTopology': topology,
        'weightsManifest': [{'paths': ['group1-shard1of1.bin'],
                             'weights': [{'name': n, 'shape': list(w.shape), 'dtype': 'float32'} for n, w in weights]}],
    }
    with open(os.path.join(out_dir, 'model.json'), 'w') as f:
        json.dump(model_json, f)


class ConvBnRelu(torch.nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv = torch.nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn = torch.nn.BatchNorm2d(cout)
        self.act = torch.nn.ReLU()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class TinyCnn(torch.nn.Module):
    """Tim's tiny_cnn in PyTorch, module for module."""

    def __init__(self, num_classes):
        super().__init__()
        self.stem = ConvBnRelu(3, 16, 2)
        self.features = torch.nn.Sequential(ConvBnRelu(16, 24, 1), ConvBnRelu(24, 32, 2), ConvBnRelu(32, 48, 2), ConvBnRelu(48, 64, 1))
        self.classifier = torch.nn.Linear(64, num_classes)

    def forward(self, x):
        return self.classifier(self.features(self.stem(x)).mean((2, 3)))


def tiny(out):
    gen = torch.Generator().manual_seed(7)
    torch.manual_seed(7)
    model = TinyCnn(5).eval()
    perturb(model, gen)
    x = torch.randn(2, 3, 32, 32, generator=gen)
    with torch.no_grad():
        logits = model(x)
    sd = model.state_dict()
    torch.save(sd, os.path.join(out, 'tiny_cnn.pth'))
    write_safetensors(os.path.join(out, 'tiny_cnn.safetensors'), sd)
    write_safetensors(os.path.join(out, 'tiny_cnn_io.safetensors'), {'input': x.permute(0, 2, 3, 1), 'logits': logits})
    # Wrapped the way training scripts save checkpoints, with DataParallel's prefix.
    torch.save({'epoch': 3, 'state_dict': {f'module.{k}': v for k, v in sd.items()}}, os.path.join(out, 'tiny_cnn_checkpoint.pth'))
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4) / 7
    tensors = {
        'f32': base,
        'f16': (base * 3).to(torch.float16),
        'bf16': (base - 1).to(torch.bfloat16),
        'f64': base.to(torch.float64) / 3,
        'i64': torch.tensor([17, -2, 2 ** 40], dtype=torch.int64),
        'transposed': base.t(),
        'sliced': base[1:, 2:],
        'shared_view': base[2],
    }
    torch.save(tensors, os.path.join(out, 'dtypes.pth'))
    with open(os.path.join(out, 'dtypes.json'), 'w') as f:
        json.dump({k: {'shape': list(v.shape), 'values': v.to(torch.float64).reshape(-1).tolist()} for k, v in tensors.items()}, f)
    # Only its format matters (Tim refuses it), so one small tensor is enough.
    torch.save({'stem.conv.weight': sd['stem.conv.weight']}, os.path.join(out, 'legacy.pth'), _use_new_zipfile_serialization=False)
    import pickle
    obj = {'a': [1, 2.5, 'x', None, True, False], 'b': (1, 2, 3), 'big': 2 ** 40, 'neg': -300, 'nested': {'k': [(), (1,)]}}
    with open(os.path.join(out, 'plain.pkl'), 'wb') as f:
        pickle.dump(obj, f, protocol=2)
    with open(os.path.join(out, 'plain.json'), 'w') as f:
        json.dump({'a': [1, 2.5, 'x', None, True, False], 'b': [1, 2, 3], 'big': 2 ** 40, 'neg': -300, 'nested': {'k': [[], [1]]}}, f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('out')
    ap.add_argument('--size', type=int, default=64)
    ap.add_argument('--batch', type=int, default=2)
    ap.add_argument('--tiny', action='store_true')
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    if args.tiny:
        tiny(args.out)
        return
    torch.set_num_threads(2)
    for i, arch in enumerate(ARCHS):
        torch.manual_seed(100 + i)
        gen = torch.Generator().manual_seed(200 + i)
        model = getattr(torchvision.models, arch)(weights=None).eval()
        perturb(model, gen)
        sd = model.state_dict()
        x = torch.randn(args.batch, 3, args.size, args.size, generator=gen)
        with torch.no_grad():
            logits = model(x)
            head = torch.nn.Linear(model.fc.in_features if arch == 'resnet50' else model.classifier[-1].in_features, 7)
            if arch == 'resnet50':
                model.fc = head
            else:
                model.classifier[-1] = head
            logits_head = model(x)
        tmp = os.path.join(args.out, f'{arch}.pth.tmp')
        torch.save(sd, tmp)
        os.replace(tmp, os.path.join(args.out, f'{arch}.pth'))
        write_safetensors(os.path.join(args.out, f'{arch}.safetensors'), sd, {'format': 'pt'})
        timm_sd = {}
        for k, v in sd.items():
            if k.endswith('num_batches_tracked'):
                continue
            tk = timm_name(arch, k)
            timm_sd[tk] = v.reshape(-1) if tk.endswith('.gamma') else v
        write_safetensors(os.path.join(args.out, f'{arch}_timm.safetensors'), timm_sd)
        write_safetensors(os.path.join(args.out, f'{arch}_io.safetensors'), {
            'input': x.permute(0, 2, 3, 1), 'logits': logits,
            'head.weight': head.weight, 'head.bias': head.bias, 'logits_head': logits_head,
        })
        if arch == 'convnext_tiny':
            keras_convnext(os.path.join(args.out, 'keras_convnext_tiny'), sd)
        print(f'{arch}: {sum(p.numel() for p in model.parameters())} parameters (7-class head), logits max {logits.abs().max():.3f}')
    with open(os.path.join(args.out, 'DONE'), 'w') as f:
        f.write(json.dumps({'size': args.size, 'batch': args.batch, 'torchvision': torchvision.__version__}))


if __name__ == '__main__':
    main()
