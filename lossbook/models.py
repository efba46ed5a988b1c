"""Small torch models for the book's experiments.

* :class:`LeNetPP`: a narrowed LeNets++ (Wen et al. 2016, Table 1) whose penultimate layer
  has 2 units, so the learned features can be plotted; the 2 → 10 classifier has no bias,
  as in the paper.
* :class:`SigmoidNeuron`: Nielsen's single neuron :math:`\\sigma(wx+b)`.
* :class:`MLP`: a fully connected network (Nielsen's sigmoid [784, 100, 10]), whose
  activations run through lossbook's own gradients (:class:`lossbook.autograd.Activation`).
* :class:`DenseStack`: a fully connected network from given weight matrices (drawn by a
  NumPy initialiser), :math:`h \\leftarrow f(hW + b)`; the activation chapters' networks.
* :class:`LinearScorer`: :math:`f(x) = xw + b`, the toy problems' linear models.

The models return *pre-activation* outputs (logits); the loss decides what to do with them.
"""
from __future__ import annotations

import torch
from torch import nn

from .autograd import Activation

__all__ = ["LeNetPP", "SigmoidNeuron", "MLP", "DenseStack", "LinearScorer", "count_parameters"]


def count_parameters(model: nn.Module) -> int:
    """Number of trainable scalars."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


class LeNetPP(nn.Module):
    """LeNets++-style CNN with a ``feature_dim``-unit feature layer (Wen et al. 2016, Table 1).

    The paper's network has three stages of two 5×5 convolutions (32, 64, 128 channels)
    with PReLU, each followed by 2×2 max pooling, then a 2-unit fully connected layer and
    the 10-way classifier. This version keeps the structure and narrows it so it trains
    in seconds per epoch on a laptop CPU: ``convs_per_stage`` convolutions of
    ``channels[k]`` channels per stage (default one conv of 8, 16 and 64 channels; about
    30k parameters), and each stage's last PReLU comes after its pooling.

    ``forward`` returns ``(features, logits)``: the features are what the chapter plots and
    what center loss acts on; the classifier ``features @ W.T`` has no bias.

    Parameters
    ----------
    channels : tuple of int, default (8, 16, 64)
    kernel_size : int or tuple of int, default 5
        One size for every stage, or one per stage.
    convs_per_stage : int, default 1
    feature_dim : int, default 2
    num_classes : int, default 10
    feature_activation : {'prelu', 'none'}, default 'prelu'
        PReLU after the feature layer, as in the widely used PyTorch port
        (KaiyangZhou/pytorch-center-loss).
    """

    def __init__(self, channels=(8, 16, 64), kernel_size=5, convs_per_stage: int = 1,
                 feature_dim: int = 2, num_classes: int = 10, feature_activation: str = "prelu"):
        super().__init__()
        layers: list[nn.Module] = []
        previous = 1
        kernels = (kernel_size,) * len(channels) if isinstance(kernel_size, int) else tuple(kernel_size)
        if len(kernels) != len(channels):
            raise ValueError(f"kernel_size must be an int or one size per stage ({len(channels)}), "
                             f"got {kernel_size!r}")
        for width, k in zip(channels, kernels):
            for index in range(convs_per_stage):
                layers.append(nn.Conv2d(previous, width, k, padding=k // 2))
                if index < convs_per_stage - 1:
                    layers.append(nn.PReLU(width))
                previous = width
            # Pooling before the stage's last PReLU computes it on a quarter of the pixels;
            # for non-negative slopes the two orders give the same result.
            layers += [nn.MaxPool2d(2), nn.PReLU(width)]
        self.body = nn.Sequential(*layers, nn.Flatten())
        side = 28
        for _ in channels:
            side //= 2
        self.feature = nn.Linear(previous * side * side, feature_dim)
        if feature_activation not in ("prelu", "none"):
            raise ValueError(f"feature_activation must be 'prelu' or 'none', got {feature_activation!r}")
        self.feature_activation = nn.PReLU() if feature_activation == "prelu" else nn.Identity()
        self.classifier = nn.Linear(feature_dim, num_classes, bias=False)
        # Decaying the classifier would cap the logits' scale, which center loss, shrinking
        # the features, relies on to stay confident (lossbook.train.train reads this).
        self.no_weight_decay = ("classifier.weight",)
        # Channels-last convolutions are about 1.5× faster on CPUs (oneDNN).
        self.to(memory_format=torch.channels_last)

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """The ``feature_dim``-dimensional deep features of a batch of (N, 1, 28, 28) images."""
        images = images.contiguous(memory_format=torch.channels_last)
        return self.feature_activation(self.feature(self.body(images)))

    def forward(self, images: torch.Tensor):
        features = self.features(images)
        return features, self.classifier(features)


class SigmoidNeuron(nn.Module):
    """One neuron with one input: returns the pre-activation :math:`z = wx + b` (Nielsen, ch. 3).

    Parameters
    ----------
    weight, bias : float
        The starting point (Nielsen uses (0.6, 0.9) and (2, 2)).
    """

    def __init__(self, weight: float = 0.6, bias: float = 0.9):
        super().__init__()
        self.weight = nn.Parameter(torch.tensor(float(weight)))
        self.bias = nn.Parameter(torch.tensor(float(bias)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.weight.to(x.dtype) * x + self.bias.to(x.dtype)


class MLP(nn.Module):
    """Fully connected network; hidden activations use lossbook's gradients.

    Returns the output layer's pre-activations (logits); apply the output non-linearity in
    the loss (a sigmoid for the quadratic cost, inside BCE-with-logits for cross-entropy).

    Parameters
    ----------
    sizes : sequence of int, default (784, 100, 10)
        Layer widths, input first (Nielsen's network).
    activation : str or torch.nn.Module, default 'sigmoid'
        A registry activation for the hidden layers (trained with lossbook's gradient), or
        any module (e.g. ``torch.nn.Sigmoid()``, faster for tiny batches).
    init : {'normal', 'scaled', 'torch'}, default 'normal'
        ``'normal'``: weights and biases :math:`\\mathcal N(0, 1)` (Nielsen's ``network.py``,
        which saturates sigmoid units); ``'scaled'``: weights
        :math:`\\mathcal N(0, 1/n_\\text{in})` (his ``network2.py``); ``'torch'``: PyTorch's
        default.
    """

    def __init__(self, sizes=(784, 100, 10), activation: str = "sigmoid", init: str = "normal"):
        super().__init__()
        if init not in ("normal", "scaled", "torch"):
            raise ValueError(f"init must be 'normal', 'scaled' or 'torch', got {init!r}")
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.activation = Activation(activation) if isinstance(activation, str) else activation
        if init != "torch":
            with torch.no_grad():
                for layer in self.layers:
                    layer.weight.normal_(0.0, 1.0 if init == "normal" else layer.in_features ** -0.5)
                    layer.bias.normal_(0.0, 1.0)

    @property
    def output_layer(self) -> nn.Linear:
        return self.layers[-1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.reshape(x.shape[0], -1)
        for layer in self.layers[:-1]:
            x = self.activation(layer(x))
        return self.layers[-1](x)


class DenseStack(nn.Module):
    r"""Fully connected layers :math:`h_l = f(h_{l-1}W_l + b_l)`, with ``f`` after every
    layer but the last, from given weight matrices.

    The weights are stored as given, shape ``(fan_in, fan_out)`` (the layout of
    :func:`lossbook.experiments.activations.init_weight`), and each layer computes
    ``h @ W + b`` (a product, then a sum; ``torch.nn.Linear`` fuses them into one call,
    which rounds differently).

    Parameters
    ----------
    weights : sequence of array_like
        One ``(fan_in, fan_out)`` matrix per layer (NumPy or torch; the dtype is kept).
    activation : str
        A registry activation, trained with lossbook's gradient
        (:class:`lossbook.autograd.Activation`).
    **params
        Its hyper-parameters.

    The biases start at zero. ``forward`` returns the last layer's pre-activations
    (logits); :meth:`hidden` the hidden layers' activations.
    """

    def __init__(self, weights, activation: str = "relu", **params):
        super().__init__()
        tensors = [torch.as_tensor(w) for w in weights]
        self.weights = nn.ParameterList(nn.Parameter(w) for w in tensors)
        self.biases = nn.ParameterList(nn.Parameter(torch.zeros(w.shape[1], dtype=w.dtype))
                                       for w in tensors)
        self.activation = Activation(activation, **params)

    def _layers(self, x, keep: bool):
        hidden = []
        last = len(self.weights) - 1
        for layer, (w, b) in enumerate(zip(self.weights, self.biases)):
            x = x @ w + b
            if layer < last:
                x = self.activation(x)
                if keep:
                    hidden.append(x.detach().numpy().copy())
        return x, hidden

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._layers(x, keep=False)[0]

    def hidden(self, x: torch.Tensor) -> list:
        """The activations of every hidden layer on ``x``, as NumPy arrays (on the CPU)."""
        return self._layers(x, keep=True)[1]


class LinearScorer(nn.Module):
    r"""A linear model :math:`f(x) = xw + b`: one score per row for a weight vector
    ``(d,)`` and a scalar bias, one per class for a matrix ``(d, C)`` and a bias ``(C,)``.

    Parameters
    ----------
    weight, bias : array_like
        The starting parameters (their dtype is kept).
    """

    def __init__(self, weight, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.as_tensor(weight))
        self.bias = nn.Parameter(torch.as_tensor(bias))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.weight + self.bias
