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
__all__ = [
    "CharLM",
    "Forecaster",
    "RnnkitError",
    "Seq2Seq",
    "TabularModel",
    "Text",
    "TextClassifier",
    "WordLM",
    "WordVectors",
    "__version__",
]

if TYPE_CHECKING:
    from rnnkit.classify.classifier import TextClassifier
    from rnnkit.data.sources import Text
    from rnnkit.embed.vectors import WordVectors
    from rnnkit.lm.charlm import CharLM
    from rnnkit.lm.wordlm import WordLM
    from rnnkit.seq2seq.seq2seq import Seq2Seq
    from rnnkit.tabular.model import TabularModel
    from rnnkit.timeseries.forecaster import Forecaster

#: Public classes by name, with the module that defines each (imported on first use).
_LAZY = {
    "CharLM": "rnnkit.lm.charlm",
    "WordLM": "rnnkit.lm.wordlm",
    "TextClassifier": "rnnkit.classify.classifier",
    "WordVectors": "rnnkit.embed.vectors",
    "Forecaster": "rnnkit.timeseries.forecaster",
    "Text": "rnnkit.data.sources",
    "Seq2Seq": "rnnkit.seq2seq.seq2seq",
    "TabularModel": "rnnkit.tabular.model",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'rnnkit' has no attribute {name!r}")
