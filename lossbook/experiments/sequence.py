"""Reading strings of MNIST digits with CTC (chapter *sequence_alignment*).

* :func:`digit_strings` builds images of 1–5 MNIST digits side by side (downsampled to
  14 × 14 per digit, so an image is 14 × 70), with their labels;
* :class:`StringReader` is a small network: two conv layers, then a 1-D convolutional head
  that emits, for each of the 35 columns (frames), logits over the blank and the ten digits;
* :class:`CTCObjective` is :func:`~lossbook.ctc_loss` through :mod:`lossbook.autograd`, so the
  model trains with OUR gradient (the forward–backward occupancy), never torch's;
* :func:`greedy_decode`, :func:`edit_distance`, :func:`sequence_metrics` measure it;
* :func:`ctc_mnist` trains it (memoised) and records the per-frame posteriors of a few
  held-out strings at checkpoints, for the figure and the explorer (:func:`plot_posteriors`).
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import torch
from torch import nn

from ..autograd import function as _function
from ..cache import memoize
from ..data import mnist_tensors
from ..losses.sequence import ctc_loss
from ..models import count_parameters
from ..train import Recipe, train

__all__ = ["BLANK", "MAX_DIGITS", "CTC_RECIPE", "digit_strings", "StringReader", "CTCObjective",
           "greedy_decode", "edit_distance", "sequence_metrics", "ctc_mnist", "plot_posteriors",
           "digits_text", "unpack_targets", "collapse", "alignments", "brute_force_check"]

#: The blank is class 0; digit d is class d + 1.
BLANK = 0
#: At most this many digits per string.
MAX_DIGITS = 5
#: The default recipe of :func:`ctc_mnist`.
CTC_RECIPE = Recipe(epochs=5, batch_size=32, lr=3e-3, optimizer="adam", schedule="onecycle")


# --- what CTC sums over, by brute force ---------------------------------------------------
def collapse(path, blank: int = BLANK) -> tuple:
    """The CTC map B: merge runs of repeated symbols, then delete the blanks."""
    out, prev = [], None
    for k in path:
        if k != prev and k != blank:
            out.append(int(k))
        prev = k
    return tuple(out)


def alignments(label, T: int, C: int, blank: int = BLANK) -> list[tuple]:
    """Every path of ``T`` symbols out of ``C`` that collapses to ``label`` (C**T candidates)."""
    label = tuple(int(k) for k in label)
    return [p for p in itertools.product(range(C), repeat=T) if collapse(p, blank) == label]


def brute_force_check(max_T: int = 5, max_C: int = 3, max_len: int = 3, seed: int = 0) -> list[dict]:
    r""":func:`~lossbook.ctc_loss` against the sum over every alignment, for every ``T <= max_T``,
    ``2 <= C <= max_C`` and label of length ``<= max_len`` (random log-softmax frames, blank 0).

    One row per case: ``T``, ``C``, ``label``, ``alignments`` (how many), ``brute`` (the
    probability summed path by path), ``dp`` (:math:`e^{-\ell}` with :math:`\ell` the loss), ``difference``.
    """
    rows = []
    rng = np.random.default_rng(seed)
    for T in range(1, max_T + 1):
        for C in range(2, max_C + 1):
            z = rng.normal(0.0, 1.0, size=(T, 1, C))
            lp = z - np.log(np.exp(z).sum(-1, keepdims=True))
            y = np.exp(lp[:, 0])
            for n in range(max_len + 1):
                for label in itertools.product(range(1, C), repeat=n):
                    paths = alignments(label, T, C)
                    brute = float(sum(np.prod(y[np.arange(T), list(p)]) for p in paths))
                    loss = float(ctc_loss(lp, np.array([label], dtype=np.int64).reshape(1, n), [T], [n],
                                          reduction="sum"))
                    dp = math.exp(-loss)
                    rows.append({"T": T, "C": C, "label": label, "alignments": len(paths),
                                 "brute": brute, "dp": dp, "difference": abs(brute - dp)})
    return rows


def _small_digits(split, count, seed):
    """``count`` MNIST digits of ``split`` as (count, 14, 14) float32 in [0, 1] (2×2 means)."""
    images, labels = mnist_tensors(split, subset=count, seed=seed)
    small = torch.nn.functional.avg_pool2d(images, 2)[:, 0]
    return small, labels


def digit_strings(count: int, *, split: str = "train", digits: int = 6000, seed: int = 0,
                  min_len: int = 1, max_len: int = MAX_DIGITS):
    """``count`` images of ``min_len``–``max_len`` digits side by side, left-aligned on a black
    14 × (14·max_len) canvas.

    Returns ``(images, targets)``: images (count, 1, 14, 14·max_len) float32, and targets
    (count, 1 + max_len) float32 packing ``[length, class_1, ..., class_max_len]`` (classes are
    digit + 1, the padding 0): one tensor, so that :func:`lossbook.train.train` can cut batches
    of it (float, so that it does not count "accuracy" on it).
    """
    small, labels = _small_digits(split, digits, seed)
    r = np.random.default_rng(seed + 1)
    lengths = r.integers(min_len, max_len + 1, size=count)
    picks = r.integers(0, len(labels), size=(count, max_len))
    canvas = torch.zeros(count, 1, 14, 14 * max_len)
    targets = torch.zeros(count, 1 + max_len)
    for i in range(count):
        k = int(lengths[i])
        row = torch.as_tensor(picks[i, :k])
        canvas[i, 0, :, :14 * k] = torch.cat(list(small[row]), dim=1)
        targets[i, 0] = k
        targets[i, 1:1 + k] = labels[row].float() + 1
    return canvas, targets


def unpack_targets(targets):
    """``(labels (N, max_len) int64, lengths (N,) int64)`` from :func:`digit_strings` targets."""
    return targets[:, 1:].long(), targets[:, 0].long()


class StringReader(nn.Module):
    """Conv(1→16) ReLU pool2 · Conv(16→32) ReLU pool(2,1) · per column: Conv1d(96→64, 3) ReLU
    · Conv1d(64→11, 1). Input (N, 1, 14, 70); output logits (N, T=35, 11)."""

    def __init__(self, classes: int = 11, width: int = 64):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d((2, 1)))
        self.head = nn.Sequential(nn.Conv1d(32 * 3, width, 3, padding=1), nn.ReLU(),
                                  nn.Conv1d(width, classes, 1))

    def forward(self, x):
        h = self.features(x)                                  # (N, 32, 3, T)
        h = h.flatten(1, 2)                                   # (N, 96, T)
        return self.head(h).transpose(1, 2)                   # (N, T, classes)


class CTCObjective:
    """``ctc_loss(log_softmax(logits))`` with lossbook's backward (reduction 'mean', i.e.
    each string's loss divided by its length, then averaged)."""

    name = "CTC"

    def __init__(self):
        self._ctc = _function("ctc_loss")

    def __call__(self, outputs, target):
        labels, lengths = unpack_targets(target)
        log_probs = outputs.log_softmax(-1).transpose(0, 1)   # (T, N, C)
        frames = torch.full((outputs.shape[0],), outputs.shape[1], dtype=torch.long)
        return self._ctc(log_probs, labels, frames, lengths, blank=BLANK, reduction="mean")


def greedy_decode(logits, blank: int = BLANK) -> list[list[int]]:
    """Best path: the most likely class at each frame, repeats merged, blanks removed."""
    best = np.asarray(torch.as_tensor(logits).argmax(-1))
    out = []
    for row in best:
        seq, prev = [], None
        for k in row:
            if k != prev and k != blank:
                seq.append(int(k))
            prev = k
        out.append(seq)
    return out


def edit_distance(a, b) -> int:
    """Levenshtein distance (insertions, deletions, substitutions) between two sequences."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def sequence_metrics(decoded, targets) -> dict:
    """Sequence accuracy (exact strings) and character error rate (total edit distance over
    total target length) of decoded class sequences against :func:`digit_strings` targets."""
    labels, lengths = unpack_targets(torch.as_tensor(targets))
    truth = [labels[i, :lengths[i]].tolist() for i in range(len(lengths))]
    exact = sum(d == t for d, t in zip(decoded, truth))
    errors = sum(edit_distance(d, t) for d, t in zip(decoded, truth))
    return {"sequence_accuracy": exact / len(truth), "cer": errors / max(1, sum(map(len, truth)))}


def _logits(model, images, batch_size=500):
    model.eval()
    with torch.no_grad():
        out = torch.cat([model(images[i:i + batch_size]) for i in range(0, len(images), batch_size)])
    model.train()
    return out


@memoize(rng=False)
def ctc_mnist(*, train_strings: int = 12000, test_strings: int = 1000, digits: int = 20000,
              recipe: Recipe | None = None,
              checkpoints=(0, 50, 100, 150, 200, 300, 400, 600, 900, 1300),
              shown: int = 3, seed: int = 0, progress: bool = True, num_threads: int | None = 1) -> dict:
    """Train :class:`StringReader` with CTC (our gradient) on strings of 1–5 MNIST digits.

    Parameters
    ----------
    train_strings, test_strings : int
        Training strings (made of ``digits`` training digits) and held-out strings (made of
        MNIST *test* digits, so no digit image is shared).
    recipe : Recipe, optional
        Default :data:`CTC_RECIPE`.
    checkpoints : sequence of int
        Optimiser steps before which the per-frame posteriors of ``shown`` held-out strings
        are recorded (the final model is added as the last checkpoint).
    seed, progress, num_threads
        Seeds the data, the initialisation and the batches; a tqdm bar; torch threads.

    Returns
    -------
    dict
        ``history`` (per epoch: loss, time, cpu_time), ``metrics`` (held-out
        ``sequence_accuracy``, ``cer``, and ``blank_fraction``: the share of frames whose most
        likely class is the blank), ``metrics_by_length`` (length -> metrics),
        ``steps`` (the checkpoint steps), ``posteriors`` (checkpoint, shown, T, C),
        ``images`` and ``labels`` of the shown strings, ``decoded`` (their greedy decoding at
        each checkpoint), ``parameters``, ``train_seconds`` and ``train_cpu_seconds``.
    """
    recipe = CTC_RECIPE if recipe is None else recipe
    x_train, y_train = digit_strings(train_strings, split="train", digits=digits, seed=seed)
    x_test, y_test = digit_strings(test_strings, split="test", digits=min(digits, 10000), seed=seed + 100)
    shown_images = x_test[:shown]
    torch.manual_seed(seed)
    model = StringReader()
    posteriors, steps, decoded = [], [], []
    counter = {"step": 0}
    wanted = set(int(c) for c in checkpoints)

    def record(step):
        logits = _logits(model, shown_images)
        posteriors.append(logits.softmax(-1).numpy())
        decoded.append(greedy_decode(logits))
        steps.append(step)

    def on_step(model_, outputs, target):
        if counter["step"] in wanted:
            record(counter["step"])
        counter["step"] += 1

    history = train(model, CTCObjective(), (x_train, y_train), recipe, seed=seed, device="cpu",
                    progress=progress, desc="CTC on digit strings", num_threads=num_threads,
                    on_step=on_step)
    record(counter["step"])
    logits = _logits(model, x_test)
    guesses = greedy_decode(logits)
    metrics = sequence_metrics(guesses, y_test)
    metrics["blank_fraction"] = float((logits.argmax(-1) == BLANK).float().mean())
    lengths = y_test[:, 0].long().numpy()
    by_length = {int(k): sequence_metrics([g for g, n in zip(guesses, lengths) if n == k], y_test[lengths == k])
                 for k in np.unique(lengths)}
    labels, lens = unpack_targets(y_test[:shown])
    return {"history": dict(history), "metrics": metrics, "metrics_by_length": by_length,
            "steps": steps, "posteriors": np.stack(posteriors), "images": shown_images[:, 0].numpy(),
            "labels": [labels[i, :lens[i]].tolist() for i in range(shown)], "decoded": decoded,
            "parameters": count_parameters(model),
            "train_seconds": history["time"][-1], "train_cpu_seconds": history["cpu_time"][-1]}


_SYMBOLS = ["blank"] + [str(d) for d in range(10)]


def digits_text(classes) -> str:
    """Classes (digit + 1) as the digit string ('' for none)."""
    return "".join(str(c - 1) for c in classes)


def plot_posteriors(fig, result: dict, checkpoint: int = -1, string: int = 0):
    """Draw one held-out string and the per-frame posteriors of the model at a checkpoint:
    the blank in grey, each digit in its own colour, in the image's column coordinates."""
    import matplotlib.pyplot as plt

    image = result["images"][string]
    post = result["posteriors"][checkpoint][string]            # (T, C)
    step = result["steps"][checkpoint]
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [1, 2]})
    top.imshow(image, cmap="gray_r", aspect="auto", extent=(0, post.shape[0], 14, 0))
    top.set_yticks([])
    truth = digits_text(result["labels"][string])
    guess = digits_text(result["decoded"][checkpoint][string])
    top.set_title(f"step {step}: label {truth}, greedy decoding '{guess}'", fontsize=10)
    frames = np.arange(post.shape[0]) + 0.5
    bottom.plot(frames, post[:, BLANK], color="0.6", lw=2.2, label="blank")
    colours = list(plt.get_cmap("tab10").colors)
    colours[7] = (0.0, 0.0, 0.0)                               # tab10's grey is the blank's
    drawn = [d for d in range(10) if post[:, d + 1].max() > 0.2]
    for d in drawn:
        bottom.plot(frames, post[:, d + 1], color=colours[d], lw=1.6, label=f"digit {d}")
    rest = [d + 1 for d in range(10) if d not in drawn]
    if rest:
        bottom.plot(frames, post[:, rest].max(axis=1), color="tab:purple", lw=1, ls=":",
                    label="largest other digit")
    bottom.set_xlim(0, post.shape[0])
    bottom.set_ylim(-0.02, 1.02)
    bottom.set_xlabel("frame t (one per 2 pixel columns)")
    bottom.set_ylabel("posterior $y^t_k$")
    bottom.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8, frameon=False)
    return fig
