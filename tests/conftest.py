import os
import sys

import torch

# Two pytest-xdist workers share two cores: one thread each avoids oversubscription.
torch.set_num_threads(1)
sys.path.insert(0, os.path.dirname(__file__))
