#!/usr/bin/python3
"""PyTorch's BatchNorm running statistics after one training step of ResNet-50 and EfficientNet-B0
(torchvision, Debian's python3-torchvision), the reference for Tim's heavy BatchNorm test.

For each architecture: a seeded model whose BatchNorm statistics and affine parameters are made
non-trivial (as models_make_fixtures.py does), saved as <arch>.safetensors (torchvision names);
then one step in training mode (cross-entropy, backward, Adam) on a seeded batch, and
<arch>_bn_step.safetensors with the input (NHWC), the labels and every BatchNorm layer's
running_mean and running_var after the step. EfficientNet-B0 is built without stochastic depth,
whose random drops the other side could not reproduce.

The same forward pass in float64 gives the exact statistics, as `exact.<layer>.running_mean`
and `exact.<layer>.running_var`: float32 rounding alone moves ResNet-50's layer4 statistics by
about 2e-5 of their scale, in PyTorch as anywhere, so a float32 result is judged by its distance
from these next to PyTorch's own float32 distance from them.

Usage: /usr/bin/python3 scripts/models_torch_bn_step.py OUT_DIR [--size 64] [--batch 9]
"""
import argparse
import copy
import os

import torch
import torchvision

from models_make_fixtures import perturb, write_safetensors

BUILD = {
    'resnet50': lambda: torchvision.models.resnet50(weights=None),
    'efficientnet_b0': lambda: torchvision.models.efficientnet_b0(weights=None, stochastic_depth_prob=0.0),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('out')
    ap.add_argument('--size', type=int, default=64)
    ap.add_argument('--batch', type=int, default=9)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(2)
    for i, (arch, build) in enumerate(BUILD.items()):
        torch.manual_seed(300 + i)
        gen = torch.Generator().manual_seed(400 + i)
        model = build()
        perturb(model, gen)
        exact = copy.deepcopy(model).double()
        write_safetensors(os.path.join(args.out, f'{arch}.safetensors'), model.state_dict())
        x = torch.randn(args.batch, 3, args.size, args.size, generator=gen)
        y = torch.randint(0, 1000, (args.batch,), generator=gen)
        model.train()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
        # The running statistics change in the forward pass only.
        exact.train()
        with torch.no_grad():
            exact(x.double())
        out = {'input': x.permute(0, 2, 3, 1), 'labels': y.to(torch.float32)}
        for prefix, net in (('', model), ('exact.', exact)):
            for name, m in net.named_modules():
                if isinstance(m, torch.nn.BatchNorm2d):
                    out[f'{prefix}{name}.running_mean'] = m.running_mean
                    out[f'{prefix}{name}.running_var'] = m.running_var
        write_safetensors(os.path.join(args.out, f'{arch}_bn_step.safetensors'), out)
    with open(os.path.join(args.out, 'DONE'), 'w') as f:
        f.write(f'{args.size} {args.batch}\n')


if __name__ == '__main__':
    main()
