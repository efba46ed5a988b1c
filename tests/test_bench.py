"""lossbook.bench runs, checks that ours and the baseline compute the same loss, and prints."""
from __future__ import annotations

import torch

from lossbook import REGISTRY
from lossbook.bench import CASES, _center_reference, _focal_reference, format_table, run


def test_bench_runs_and_formats():
    names = [n for n in ("center_loss", "cross_entropy", "mse_loss") if n in REGISTRY] + ["sigmoid_focal_loss"]
    rows = run(names, repeats=2, warmup=1)
    assert [r["loss"] for r in rows] == names
    for r in rows:
        if not r["missing"]:
            assert r["ours_us"] > 0 and r["baseline_us"] > 0 and r["ratio"] > 0
    text = format_table(rows)
    assert "center_loss" in text and "ratio" in text


def test_plain_torch_baselines_match_lossbook():
    generator = torch.Generator().manual_seed(0)
    (x, y, c), _ = CASES["center_loss"][1]("cpu", generator)
    x = x.double().detach()
    c = c.double()
    import lossbook

    torch.testing.assert_close(_center_reference(x, y, c), lossbook.center_loss(x, y, c))
    if "sigmoid_focal_loss" in REGISTRY:
        (z, t), _ = CASES["sigmoid_focal_loss"][1]("cpu", generator)
        z = z.double().detach()
        torch.testing.assert_close(_focal_reference(z, t.double()),
                                   lossbook.sigmoid_focal_loss(z, t.double(), alpha=0.25, gamma=2.0))
