"""Loss functions, one module per family of the catalog."""
from . import boxes, embedding, imbalance, information, margin, overlap, regression  # noqa: F401
