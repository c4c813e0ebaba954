"""The PyTorch side of `tim bench epoch`: the reference recipe's epoch on the same images.

A folder data set read with Pillow, letterboxed by ImageOps.pad (or stretched), torchvision's
RandomHorizontalFlip, RandomRotation, ColorJitter and Normalize for training, a DataLoader,
the torchvision backbone with a new head, Adam over the reference's three learning-rate groups,
then the validation pass in eval mode. Trains a cold epoch and then --warm-epochs more, and
prints one JSON line in the shape of Tim's side: the first epoch as cold, the median of the
others as warm (all of them under warm_epochs). The DataLoader's workers persist across epochs:
workers forked again for every epoch from the grown training process make each of its writes to
memory a copy-on-write fault, which slowed PyTorch's later epochs by half here. Run with Debian's
/usr/bin/python3.

Usage: bench_epoch_torch.py SPEC.json [--threads 2] [--workers N] [--warm-epochs 3]
"""
import argparse
import gc
import json
import resource
import time

import torch
import torchvision
from PIL import Image, ImageOps
from torchvision import transforms

# One worker per core of the 2-core machines: decoding overlaps the training step. `--workers N`
# tries others (`tim bench epoch --workers N`).
DEFAULT_WORKERS = 2


class SplitDataset(torch.utils.data.Dataset):
    """The images of one side of Tim's split.json, read with Pillow as an image folder would be."""

    def __init__(self, root, items, transform):
        self.root = root
        self.items = items
        self.transform = transform

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        item = self.items[i]
        with open(f"{self.root}/{item['path']}", "rb") as f:
            img = Image.open(f).convert("RGB")
        return self.transform(img), item["label"]


def resize_op(spec):
    size = (spec["image_size"], spec["image_size"])
    if spec["resize"] == "letterbox":
        return transforms.Lambda(lambda img: ImageOps.pad(img, size, color=(0, 0, 0)))
    return transforms.Resize(size)


def transforms_of(spec):
    norm = [transforms.ToTensor(), transforms.Normalize(spec["mean"], spec["std"])]
    b, c, s = spec["color_jitter"]
    train = transforms.Compose(
        [
            resize_op(spec),
            transforms.RandomHorizontalFlip(spec["hflip"]),
            transforms.RandomRotation(spec["rotate_degrees"]),
            transforms.ColorJitter(brightness=b, contrast=c, saturation=s),
            *norm,
        ]
    )
    return train, transforms.Compose([resize_op(spec), *norm])


def model_and_groups(arch, num_classes, lr):
    """The backbone and the reference's three Adam groups (the ResNet stem is in none of them)."""
    if arch == "resnet50":
        m = torchvision.models.resnet50(weights=None, num_classes=num_classes)
        early = [m.layer1, m.layer2]
        middle = [m.layer3, m.layer4]
        head = [m.fc]
    elif arch in ("efficientnet_b0", "convnext_tiny"):
        m = getattr(torchvision.models, arch)(weights=None, num_classes=num_classes)
        early = [m.features[:4]]
        middle = [m.features[4:]]
        head = [m.classifier]
    else:
        raise SystemExit(f"bench_epoch_torch.py: unknown arch {arch!r}; expected resnet50, efficientnet_b0 or convnext_tiny")

    def params(mods):
        return [p for mod in mods for p in mod.parameters()]

    groups = [
        {"params": params(early), "lr": lr["early"]},
        {"params": params(middle), "lr": lr["middle"]},
        {"params": params(head), "lr": lr["head"]},
    ]
    return m, [g for g in groups if g["lr"] > 0]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("spec")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    p.add_argument("--warm-epochs", type=int, default=3)
    a = p.parse_args()
    with open(a.spec) as f:
        spec = json.load(f)
    with open(spec["split"]) as f:
        split = json.load(f)
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    train_tf, val_tf = transforms_of(spec)
    train_ds = SplitDataset(split["root"], split["train"], train_tf)
    val_ds = SplitDataset(split["root"], split["val"], val_tf)
    loader = dict(batch_size=spec["batch_size"], num_workers=a.workers, persistent_workers=a.workers > 0)
    train_dl = torch.utils.data.DataLoader(train_ds, shuffle=True, **loader)
    val_dl = torch.utils.data.DataLoader(val_ds, shuffle=False, **loader)
    model, groups = model_and_groups(spec["arch"], len(split["classes"]), spec["lr_groups"])
    opt = torch.optim.Adam(groups, eps=spec["adam_epsilon"])
    loss_fn = torch.nn.CrossEntropyLoss()
    images = len(train_ds) + len(val_ds)
    epochs = []
    for _ in range(1 + max(1, a.warm_epochs)):
        t0 = time.perf_counter()
        model.train()
        for x, y in train_dl:
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            loss.item()
        t1 = time.perf_counter()
        model.eval()
        correct = 0
        with torch.no_grad():
            for x, y in val_dl:
                correct += int((model(x).argmax(1) == y).sum())
        t2 = time.perf_counter()
        epochs.append(
            {
                "seconds": round(t2 - t0, 3),
                "train_seconds": round(t1 - t0, 3),
                "val_seconds": round(t2 - t1, 3),
                "images_per_sec": float(f"{images / (t2 - t0):.4g}"),
            }
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # Persistent workers are joined when their loaders go; only then does RUSAGE_CHILDREN count them.
    del train_dl, val_dl
    gc.collect()
    workers_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "side": "torch",
                "backend": f"torch {torch.__version__} ({a.threads} threads)",
                "config": spec["arch"],
                "train_images": len(train_ds),
                "val_images": len(val_ds),
                "batch_size": spec["batch_size"],
                "micro_batch": spec["batch_size"],
                "cold": epochs[0],
                "warm": sorted(epochs[1:], key=lambda e: e["seconds"])[(len(epochs) - 2) // 2],
                "warm_epochs": [e["seconds"] for e in epochs[1:]],
                "peak_rss_mb": round(peak),
                "workers": a.workers,
                "workers_peak_rss_mb": round(workers_peak),
            }
        )
    )


if __name__ == "__main__":
    main()
