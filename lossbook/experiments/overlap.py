r"""Data, trainings and curves for the chapter "Overlap losses for segmentation" (*overlap_losses*).

* :func:`blob_images`: synthetic grey images of a few small bright discs (the foreground,
  1–5 % of the pixels) in Gaussian noise, with dimmer discs that are *not* foreground;
* :func:`make_net` (a three-layer fully convolutional net) and :func:`train_segmenter`, which
  trains it with any registry loss or sum of losses **through lossbook's own gradients**
  (:class:`lossbook.autograd.Loss`) by :func:`lossbook.train.train`;
* :func:`mask_scores` (hard Dice and IoU per image) and :func:`compare_segmentation`, the chapter's
  table (memoized, trainings in worker processes); :func:`format_segmentation` prints it;
* :func:`foreground_gradients`: the gradient per foreground pixel of BCE and Dice as the
  foreground fraction falls (the chapter's first figure); :func:`lovasz_surface`: the Lovász
  hinge over two pixels' errors.
"""
from __future__ import annotations

import numpy as np

from ..cache import memoize
from ._jobs import run_jobs

__all__ = [
    "blob_images", "make_net", "SegmentationObjective", "segmentation_objectives", "train_segmenter",
    "predict_masks", "mask_scores", "compare_segmentation", "format_segmentation",
    "foreground_gradients", "lovasz_surface",
]


# --- data -------------------------------------------------------------------------------------
def _discs(rng, size, count, radius):
    yy, xx = np.mgrid[0:size, 0:size]
    mask = np.zeros((size, size), dtype=bool)
    for _ in range(count):
        r = rng.uniform(*radius)
        cy, cx = rng.uniform(r, size - 1 - r, size=2)
        mask |= (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
    return mask


def blob_images(n: int, *, size: int = 32, seed: int = 0, blobs=(1, 3), radius=(1.5, 3.2),
                distractors=(0, 2), contrast: float = 1.0, dim: float = 0.45, noise: float = 0.55,
                fraction=(0.01, 0.05)):
    r"""``n`` images of small bright discs (the target) among dim discs, in Gaussian noise.

    Each image holds between ``blobs[0]`` and ``blobs[1]`` foreground discs of radius in
    ``radius`` (intensity ``contrast``) and ``distractors`` background discs (intensity
    ``dim``), plus noise of standard deviation ``noise``. An image is redrawn until its
    foreground fraction lies in ``fraction`` (1–5 % by default).

    Returns
    -------
    images, masks : numpy.ndarray
        float32 images ``(n, 1, size, size)`` and float32 0/1 masks of the same shape.
    """
    for name, value in (("n", n), ("size", size)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    lo, hi = fraction
    if not 0.0 <= lo < hi <= 1.0:
        raise ValueError(f"fraction must be (low, high) with 0 <= low < high <= 1, got {fraction!r}")
    rng = np.random.default_rng(seed)
    images = np.empty((n, 1, size, size), dtype=np.float32)
    masks = np.empty_like(images)
    for i in range(n):
        for _attempt in range(1000):
            fg = _discs(rng, size, int(rng.integers(blobs[0], blobs[1] + 1)), radius)
            if lo <= fg.mean() <= hi:
                break
        else:
            raise ValueError(f"no image with a foreground fraction in {fraction} after 1000 draws: "
                             f"change blobs or radius")
        decoy = _discs(rng, size, int(rng.integers(distractors[0], distractors[1] + 1)), radius) & ~fg
        image = contrast * fg + dim * decoy + noise * rng.normal(size=(size, size))
        images[i, 0], masks[i, 0] = image, fg
    return images, masks


# --- model, objective, training -----------------------------------------------------------------
def make_net(width: int = 8, seed: int = 0):
    """A tiny fully convolutional net: 3×3 conv (``width``), ReLU, 3×3 conv dilated 2, ReLU, 1×1 conv.

    Receptive field 7×7; one output channel of logits, shape ``(N, 1, H, W)``; float32, seeded.
    """
    import torch
    from torch import nn

    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(1, width, 3, padding=1), nn.ReLU(),
                         nn.Conv2d(width, width, 3, padding=2, dilation=2), nn.ReLU(),
                         nn.Conv2d(width, 1, 1))


class SegmentationObjective:
    """``objective(logits, masks)``: a weighted sum of registry losses, each with our backward.

    ``terms`` is a sequence of ``(registry name, kwargs, weight)``; every term is a
    :class:`lossbook.autograd.Loss`, so ``backward()`` runs the analytic ``_grad`` of each.
    """

    def __init__(self, terms, name: str = "objective"):
        from ..autograd import Loss

        if not terms:
            raise ValueError("terms must list at least one (name, kwargs, weight)")
        self.terms = [(Loss(n, **dict(kw)), float(w)) for n, kw, w in terms]
        self.name = name

    def __call__(self, outputs, target):
        total = None
        for loss, weight in self.terms:
            value = weight * loss(outputs, target)
            total = value if total is None else total + value
        return total


def segmentation_objectives():
    """The chapter's five objectives, ``{label: ((registry name, kwargs, weight), ...)}``."""
    return {
        "BCE": (("binary_cross_entropy_with_logits", {}, 1.0),),
        "Dice": (("dice_loss", {}, 1.0),),
        "Dice + BCE": (("dice_loss", {}, 1.0), ("binary_cross_entropy_with_logits", {}, 1.0)),
        "focal Tversky": (("focal_tversky_loss", {"alpha": 0.3, "beta": 0.7, "gamma": 4.0 / 3.0}, 1.0),),
        "Lovász hinge": (("lovasz_hinge_loss", {}, 1.0),),
    }


def train_segmenter(images, masks, terms, *, epochs: int = 50, batch_size: int = 16, lr: float = 0.01,
                    width: int = 8, seed: int = 0, test_data=None, progress: bool = False,
                    desc: str | None = None):
    """Train :func:`make_net` with Adam on ``SegmentationObjective(terms)``.

    With ``test_data = (images, masks)`` the mean hard test Dice is recorded after every
    epoch (``history["test_dice"]``).

    Returns
    -------
    model, history
        The trained net (outputs logits) and the :class:`lossbook.train.History`.
    """
    import torch

    from ..train import Recipe, train

    model = make_net(width, seed)
    data = (torch.as_tensor(images), torch.as_tensor(masks))

    def on_epoch(epoch, net):
        scores = mask_scores(predict_masks(net, test_data[0]), test_data[1])
        return {"test_dice": float(scores["dice"].mean())}

    history = train(model, SegmentationObjective(terms, desc or "objective"), data,
                    Recipe(epochs=epochs, batch_size=batch_size, lr=lr, optimizer="adam"), seed=seed,
                    device="cpu", progress=progress, desc=desc, num_threads=1,
                    on_epoch=on_epoch if test_data is not None else None)
    return model, history


def predict_masks(model, images):
    """Hard masks ``logit > 0`` (probability above 1/2) of ``model`` on ``images``, as bool."""
    import torch

    model.eval()
    with torch.no_grad():
        return (model(torch.as_tensor(images)) > 0).numpy()


def mask_scores(predicted, masks):
    r"""Hard Dice :math:`2|A\cap B|/(|A|+|B|)` and IoU :math:`|A\cap B|/|A\cup B|` per image.

    Both are 1 for an image where prediction and target are both empty.

    Returns
    -------
    dict
        ``dice``, ``iou`` (arrays, one per image) and ``area_ratio`` (predicted over true
        foreground pixels, per image; ``nan`` for an empty target).
    """
    a = np.asarray(predicted, dtype=bool).reshape(len(predicted), -1)
    b = np.asarray(masks).astype(bool).reshape(len(masks), -1)
    if a.shape != b.shape:
        raise ValueError(f"predicted and masks must have the same shape, got {a.shape} and {b.shape}")
    inter, na, nb = (a & b).sum(1), a.sum(1), b.sum(1)
    union = na + nb - inter
    both_empty = union == 0
    dice = np.where(both_empty, 1.0, 2.0 * inter / np.maximum(na + nb, 1))
    iou = np.where(both_empty, 1.0, inter / np.maximum(union, 1))
    ratio = np.where(nb > 0, na / np.maximum(nb, 1), np.nan)
    return {"dice": dice, "iou": iou, "area_ratio": ratio}


def _segmentation_job(job, progress=False):
    """One training of :func:`compare_segmentation` (top level, so workers can run it)."""
    import time

    import torch

    from ..train import threads

    # fork_rng: the job seeds torch itself and leaves the caller's global generator alone, so
    # compare_segmentation depends on its arguments only (memoized with rng=False).
    with threads(1), torch.random.fork_rng(devices=[]):
        start, cpu = time.perf_counter(), time.process_time()
        seed = job["seed"]
        x, y = blob_images(job["n_train"], size=job["size"], seed=1000 + seed)
        x_test, y_test = blob_images(job["n_test"], size=job["size"], seed=2000 + seed)
        model, history = train_segmenter(x, y, job["terms"], epochs=job["epochs"],
                                         batch_size=job["batch_size"], lr=job["lr"], width=job["width"],
                                         seed=seed, test_data=(x_test, y_test), progress=progress,
                                         desc=f"{job['label']} (seed {seed})")
        predicted = predict_masks(model, x_test)
        scores = mask_scores(predicted, y_test)
        with torch.no_grad():
            probabilities = torch.sigmoid(model(torch.as_tensor(x_test[:job["keep"]]))).numpy()
        return {"label": job["label"], "seed": seed,
                "dice": float(scores["dice"].mean()), "iou": float(scores["iou"].mean()),
                "area_ratio": float(np.nanmean(scores["area_ratio"])),
                "test_dice_curve": np.array(history["test_dice"]),
                "train_loss": np.array(history["loss"]),
                "examples": {"images": x_test[:job["keep"]], "masks": y_test[:job["keep"]],
                             "predicted": predicted[:job["keep"]], "probabilities": probabilities},
                "time": time.perf_counter() - start, "cpu_time": time.process_time() - cpu}


@memoize(rng=False)
def compare_segmentation(losses=None, *, seeds=(0, 1, 2), n_train: int = 128, n_test: int = 64, size: int = 32,
                   epochs: int = 50, batch_size: int = 16, lr: float = 0.01, width: int = 8, keep: int = 4,
                   workers: int = 1, progress: bool = False) -> dict:
    """Train one net per loss and seed on :func:`blob_images`; hard test Dice and IoU.

    Parameters
    ----------
    losses : dict, optional
        ``{label: ((registry name, kwargs, weight), ...)}``; :func:`segmentation_objectives` by default.
    seeds : tuple of int
        Each seed draws its own training and test images and initialisation (the same for
        every loss).
    n_train, n_test, size : int
        Images per set and their side.
    epochs, batch_size, lr, width
        Adam's schedule and the net's width.
    keep : int
        Test images whose predictions are kept (for the figure).
    workers : int
        Trainings run in this many processes (the numbers do not depend on it).

    Returns
    -------
    dict
        ``table``: label -> ``{"dice": (mean, sd), "iou": (mean, sd), "area_ratio": (mean, sd)}``
        over seeds (sd with ``ddof=1``), and ``"curve"``, the mean test Dice after each epoch;
        ``runs``: the list of per-run results (each with ``examples``, ``test_dice_curve``,
        ``train_loss``, ``time``, ``cpu_time``); ``_meta``: the settings.
    """
    losses = segmentation_objectives() if losses is None else losses
    jobs = [dict(label=label, terms=tuple(terms), seed=int(seed), n_train=n_train, n_test=n_test, size=size,
                 epochs=epochs, batch_size=batch_size, lr=lr, width=width, keep=keep)
            for label, terms in losses.items() for seed in seeds]
    runs = run_jobs(_segmentation_job, jobs, workers, progress, "segmentation trainings")
    table = {}
    for label in losses:
        mine = [r for r in runs if r["label"] == label]
        row = {}
        for key in ("dice", "iou", "area_ratio"):
            values = np.array([r[key] for r in mine])
            row[key] = (float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0)
        row["curve"] = np.mean([r["test_dice_curve"] for r in mine], axis=0)
        table[label] = row
    return {"table": table, "runs": runs,
            "_meta": dict(seeds=tuple(seeds), n_train=n_train, n_test=n_test, size=size, epochs=epochs,
                          batch_size=batch_size, lr=lr, width=width)}


def format_segmentation(result) -> str:
    """The table of :func:`compare_segmentation` as fixed-width text (mean ± sd over seeds)."""
    lines = [f"{'loss':<15}{'test Dice':>16}{'test IoU':>16}{'pred./true area':>18}"]
    for label, row in result["table"].items():
        cells = [f"{row[k][0]:.3f} ± {row[k][1]:.3f}" for k in ("dice", "iou", "area_ratio")]
        lines.append(f"{label:<15}{cells[0]:>16}{cells[1]:>16}{cells[2]:>18}")
    return "\n".join(lines)


# --- curves for the figures -------------------------------------------------------------------------
def foreground_gradients(fractions, *, n_pixels: int = 10_000, p_fg: float = 0.5, p_bg: float = 0.5,
                         smooth: float = 1e-5):
    r"""Gradients with respect to the logits of BCE (mean) and Dice, per foreground pixel.

    One image of ``n_pixels`` pixels, a fraction ``f`` of them foreground; the net predicts
    ``p_fg`` on every foreground pixel and ``p_bg`` on every background pixel. Calls
    :func:`lossbook.binary_cross_entropy_with_logits_grad` and :func:`lossbook.dice_loss_grad`.

    Returns
    -------
    dict
        ``{"bce": ..., "dice": ...}``, each a dict of arrays over ``fractions``:
        ``per_pixel`` (:math:`|\partial\ell/\partial x_j|` on a foreground pixel) and ``share``
        (the foreground pixels' part of the total :math:`\sum_j|\partial\ell/\partial x_j|`).
    """
    from ..losses.information import binary_cross_entropy_with_logits_grad
    from ..losses.overlap import dice_loss_grad

    logit = lambda p: np.log(p) - np.log1p(-p)
    out = {key: {"per_pixel": [], "share": []} for key in ("bce", "dice")}
    for f in np.asarray(fractions, dtype=np.float64):
        n_fg = max(1, int(round(f * n_pixels)))
        g = np.zeros(n_pixels)
        g[:n_fg] = 1.0
        x = np.where(g > 0, logit(p_fg), logit(p_bg))
        grads = {"bce": binary_cross_entropy_with_logits_grad(x, g),
                 "dice": dice_loss_grad(x[None, None], g[None, None], smooth_nr=smooth,
                                        smooth_dr=smooth).ravel()}
        for key, d in grads.items():
            out[key]["per_pixel"].append(abs(d[0]))
            out[key]["share"].append(np.abs(d[:n_fg]).sum() / np.abs(d).sum())
    return {key: {k: np.array(v) for k, v in d.items()} for key, d in out.items()}


def lovasz_surface(e1, e2):
    """The Lovász hinge of two pixels (one foreground, one background) as a function of their errors.

    The hinge errors are :math:`e_1 = 1 - x_1` (foreground) and :math:`e_2 = 1 + x_2`
    (background); returns the loss and its gradient with respect to :math:`(e_1, e_2)` on
    the grid ``e1 × e2`` (arrays of shape ``(len(e2), len(e1))``), from
    :func:`lossbook.lovasz_hinge_loss` and its ``_grad``.
    """
    from ..losses.overlap import lovasz_hinge_loss, lovasz_hinge_loss_grad

    E1, E2 = np.meshgrid(np.asarray(e1, dtype=np.float64), np.asarray(e2, dtype=np.float64))
    logits = np.stack([1.0 - E1.ravel(), E2.ravel() - 1.0], axis=-1)[:, None, None, :]   # (M, 1, 1, 2)
    target = np.broadcast_to(np.array([1.0, 0.0]), logits.shape).copy()
    loss = lovasz_hinge_loss(logits, target, reduction="none").reshape(E1.shape)
    grad = lovasz_hinge_loss_grad(logits, target, reduction="sum").reshape(-1, 2)
    # de1/dx1 = -1, de2/dx2 = +1
    return loss, -grad[:, 0].reshape(E1.shape), grad[:, 1].reshape(E1.shape)
