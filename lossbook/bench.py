"""Benchmark: forward + backward time of lossbook's torch path against torch's own.

``python -m lossbook.bench`` (or ``make bench``) times, for each loss, one forward and one
backward pass of

* ours: :func:`lossbook.autograd.function` (our formula forward, our ``_grad`` backward),
  with input validation on (the default) and off (as in :func:`lossbook.train.train`);
* the baseline: ``torch.nn.functional`` where PyTorch has the loss (cross-entropy,
  BCE-with-logits, MSE, Huber), else the same formula written in plain torch ops and
  differentiated by autograd (sigmoid focal loss, center loss);

on a realistic batch, and prints the median time of each and the ratio ours / baseline
(repeats interleaved, so a slow moment of the machine hits both). The same runs on CUDA
when a device is present.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time

import torch
import torch.nn.functional as F

from . import _validate
from .autograd import function
from .registry import REGISTRY

__all__ = ["CASES", "run", "main", "format_table"]


def _focal_reference(x, t, alpha=0.25, gamma=2.0):
    """Sigmoid focal loss in plain torch ops (Lin et al. 2017; torchvision's formula), mean."""
    p = torch.sigmoid(x)
    ce = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    p_t = p * t + (1 - p) * (1 - t)
    loss = ce * (1 - p_t) ** gamma
    alpha_t = alpha * t + (1 - alpha) * (1 - t)
    return (alpha_t * loss).mean()


def _center_reference(x, y, c):
    """Center loss in plain torch ops: ½‖x − c_y‖² averaged over the batch."""
    return 0.5 * ((x - c[y]) ** 2).sum(1).mean()


def _logits(shape, classes=None):
    def make(device, generator):
        x = torch.randn(*shape, generator=generator).to(device).requires_grad_(True)
        y = torch.randint(0, classes, shape[:1], generator=generator).to(device)
        return (x, y), {}
    return make


def _binary(shape):
    def make(device, generator):
        x = torch.randn(*shape, generator=generator).to(device).requires_grad_(True)
        t = (torch.rand(*shape, generator=generator) < 0.1).float().to(device)
        return (x, t), {}
    return make


def _regression(shape):
    def make(device, generator):
        x = torch.randn(*shape, generator=generator).to(device).requires_grad_(True)
        t = (2 * torch.randn(*shape, generator=generator)).to(device)
        return (x, t), {}
    return make


def _center(batch, dim, classes):
    def make(device, generator):
        x = torch.randn(batch, dim, generator=generator).to(device).requires_grad_(True)
        y = torch.randint(0, classes, (batch,), generator=generator).to(device)
        c = torch.randn(classes, dim, generator=generator).to(device)
        return (x, y, c), {}
    return make


#: Loss name -> (description of the batch, ``make(device, generator)`` returning the call,
#: the baseline function, its label).
CASES = {
    "cross_entropy": ("logits 512 × 1000 (ImageNet-like)", _logits((512, 1000), 1000),
                      F.cross_entropy, "F.cross_entropy"),
    "binary_cross_entropy_with_logits": ("logits 512 × 80 (multi-label)", _binary((512, 80)),
                                         F.binary_cross_entropy_with_logits,
                                         "F.binary_cross_entropy_with_logits"),
    "mse_loss": ("predictions 4096 × 64", _regression((4096, 64)), F.mse_loss, "F.mse_loss"),
    "huber_loss": ("predictions 4096 × 64", _regression((4096, 64)), F.huber_loss, "F.huber_loss"),
    "sigmoid_focal_loss": ("logits 8192 anchors × 80 (detection-like)", _binary((8192, 80)),
                           _focal_reference, "plain torch ops + autograd"),
    "center_loss": ("features 512 × 128, 1000 centres", _center(512, 128, 1000),
                    _center_reference, "plain torch ops + autograd"),
}


def _time_once(fn, args, kwargs, device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    loss = fn(*args, **kwargs)
    loss.backward()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elapsed = time.perf_counter() - start
    args[0].grad = None
    return elapsed


def run(names=None, *, device="cpu", repeats: int = 50, warmup: int = 5, seed: int = 0) -> list[dict]:
    """Time every case; returns one row per loss (times in microseconds).

    Entries not (yet) in the registry are reported with ``missing=True``.
    """
    device = torch.device(device)
    rows = []
    for name in names or CASES:
        what, make, baseline, label = CASES[name]
        if name not in REGISTRY:
            rows.append({"loss": name, "batch": what, "baseline": label, "missing": True})
            continue
        ours = function(name)
        args, kwargs = make(device, torch.Generator().manual_seed(seed))
        with torch.no_grad():   # the two must compute the same loss
            expected = float(baseline(*args, **kwargs))
            got = float(ours(*args, **kwargs))
        if abs(got - expected) > 1e-4 * max(1.0, abs(expected)):
            raise AssertionError(f"{name}: lossbook gives {got}, the baseline {expected}")
        samples = {"ours": [], "ours_unchecked": [], "baseline": []}

        def ours_unchecked(*a, **k):
            with _validate.validation(False):
                return ours(*a, **k)

        fns = {"ours": ours, "ours_unchecked": ours_unchecked, "baseline": baseline}
        for i in range(warmup + repeats):
            for key, fn in fns.items():
                elapsed = _time_once(fn, args, kwargs, device)
                if i >= warmup:
                    samples[key].append(elapsed)
        median = {k: statistics.median(v) * 1e6 for k, v in samples.items()}
        ratios = [a / b for a, b in zip(samples["ours"], samples["baseline"])]
        ratios_unchecked = [a / b for a, b in zip(samples["ours_unchecked"], samples["baseline"])]
        rows.append({"loss": name, "batch": what, "baseline": label, "missing": False,
                     "ours_us": median["ours"], "ours_unchecked_us": median["ours_unchecked"],
                     "baseline_us": median["baseline"],
                     "ratio": statistics.median(ratios),
                     "ratio_unchecked": statistics.median(ratios_unchecked)})
    return rows


def format_table(rows, device="cpu") -> str:
    """The rows as a fixed-width text table."""
    header = (f"{'loss':34} {'batch':42} {'ours µs':>9} {'no-check':>9} {'torch µs':>9} "
              f"{'ratio':>6} {'ratio*':>6}  baseline")
    lines = [f"device: {device}, torch {torch.__version__}, {torch.get_num_threads()} threads", header,
             "-" * len(header)]
    for r in rows:
        if r["missing"]:
            lines.append(f"{r['loss']:34} {r['batch']:42} {'(not in the registry yet)':>45}  {r['baseline']}")
            continue
        lines.append(f"{r['loss']:34} {r['batch']:42} {r['ours_us']:9.0f} {r['ours_unchecked_us']:9.0f} "
                     f"{r['baseline_us']:9.0f} {r['ratio']:6.2f} {r['ratio_unchecked']:6.2f}  {r['baseline']}")
    lines.append("ratio = median over repeats of (ours / baseline), forward + backward, input checks on;"
                 " ratio* = with lossbook.validation(False).")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    parser.add_argument("--loss", action="append", choices=sorted(CASES), help="only these losses")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for device in devices:
        rows = run(args.loss, device=device, repeats=args.repeats)
        print(format_table(rows, device))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
