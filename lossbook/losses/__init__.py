"""Loss functions, one module per family of the catalog."""
from . import embedding, imbalance, information, margin, overlap, regression  # noqa: F401
