"""The CTC digit-string experiment at tiny sizes: the data, the decoder, the metrics, and that
training with our CTC gradient lowers the loss and records the posteriors it promises."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lossbook.experiments import sequence as seq


def test_digit_strings_pack_lengths_and_classes_and_place_digits_side_by_side():
    images, targets = seq.digit_strings(40, digits=200, seed=3)
    assert images.shape == (40, 1, 14, 70) and targets.shape == (40, 6)
    labels, lengths = seq.unpack_targets(targets)
    assert lengths.min() >= 1 and lengths.max() <= 5 and len(set(lengths.tolist())) > 2
    for i in range(40):
        k = int(lengths[i])
        assert torch.all(labels[i, :k] >= 1) and torch.all(labels[i, :k] <= 10)
        assert torch.all(labels[i, k:] == 0)
        assert torch.all(images[i, 0, :, 14 * k:] == 0)           # blank canvas after the digits
        for j in range(k):                                        # every digit cell has ink
            assert images[i, 0, :, 14 * j:14 * (j + 1)].sum() > 1


def test_greedy_decode_merges_repeats_then_removes_blanks():
    # frames: 1 1 - 1 2 2 - -  ->  "1 1 2" (a blank separates the repeated 1s)
    path = [1, 1, 0, 1, 2, 2, 0, 0]
    logits = torch.full((1, len(path), 3), -5.0)
    logits[0, torch.arange(len(path)), torch.tensor(path)] = 5.0
    assert seq.greedy_decode(logits) == [[1, 1, 2]]


@pytest.mark.parametrize("a,b,d", [([], [], 0), ([1, 2, 3], [], 3), ([1, 2, 3], [1, 3], 1),
                                   ([1, 2, 3], [3, 2, 1], 2), ([4, 4], [4, 5, 4], 1)])
def test_edit_distance(a, b, d):
    assert seq.edit_distance(a, b) == d == seq.edit_distance(b, a)


def test_sequence_metrics():
    targets = torch.tensor([[2, 2, 3, 0, 0, 0], [1, 5, 0, 0, 0, 0]], dtype=torch.float32)
    m = seq.sequence_metrics([[2, 3], [5, 5]], targets)       # truths [2, 3] and [5]
    assert m["sequence_accuracy"] == 0.5 and m["cer"] == pytest.approx(1 / 3)   # 1 edit, 3 symbols


def test_model_emits_one_frame_per_two_columns():
    out = seq.StringReader()(torch.zeros(2, 1, 14, 70))
    assert out.shape == (2, 35, 11)


def test_objective_uses_our_gradient():
    """The objective's backward is lossbook's ctc_loss_grad: a spy sees it called."""
    import lossbook.losses.sequence as family
    from lossbook import registry

    calls = []
    spec = registry.REGISTRY["ctc_loss"]
    original = spec.grad

    def spy(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    object.__setattr__(spec, "grad", spy)                      # the spec is a frozen dataclass
    try:
        images, targets = seq.digit_strings(4, digits=50, seed=0)
        model = seq.StringReader()
        seq.CTCObjective()(model(images), targets).backward()
    finally:
        object.__setattr__(spec, "grad", original)
    assert calls and family.ctc_loss_grad is original
    assert model.head[-1].weight.grad is not None


def test_tiny_training_lowers_the_loss_and_records_posteriors(tmp_path, monkeypatch):
    monkeypatch.setenv("LOSSBOOK_CACHE", str(tmp_path))
    recipe = seq.CTC_RECIPE.replace(epochs=3)
    r = seq.ctc_mnist.__wrapped__(train_strings=128, test_strings=20, digits=300, recipe=recipe,
                                  checkpoints=(0, 5), shown=2, progress=False)
    loss = r["history"]["loss"]
    assert loss[-1] < loss[0]
    assert r["steps"] == [0, 5, 12]                           # 128 // 32 = 4 steps a epoch, 3 epochs
    post = r["posteriors"]
    assert post.shape == (3, 2, 35, 11)
    np.testing.assert_allclose(post.sum(-1), 1.0, rtol=1e-5)
    assert not np.allclose(post[0], post[-1])                 # the model moved
    m = r["metrics"]
    assert 0 <= m["sequence_accuracy"] <= 1 and m["cer"] >= 0 and 0 <= m["blank_fraction"] <= 1
    assert set(r["metrics_by_length"]) <= {1, 2, 3, 4, 5}
    assert len(r["decoded"]) == 3 and len(r["labels"]) == 2


def test_plot_posteriors_draws_image_and_curves():
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    post = np.full((2, 1, 35, 11), 0.01)
    post[..., 0] = 0.9
    result = {"images": np.zeros((1, 14, 70)), "posteriors": post, "steps": [0, 10],
              "labels": [[3]], "decoded": [[[]], [[3]]]}
    fig = seq.plot_posteriors(Figure(), result, checkpoint=1)
    top, bottom = fig.axes
    assert "label 2" in top.get_title() and "'2'" in top.get_title()
    assert [l.get_label() for l in bottom.lines] == ["blank", "largest other digit"]
    post[1, 0, 10:12, 4] = 0.8                                 # a spike of digit 3 (class 4)
    fig = seq.plot_posteriors(Figure(), result, checkpoint=1)
    assert [l.get_label() for l in fig.axes[1].lines] == ["blank", "digit 3", "largest other digit"]


@pytest.mark.parametrize("T", [1, 2, 3, 4, 5])
def test_alignment_counts_follow_the_binomial(T):
    """An alignment is 2L+1 runs (blank, label 1, blank, ..., blank) with the label runs >= 1
    frame, the outer blank runs >= 0 and the inner ones >= 0, or >= 1 between a repeat:
    C(T + L - r, 2L) alignments for L symbols with r adjacent repeats."""
    assert len(seq.alignments((1,), T, 2)) == math.comb(T + 1, 2)
    assert len(seq.alignments((1, 2), T, 3)) == math.comb(T + 2, 4)
    assert len(seq.alignments((1, 1), T, 2)) == math.comb(T + 1, 4)
    assert len(seq.alignments((1, 2, 1), T, 3)) == math.comb(T + 3, 6)


def test_brute_force_check_agrees_and_counts_infeasible_cases():
    rows = seq.brute_force_check(max_T=3, max_C=3, max_len=2)
    assert len(rows) == 3 * (1 + 1 + 1 + 1 + 2 + 4)
    assert max(r["difference"] for r in rows) < 1e-12
    for r in rows:
        assert (r["alignments"] == 0) == (r["brute"] == 0 == r["dp"])
    assert any(r["alignments"] == 0 for r in rows)            # e.g. "aa" in 2 frames
