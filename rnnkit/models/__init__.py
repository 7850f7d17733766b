"""PyTorch model definitions (``nn.Module``s). Estimators in :mod:`rnnkit` own these."""
