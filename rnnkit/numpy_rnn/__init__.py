"""From-scratch NumPy reference implementation of RNN, LSTM and GRU language models.

Teaching code with exact backprop through time, checked against finite
differences (``gradcheck``) and against PyTorch (same weights, same outputs and
gradients).  It imports only NumPy and the standard library, never torch, so
it can be read, run and timed on its own.

Performance note: the per-timestep matmuls are small, and a multi-threaded BLAS
can make them far slower (tens of times, measured) when the cores are busy
with other work; run with ``OPENBLAS_NUM_THREADS=1`` (or ``OMP_NUM_THREADS=1``) then.

- ``cells``: the recurrent layers ``RNN``, ``LSTM``, ``GRU`` (PyTorch parameter layout).
- ``model``: ``NumpyCharModel``, embedding -> stacked layers -> linear head.
- ``optim``: ``clip_grad_norm``, ``Adagrad``, ``Adam`` (AdamW with weight decay).
- ``gradcheck``: ``gradcheck_cell``, ``gradcheck_model``.
"""

from .cells import CELLS, GRU, LSTM, RNN, Recurrent
from .gradcheck import gradcheck_cell, gradcheck_model
from .model import NumpyCharModel
from .optim import Adagrad, Adam, clip_grad_norm

__all__ = [
    "CELLS",
    "GRU",
    "LSTM",
    "RNN",
    "Adagrad",
    "Adam",
    "NumpyCharModel",
    "Recurrent",
    "clip_grad_norm",
    "gradcheck_cell",
    "gradcheck_model",
]
