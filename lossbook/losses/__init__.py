"""Loss functions, one module per family of the catalog."""
from . import boxes, embedding, imbalance, information, margin, regression  # noqa: F401
