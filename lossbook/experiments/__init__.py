"""The book's experiments: one module per chapter, each a set of tested functions that
return their numbers (the chapters import and call them).

* :mod:`lossbook.experiments.likelihood`: the likelihood recipe, each loss's best constant is
  its distribution's statistic (chapter *what_a_loss_is*);
* :mod:`lossbook.experiments.slowdown`: Nielsen's learning slowdown, a single sigmoid
  neuron and the [784, 100, 10] network on MNIST (chapter *learning_slowdown*);
* :mod:`lossbook.experiments.mnist_features`: 2-D deep features under softmax, MSE and
  center loss (chapter *mnist_features*);
* :mod:`lossbook.experiments.metric`: 2-D features under softmax, centre loss, CosFace and
  ArcFace, on the unit circle (chapter *metric_learning*);
* :mod:`lossbook.experiments.activations`: deep propagation, small deep MLPs on digits,
  kink conventions (chapters *activations_saturating* and *activations_rectifiers*);
* :mod:`lossbook.experiments.imbalance`: long-tailed classes, focal and class-balanced
  losses, GHM (chapter *imbalance*);
* :mod:`lossbook.experiments.regression`: line and location fits with any residual loss
  (chapter *regression*);
* :mod:`lossbook.experiments.toy`: toy classification with margin and softmax losses
  (chapters *information_theory* and *margin_losses*);
* :mod:`lossbook.experiments.overlap`: small-blob segmentation with overlap losses, the
  foreground-gradient and Lovász curves (chapter *overlap_losses*);
* :mod:`lossbook.experiments.boxes`: box geometry, the DIoU paper's regression simulation,
  α-IoU and Wise-IoU curves, the moving-box explorer (chapter *box_losses*);
* :mod:`lossbook.experiments.contrastive`: NCE's normaliser, the InfoNCE bound, MNRL
  retrieval vs batch size (chapter *contrastive_estimation*);
* :mod:`lossbook.experiments.sequence`: strings of MNIST digits read with CTC (chapter
  *sequence_alignment*);
* :mod:`lossbook.experiments.generative`: 1-D GANs under each generator loss, WGAN's critic,
  perceptual reconstructions of MNIST digits (chapter *generative_losses*).

Every training runs through :func:`lossbook.train.train` with a :class:`lossbook.train.Recipe`.
The modules import the lossbook modules they need, never the top-level package, and this
package imports none of them: ``import lossbook.experiments.regression`` does not import
torch.
"""

#: The experiment modules, by chapter order of the book.
MODULES = ("likelihood", "slowdown", "mnist_features", "metric", "activations", "imbalance", "regression",
           "toy", "overlap", "boxes", "contrastive", "sequence", "generative")
