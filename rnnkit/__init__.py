"""rnnkit: train and use recurrent neural networks (RNN, LSTM, GRU) on sequences.

Example:
    >>> from rnnkit import CharLM
    >>> CharLM(cell="gru").arch["cell"]
    'gru'
"""

__version__ = "0.1.0"

from rnnkit.charlm import CharLM
from rnnkit.errors import RnnkitError

__all__ = ["CharLM", "RnnkitError", "__version__"]
