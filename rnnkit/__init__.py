"""rnnkit: train and use recurrent neural networks (RNN, LSTM, GRU) on sequences.

The estimators load lazily, so that ``import rnnkit.numpy_rnn`` (the NumPy reference
implementation) never imports torch.

Example:
    >>> from rnnkit import CharLM
    >>> CharLM(cell="gru").arch["cell"]
    'gru'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rnnkit.errors import RnnkitError

__version__ = "0.1.0"
__all__ = ["CharLM", "RnnkitError", "__version__"]

if TYPE_CHECKING:
    from rnnkit.charlm import CharLM


def __getattr__(name: str) -> Any:
    if name == "CharLM":
        from rnnkit.charlm import CharLM

        return CharLM
    raise AttributeError(f"module 'rnnkit' has no attribute {name!r}")
