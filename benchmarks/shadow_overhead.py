"""Overhead of the shadow pass: instrumented vs plain forward+backward, and time to verdict.

    python benchmarks/shadow_overhead.py                 # auto: CUDA if available
    python benchmarks/shadow_overhead.py --device cpu    # small shapes, ~1 minute
    # quick CPU check of the recorder's cost (< 1 minute): launch-bound shapes, 1 thread
    python benchmarks/shadow_overhead.py --device cpu --threads 1 --resnet-size 32 \
        --gpt-layers 4 --gpt-seq 16 --iters 5 --skip verdict

Models are built here (no torchvision): a bottleneck ResNet-50 (torchvision layout,
25.6 M parameters) and a GPT-2-small-sized decoder (12 layers, d=768, 12 heads, vocab
50257, 124 M parameters). On CUDA the defaults are the issue's sizes (ResNet-50 at batch
32, 224x224; GPT-2 at batch 8 x 1024 tokens); on CPU they shrink (flags override).

"Instrumented" is what the worker does to a user's script: the TorchFunctionMode
recorder, the line tracer over this file (the models are defined here, as they would be
in a user's script), the wrapped backward with its parameter bookkeeping. A fresh
Recorder is installed for every iteration. The goal in issue 5 is <= 1.5x.

Time to verdict: a warm worker (started once) runs a fixture through ``confirm`` (static
analysis + shadow run + comparison), median of several runs; goal <= 2 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from gradls.shadow.instrument import Recorder  # noqa: E402

# --- models ----------------------------------------------------------------------------


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        width = planes
        self.conv1 = nn.Conv2d(inplanes, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or inplanes != planes * 4:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes * 4, 1, stride, bias=False),
                                            nn.BatchNorm2d(planes * 4))

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        return self.relu(out + identity)


class ResNet50(nn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        layers, inplanes = [], 64
        for planes, blocks, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
            stage = []
            for i in range(blocks):
                stage.append(Bottleneck(inplanes, planes, stride if i == 0 else 1))
                inplanes = planes * 4
            layers.append(nn.Sequential(*stage))
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(2048, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.fc = nn.Linear(d, 4 * d)
        self.out = nn.Linear(4 * d, d)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        q, k, v = (z.view(b, t, self.heads, d // self.heads).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(y.transpose(1, 2).reshape(b, t, d))
        return x + self.out(F.gelu(self.fc(self.ln2(x))))


class GPT2Small(nn.Module):
    def __init__(self, vocab=50257, ctx=1024, d=768, layers=12, heads=12):
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(ctx, d)
        self.blocks = nn.ModuleList(Block(d, heads) for _ in range(layers))
        self.ln_f = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)
        self.head.weight = self.wte.weight  # tied, as in GPT-2

    def forward(self, idx):
        pos = torch.arange(idx.shape[1], device=idx.device)
        x = self.wte(idx) + self.wpe(pos)
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln_f(x))


# --- timing ----------------------------------------------------------------------------


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def resnet_step(model, x, y):
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    return loss


def gpt_step(model, idx):
    logits = model(idx[:, :-1])
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), idx[:, 1:].reshape(-1))
    loss.backward()
    return loss


def time_once(fn, device, instrumented):
    rec = None
    if instrumented:
        rec = Recorder(os.path.abspath(__file__), stop_after_backward=False)
        rec.install()
    try:
        sync(device)
        start = time.perf_counter()
        fn()
        sync(device)
        return time.perf_counter() - start
    finally:
        if rec is not None:
            rec.uninstall()


def count_ops(fn) -> int:
    from torch.overrides import TorchFunctionMode

    class Count(TorchFunctionMode):
        n = 0

        def __torch_function__(self, func, types, args=(), kwargs=None):
            Count.n += 1
            return func(*args, **(kwargs or {}))

    with Count():
        fn()
    return Count.n


def bench(name, model, fn, device, warmup, iters):
    for p in model.parameters():
        p.grad = None
    for _ in range(warmup):
        time_once(fn, device, False)
        time_once(fn, device, True)
    plain, inst = [], []
    for i in range(iters):  # interleaved, so drift hits both alike
        model.zero_grad(set_to_none=True)
        plain.append(time_once(fn, device, False))
        model.zero_grad(set_to_none=True)
        inst.append(time_once(fn, device, True))
    p, q = statistics.median(plain), statistics.median(inst)
    pm, qm = min(plain), min(inst)
    ops = count_ops(fn)
    print(f"{name:<34} plain {p * 1000:9.1f} ms   instrumented {q * 1000:9.1f} ms   ratio {q / p:5.2f}x"
          f" (median); min {pm * 1000:.1f} vs {qm * 1000:.1f} ms = {qm / pm:4.2f}x; {ops} torch calls")
    return p, q


def per_op_overhead(device, n=2000, repeats=7):
    """Python cost the recorder adds to one torch call (min over repeats: robust to load)."""
    w = torch.randn(8, device=device, requires_grad=True)

    def chain():
        x = w
        for _ in range(n):
            x = x * 1.0001
        return x

    def best(instrumented):
        times = []
        for _ in range(repeats):
            times.append(time_once(chain, device, instrumented))
        return min(times)

    best(False), best(True)
    plain, inst = best(False), best(True)
    us = (inst - plain) / n * 1e6
    print(f"{'per-op cost (' + str(n) + ' tiny muls)':<34} plain {plain / n * 1e6:6.1f} us/op   "
          f"instrumented {inst / n * 1e6:6.1f} us/op   added {us:+.1f} us per torch call")
    return us


def verdict_time(fixture, runs, device):
    from gradls.shadow.client import ShadowClient, confirm

    start = time.perf_counter()
    client = ShadowClient(memory_mb=None if device == "cuda" else 4096, cuda=device == "cuda")
    client.start()
    startup = time.perf_counter() - start
    times = []
    try:
        confirm(fixture, client=client, device=device)  # first run after start
        report = None
        for _ in range(runs):
            t = time.perf_counter()
            report = confirm(fixture, client=client, device=device)
            times.append(time.perf_counter() - t)
    finally:
        client.close()
    counts = report.counts() if report else {}
    print(f"{'time to verdict (warm worker)':<34} median {statistics.median(times) * 1000:7.0f} ms "
          f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}, {runs} runs); "
          f"worker start {startup:.1f} s; outcome {report.outcome if report else '?'}; {counts}")
    return statistics.median(times), startup


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    ap.add_argument("--resnet-batch", type=int)
    ap.add_argument("--resnet-size", type=int, help="image side (224 on CUDA)")
    ap.add_argument("--gpt-batch", type=int)
    ap.add_argument("--gpt-seq", type=int)
    ap.add_argument("--gpt-layers", type=int, default=12)
    ap.add_argument("--warmup", type=int)
    ap.add_argument("--iters", type=int)
    ap.add_argument("--fixture", default=os.path.join(ROOT, "tests", "shadow_cases", "detach_real.py"))
    ap.add_argument("--verdict-runs", type=int, default=5)
    ap.add_argument("--skip", action="append", default=[], choices=("resnet", "gpt", "probe", "verdict"))
    ap.add_argument("--threads", type=int,
                    help="torch CPU threads (1 gives steadier ratios on a shared machine)")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    use_cuda = args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
    device = torch.device("cuda" if use_cuda else "cpu")
    big = device.type == "cuda"
    rb = args.resnet_batch or (32 if big else 2)
    rs = args.resnet_size or (224 if big else 64)
    gb = args.gpt_batch or (8 if big else 1)
    gs = args.gpt_seq or (1024 if big else 32)
    warmup = args.warmup if args.warmup is not None else (5 if big else 1)
    iters = args.iters or (20 if big else 3)
    name = torch.cuda.get_device_name(0) if big else f"CPU ({os.cpu_count()} cores, {torch.get_num_threads()} threads)"
    print(f"device: {name}; torch {torch.__version__}; python {sys.version.split()[0]}")
    print(f"median of {iters} interleaved iterations after {warmup} warm-up; fp32")
    torch.manual_seed(0)
    if "resnet" not in args.skip:
        model = ResNet50().to(device)
        x = torch.randn(rb, 3, rs, rs, device=device)
        y = torch.randint(0, 1000, (rb,), device=device)
        bench(f"ResNet-50 batch {rb} {rs}x{rs}", model, lambda: resnet_step(model, x, y), device, warmup, iters)
        del model, x, y
    if "gpt" not in args.skip:
        model = GPT2Small(layers=args.gpt_layers).to(device)
        idx = torch.randint(0, 50257, (gb, gs + 1), device=device)
        bench(f"GPT-2 small batch {gb} seq {gs}", model, lambda: gpt_step(model, idx), device, warmup, iters)
        del model, idx
    if "probe" not in args.skip:
        per_op_overhead(device)
        # launch-bound: tiny inputs, so the per-op Python cost of the recorder dominates;
        # this is the number that predicts GPU overhead, where kernels are fast
        model = ResNet50().to(device)
        x = torch.randn(2, 3, 32, 32, device=device)
        y = torch.randint(0, 1000, (2,), device=device)
        bench("ResNet-50 batch 2 32x32 (per-op)", model, lambda: resnet_step(model, x, y), device, warmup, iters)
        del model, x, y
    if "verdict" not in args.skip:
        verdict_time(args.fixture, args.verdict_runs, "cuda" if big else "cpu")


if __name__ == "__main__":
    main()
