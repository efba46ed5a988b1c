"""The family modules' kit (lossbook._kit): each check, each factory, the spec factory."""
from __future__ import annotations

import inspect
import re

import numpy as np
import pytest
import torch

import lossbook
from lossbook import _backend, _kit as kit
from lossbook._spec import Family, Spec
from lossbook.registry import FAMILY_MODULES


# --- arrays -----------------------------------------------------------------------------
def test_floating_converts_lists_and_names_the_argument():
    x = kit.floating([1, 2], "input")
    assert isinstance(x, np.ndarray) and x.dtype == np.float64
    t = torch.ones(2, dtype=torch.float32)
    assert kit.floating(t, "input") is t
    for bad in (np.array([1, 2]), torch.tensor([1, 2]), True, None, "1.0", ["a"]):
        with pytest.raises(TypeError, match="^input must be a floating-point array"):
            kit.floating(bad, "input")
    with pytest.raises(ValueError, match="^scores contains NaN"):
        kit.floating(np.array([1.0, np.nan]), "scores")
    with lossbook.validation(False):
        kit.floating(np.array([np.nan]), "scores")     # the pass over the data is skipped


def test_nonempty():
    assert kit.nonempty(np.zeros(1), "input").shape == (1,)
    with pytest.raises(ValueError, match=r"^input is empty \(shape \(0, 3\)\)"):
        kit.nonempty(np.zeros((0, 3)), "input")
    with pytest.raises(ValueError, match="^input is empty"):
        kit.nonempty(torch.zeros(0), "input")


def test_labels():
    y = kit.labels([0, 2, 1], "target", 3)
    assert y.dtype.kind == "i"
    kit.labels(np.array([0, -100, 2]), "target", 3, ignore_index=-100)
    with pytest.raises(ValueError, match=r"^target must hold class indices in \[0, 2\], got values in \[0, 3\]"):
        kit.labels(np.array([0, 3]), "target", 3)
    with pytest.raises(ValueError, match="or ignore_index=-100"):
        kit.labels(np.array([-1, 0]), "target", 3, ignore_index=-100)
    for bad in (np.array([0.0, 1.0]), torch.tensor([True, False])):
        with pytest.raises(TypeError, match="^target must be an integer array of class indices"):
            kit.labels(bad, "target", 3)
    with lossbook.validation(False):
        kit.labels(np.array([7]), "target", 3)


def test_sign_labels():
    y = kit.sign_labels([1, -1, 1], "target")
    assert y.dtype == np.float64
    kit.sign_labels(torch.tensor([1, -1]), "target")
    with pytest.raises(ValueError, match=r"^target must hold labels in \{-1, \+1\}, got 0.0"):
        kit.sign_labels(np.array([1.0, 0.0]), "target")
    with pytest.raises(ValueError, match="^target contains NaN"):
        kit.sign_labels(np.array([1.0, np.nan]), "target")


def test_binary_labels():
    for ok in (np.array([0.0, 1.0]), np.array([0, 1]), np.array([True, False]), torch.tensor([0, 1])):
        kit.binary_labels(ok, "target")
    with pytest.raises(ValueError, match=r"^target must hold labels in \{0, 1\} \(hard labels\), got 0.5"):
        kit.binary_labels(np.array([0.0, 0.5]), "target")
    with pytest.raises(TypeError, match="^target must be an array of 0/1 labels"):
        kit.binary_labels(np.array(["0", "1"]), "target")


def test_ranges_of_arrays():
    with pytest.raises(ValueError, match=r"^p must hold probabilities in \[0, 1\], got values in \[-0.5, 1\]"):
        kit.probabilities(np.array([-0.5, 1.0]), "p")
    with pytest.raises(ValueError, match=r"^input must hold log-probabilities at most 0 .*got a maximum of 0.5"):
        kit.log_probabilities(np.array([0.5, -1.0]), "input")
    with pytest.raises(ValueError, match=r"^x must be greater than -1 in f, got a minimum of -1"):
        kit.values_in(np.array([-1.0, 2.0]), "x", "(-1, inf)", hint=" in f")
    with pytest.raises(ValueError, match="^weight must be non-negative, got a minimum of -2"):
        kit.values_in(torch.tensor([-2.0, 1.0]), "weight", "[0, inf)")
    kit.values_in(np.array([np.inf, 0.0]), "x", "(-1, inf)")     # an infinite end is no bound
    kit.values_in(np.zeros(0), "x", "[0, 1]")
    with lossbook.validation(False):
        kit.probabilities(np.array([2.0]), "p")
    with pytest.raises(ValueError, match="interval"):
        kit.values_in(np.zeros(1), "x", "0..1")


def test_nonzero_shape_and_ndim():
    with pytest.raises(ValueError, match=r"^target contains 2 zero\(s\): why"):
        kit.nonzero(np.array([0.0, 1.0, 0.0]), "target", "why")
    assert kit.has_shape(np.zeros(3), "w", (3,)).shape == (3,)
    with pytest.raises(ValueError, match=r"^w must have shape \(3,\) \(one per class\), got \(4,\)"):
        kit.has_shape(np.zeros(4), "w", (3,), " (one per class)")
    with pytest.raises(ValueError, match=r"^input must have shape \(N, C\), got shape \(3,\)"):
        kit.has_ndim(np.zeros(3), "input", "(N, C)", allowed=(2,))
    with pytest.raises(ValueError, match="^input must have shape"):
        kit.has_ndim(np.zeros(()), "input", "(C, ...)", at_least=1)


# --- pairs ------------------------------------------------------------------------------
def test_one_wording_of_the_same_kind_message():
    with pytest.raises(TypeError) as info:
        kit.same_kind(np.zeros(2), torch.zeros(2), "input", "target")
    message = str(info.value)
    assert message.startswith("target is a torch tensor but input is a NumPy array: ")
    assert message.endswith(_backend.MIXING)
    with pytest.raises(TypeError, match=re.escape(_backend.MIXING)):
        _backend.namespace(np.zeros(2), torch.zeros(2))
    # the sentence is written once in the package
    sources = [inspect.getsource(m) for m in (*FAMILY_MODULES, kit, _backend)]
    assert sum(s.count("cannot mix NumPy") for s in sources) == 1
    assert not any("same kind of array" in s for s in sources)


def test_same_dtype_and_same_shape():
    with pytest.raises(TypeError, match=r"^target must have the dtype of input \(float32\), got float64"):
        kit.same_dtype(np.zeros(2, np.float32), np.zeros(2), "input", "target")
    with pytest.raises(ValueError, match=r"^target must have the same shape as input: got \(3,\) and \(2,\)"):
        kit.same_shape(np.zeros(2), np.zeros(3), "input", "target")


def test_pair():
    x, t = kit.pair(np.zeros(2, np.float32), [0.0, 1.0])
    assert t.dtype == np.float32                     # a list takes the input's dtype
    x, t = kit.pair(torch.zeros(2, dtype=torch.float64), [1, -1], kit.sign_labels)
    assert t.dtype == torch.float64
    x, t = kit.pair(np.zeros(2), np.array([0, 1]), kit.binary_labels)
    assert t.dtype == np.float64                     # integer labels cast like the input
    with pytest.raises(ValueError, match="^reduction"):
        kit.pair(np.zeros(2), np.zeros(2), reduction="avg")
    with pytest.raises(TypeError, match="^target is a torch tensor"):
        kit.pair(np.zeros(2), torch.zeros(2, dtype=torch.float64))
    with pytest.raises(TypeError, match="^target must have the dtype of input"):
        kit.pair(np.zeros(2, np.float32), np.zeros(2), dtype=True)
    kit.pair(np.zeros(2, np.float32), np.zeros(2))   # without dtype=True it is cast
    with pytest.raises(ValueError, match="^input is empty"):
        kit.pair(np.zeros(0), np.zeros(0))
    with pytest.raises(ValueError, match="^y must have the same shape as f"):
        kit.pair(np.zeros(2), np.zeros(3), names=("f", "y"))
    with pytest.raises(ValueError, match="^input must hold probabilities"):
        kit.pair(np.array([2.0]), np.array([1.0]), check_input=kit.probabilities)


def test_match_casts_like_the_input():
    t = kit.match(torch.zeros(2, dtype=torch.float32), torch.ones(2, dtype=torch.float64))
    assert t.dtype == torch.float32


def test_class_targets():
    x = torch.zeros(4, 3)
    t = kit.class_targets(x, torch.tensor([0, 1, 2, 1], dtype=torch.int32), 3, (4,))
    assert t.dtype == torch.int64
    with pytest.raises(ValueError, match=r"^target must have shape \(4,\) \(one per row\), got \(3,\)"):
        kit.class_targets(x, torch.tensor([0, 1, 2]), 3, (4,), hint=" (one per row)")
    with pytest.raises(TypeError, match="^labels is a NumPy array but features is a torch tensor"):
        kit.class_targets(x, np.array([0, 1, 2, 1]), 3, (4,), names=("features", "labels"))


def test_aux_array():
    like = torch.zeros(2, 3, dtype=torch.float32)
    w = kit.aux_array(np.ones(3), "weight", like)          # NumPy goes to torch
    assert isinstance(w, torch.Tensor) and w.dtype == torch.float32
    assert kit.aux_array(2, "weight", np.zeros(3)).dtype == np.float64
    with pytest.raises(TypeError, match="^weight is a torch tensor but input is a NumPy array"):
        kit.aux_array(torch.ones(3), "weight", np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"^weight must have shape \(3,\), got \(2,\)"):
        kit.aux_array(np.ones(2), "weight", np.zeros((2, 3)), shape=(3,))
    with pytest.raises(ValueError, match="^pos_weight of shape .* does not broadcast"):
        kit.aux_array(np.ones(2), "pos_weight", np.zeros((2, 3)))
    with pytest.raises(ValueError, match="^weight must be non-negative"):
        kit.aux_array(np.array([1.0, -1.0, 1.0]), "weight", np.zeros(3), nonnegative=True)


# --- hyper-parameters -------------------------------------------------------------------
@pytest.mark.parametrize("value", [float("nan"), "0.5", True, np.bool_(False), np.array([0.5]), None,
                                   [0.5], 1.5, -0.1])
def test_number_rejects_what_is_not_a_number_in_range(value):
    with pytest.raises(ValueError, match=r"^alpha must be a number in \[0, 1\], got "):
        kit.number(value, "alpha", "[0, 1]")


@pytest.mark.parametrize("interval, words", [
    ("(0, inf)", "a positive number"), ("[0, inf)", "a non-negative number"),
    ("[0, 1)", r"a number in \[0, 1\)"), ("(-1, inf)", "a number greater than -1"),
    ("[2, inf)", "a number at least 2"), ("(-inf, 0]", "a number at most 0"),
    ("(-inf, 3)", "a number less than 3"), ("(-inf, inf)", "a real number"),
])
def test_number_says_what_was_expected(interval, words):
    with pytest.raises(ValueError, match=rf"^p must be {words}, got 'x'"):
        kit.number("x", "p", interval)


def test_number_returns_floats_and_integers():
    assert kit.number(1, "delta", "(0, inf)") == 1.0 and isinstance(kit.number(1, "delta"), float)
    assert kit.number(np.float32(0.5), "tau", "[0, 1]") == 0.5
    assert kit.number(float("inf"), "delta", "(0, inf)") == float("inf")
    assert kit.number(10.0, "bins", "[1, inf)", integer=True) == 10
    assert isinstance(kit.number(np.int64(3), "bins", "[1, inf)", integer=True), int)
    for bad in (2.5, float("inf"), 0):
        with pytest.raises(ValueError, match="^bins must be a positive integer"):
            kit.number(bad, "bins", "[1, inf)", integer=True)
    with pytest.raises(ValueError, match="^k must be an integer, got"):
        kit.number(0.5, "k", integer=True)
    assert kit.number(None, "alpha", "[0, 1]", optional=True) is None
    with pytest.raises(ValueError, match=r"^alpha must be None or a number in \[0, 1\], got 2"):
        kit.number(2, "alpha", "[0, 1]", optional=True)


def test_choice_and_axis():
    assert kit.choice("tanh", "approximate", ("none", "tanh")) == "tanh"
    for bad in ("avg", True, np.array([1, 2])):
        with pytest.raises(ValueError, match="^p must be one of 1, 2; got"):
            kit.choice(bad, "p", (1, 2))
    assert kit.axis(-1, "dim", 2) == -1 and kit.axis(np.int64(1), "dim", 2) == 1
    for bad in (2, -3, 1.0, True):
        with pytest.raises(ValueError, match=r"^dim must be an axis of input \(ndim 2\)"):
            kit.axis(bad, "dim", 2)


def test_check_reduction_is_the_reduction_modules():
    assert kit.check_reduction is lossbook._reduction.check_reduction


# --- array helpers ----------------------------------------------------------------------
def test_cast_like():
    like = torch.zeros(1, dtype=torch.float32)
    assert kit.cast_like(np.ones(2), like).dtype == torch.float32
    assert kit.cast_like(torch.ones(2, dtype=torch.float64), like).dtype == torch.float32
    assert kit.cast_like([1, 0], np.zeros(1, np.float32)).dtype == np.float32
    with pytest.raises(TypeError, match="^weight is a torch tensor but input is a NumPy array"):
        kit.cast_like(torch.ones(2), np.zeros(2), "weight")


def test_one_element_count_and_one_to_numpy():
    assert kit.numel is _backend.numel and kit.to_numpy is _backend.to_numpy
    assert kit.numel(np.zeros((2, 3))) == 6 and kit.numel(torch.zeros(2, 3)) == 6
    assert kit.numel(np.float64(1.0)) == 1
    assert isinstance(kit.to_numpy(torch.ones(2, requires_grad=True)), np.ndarray)


def test_class_axis_and_expand_classes():
    assert kit.class_axis(np.zeros(3)) == 0 and kit.class_axis(np.zeros((2, 3, 4))) == 1
    assert kit.expand_classes(np.arange(3.0), 3, 1).shape == (1, 3, 1)


# --- example factories ------------------------------------------------------------------
def test_example_factories():
    np.testing.assert_array_equal(kit.real(3, (2, 5)), kit.real(3, (2, 5)))
    x = kit.real(0, (50, 50), avoid=(0.0, 1.0), gap=0.05)
    assert np.min(np.abs(x)) >= 0.05 and np.min(np.abs(x - 1.0)) >= 0.05
    assert set(np.unique(kit.signs(1, (100,)))) == {-1.0, 1.0}
    t = kit.zero_ones(2, (3, 4))
    assert t.dtype == np.float64 and t.flat[0] == 1.0 and t.flat[1] == 0.0
    y = kit.class_labels(4, 6, 4, every_class=True)
    assert y[:4].tolist() == [3, 2, 1, 0] and set(y.tolist()) <= {0, 1, 2, 3}
    assert kit.class_labels(4, (3, 2), 5).shape == (3, 2)
    np.testing.assert_array_equal(kit.class_labels(4, 6, 5), kit.rng(4).integers(0, 5, size=6))
    assert kit.f64([1, 2]).dtype == np.float64


def test_curve_helpers():
    x = np.linspace(-1.0, 1.0, 5)
    (a, t), params = kit.with_target(-1.0)(x, {"margin": 2.0})
    assert a is x and np.all(t == -1.0) and params == {"margin": 2.0}
    (z, y), _ = kit.true_class_logit(4)(x, {})
    assert z.shape == (5, 4) and np.all(z[:, 0] == x) and np.all(z[:, 1:] == 0) and np.all(y == 0)
    assert kit.first_column(z).shape == (5,) and kit.first_column(x) is x


# --- the spec factory -------------------------------------------------------------------
def _toy(input):
    """A toy value."""
    return input


def _toy_grad(input, *, grad_output=None):
    """Its gradient."""
    return input


def test_spec_factory_fills_the_family_fields():
    family = Family(key="toy", title="Toy", part="Z", chapters=("first", "second"))
    spec = kit.spec_factory(family, {"toy": _toy, "toy_grad": _toy_grad}, in_seeds=False)
    made = spec("toy", "Z1", "玩具", "none", example=lambda seed: ((np.ones(2),), {}))
    assert isinstance(made, Spec)
    assert (made.family, made.chapter, made.catalog_id, made.chinese, made.paper) == \
        ("toy", "first", "Z1", "玩具", "")
    assert made.value is _toy and made.grad is _toy_grad and made.in_seeds is False
    other = spec("toy", "Z2", "", "", "A paper", chapter="second", in_seeds=True, example=made.example)
    assert (other.chapter, other.paper, other.in_seeds) == ("second", "A paper", True)


def test_flag():
    assert kit.flag(True, "batch") is True and kit.flag(np.False_, "batch") is False
    for bad in (1, 0, "yes", None, 1.0, np.array([True])):
        with pytest.raises(ValueError, match="^batch must be one of True, False; got "):
            kit.flag(bad, "batch")


@pytest.mark.parametrize("module", FAMILY_MODULES, ids=lambda m: m.__name__)
def test_family_modules_are_built_from_the_kit(module):
    source = inspect.getsource(module)
    assert module.kit is kit
    assert "_validate" not in source and "def _spec(" not in source
    assert "Spec(" not in source and "Spec.of(" not in source


def _hyper_parameters():
    for name, spec in lossbook.REGISTRY.items():
        for param in spec.params:
            if param.options is None and param.name not in spec.arg_names:
                yield name, param.name


@pytest.mark.parametrize("name, param", list(_hyper_parameters()))
@pytest.mark.parametrize("bad", [float("nan"), "0.5", True], ids=["nan", "string", "bool"])
def test_every_hyper_parameter_is_checked_by_the_kit(name, param, bad):
    spec = lossbook.REGISTRY[name]
    args, kwargs = spec.example(0)
    for fn in (spec.value, spec.grad):
        with pytest.raises(ValueError, match=rf"^{param} must be "):
            fn(*args, **{**kwargs, param: bad})


def _takes_dim():
    return [name for name, spec in lossbook.REGISTRY.items()
            if "dim" in inspect.signature(spec.value).parameters]


@pytest.mark.parametrize("name", _takes_dim())
@pytest.mark.parametrize("bad", [7, -9, 1.5, True, "1", None], ids=repr)
def test_dim_is_checked_alike_by_the_value_and_the_gradient(name, bad):
    spec = lossbook.REGISTRY[name]
    args, kwargs = spec.example(0)
    for fn in (spec.value, spec.grad):
        with pytest.raises(ValueError, match=r"^dim must be an axis of input"):
            fn(*args, **{**kwargs, "dim": bad})


@pytest.mark.parametrize("name", [n for n in _takes_dim() if lossbook.REGISTRY[n].family == "activation"])
@pytest.mark.parametrize("shape, dim", [((5, 0, 0), -1), ((0, 3), -1), ((3, 0), 0), ((2, 0, 3), 1)])
def test_a_normalising_map_of_an_empty_tensor_is_empty_as_in_torch(name, shape, dim):
    import torch

    import torch.nn.functional as F

    spec = lossbook.REGISTRY[name]
    x = np.zeros(shape)
    # PyTorch's function, or one with the same output shape (hardmax and sparsemax: softmax's)
    reference = {"log_softmax": torch.log_softmax, "softmin": F.softmin,
                 "logsumexp": torch.logsumexp, "glu": F.glu}.get(name, torch.softmax)
    try:
        expected = reference(torch.zeros(shape, dtype=torch.float64), dim=dim)
    except RuntimeError:                       # e.g. glu of an odd length: we refuse it too
        with pytest.raises(ValueError, match="input"):
            spec.value(x, dim=dim)
        return
    value = spec.value(x, dim=dim)
    assert value.shape == tuple(expected.shape)
    np.testing.assert_array_equal(value, expected.numpy())        # e.g. -inf for logsumexp
    assert spec.value(torch.zeros(shape, dtype=torch.float64), dim=dim).shape == tuple(expected.shape)
    assert spec.grad(x, dim=dim, grad_output=np.zeros(tuple(expected.shape))).shape == shape
