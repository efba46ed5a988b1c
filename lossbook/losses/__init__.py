"""Loss functions, one module per family of the catalog."""
from . import contrastive, embedding, imbalance, information, margin, regression  # noqa: F401
