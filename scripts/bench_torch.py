"""The PyTorch side of `tim bench compare`: the same step as Tim's benchmark, in torchvision.

Prints one JSON line {"backend": "torch", "ms_per_image", "peak_rss_mb"}. Run with Debian's
/usr/bin/python3 (torch 1.13); two threads, as on the machines Tim is measured on. With
`--device cuda` it runs on the GPU, with TF32 matrix products and convolutions off or on
(`--tf32`), and reports the GPU's peak allocated memory too. `probe` prints what this torch has.
"""
import argparse
import json
import resource
import time

import torch
import torchvision


def build(arch, num_classes):
    factories = {
        "resnet50": torchvision.models.resnet50,
        "efficientnet_b0": torchvision.models.efficientnet_b0,
        "convnext_tiny": torchvision.models.convnext_tiny,
    }
    if arch not in factories:
        raise SystemExit(f"bench_torch.py: unknown arch {arch!r}; expected one of {sorted(factories)}")
    return factories[arch](weights=None, num_classes=num_classes)


def probe():
    cuda = torch.cuda.is_available()
    print(json.dumps({
        "torch": torch.__version__,
        "cuda": cuda,
        "cuda_version": torch.version.cuda,
        "device": torch.cuda.get_device_name(0) if cuda else None,
    }))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["train", "infer", "probe"])
    p.add_argument("--arch")
    p.add_argument("--image-size", type=int)
    p.add_argument("--batch", type=int)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--tf32", choices=["off", "on"], default="off")
    a = p.parse_args()
    if a.mode == "probe":
        probe()
        return
    if a.arch is None or a.image_size is None or a.batch is None:
        p.error(f"{a.mode} needs --arch, --image-size and --batch")
    if a.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit(f"bench_torch.py: --device cuda, but torch {torch.__version__} here has no CUDA device")
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    tf32 = a.tf32 == "on"
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    device = torch.device(a.device)
    num_classes = 31
    model = build(a.arch, num_classes).to(device)
    x = torch.randn(a.batch, 3, a.image_size, a.image_size, device=device)
    y = torch.randint(0, num_classes, (a.batch,), device=device)
    if a.mode == "train":
        model.train()
        opt = torch.optim.Adam(model.parameters(), lr=1e-4)
        loss_fn = torch.nn.CrossEntropyLoss()

        def step():
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            loss.item()
    else:
        model.eval()

        def step():
            with torch.no_grad():
                model(x).sum().item()

    for _ in range(a.warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        step()
    ms = (time.perf_counter() - t0) * 1000
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {"backend": "torch" if a.device == "cpu" else f"torch-cuda-tf32-{a.tf32}", "ms_per_image": round(ms / (a.steps * a.batch), 3), "peak_rss_mb": round(peak)}
    if a.device == "cuda":
        result["peak_gpu_mb"] = round(torch.cuda.max_memory_allocated() / 2**20)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
