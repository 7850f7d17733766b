"""How translations are scored against references: exact match and the error rate of the
output units (phonemes for G2P: the phoneme error rate; characters for a date).

With several references (a word's alternate pronunciations) a prediction is right when it
matches any of them, and its unit errors are counted against the closest one.
"""

from __future__ import annotations

from collections.abc import Sequence


def edit_distance(a: Sequence[str], b: Sequence[str]) -> int:
    """Levenshtein distance: insertions, deletions and substitutions turning ``a`` into ``b``.

    Example:
        >>> edit_distance("kitten", "sitting"), edit_distance(["K", "AE1", "T"], ["K", "AE1"])
        (3, 1)
    """
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        current = [i]
        for j, y in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def closest(predicted: Sequence[str], references: Sequence[Sequence[str]]) -> tuple[int, int]:
    """The edit distance to the closest reference, and that reference's length.

    Example:
        >>> closest(["R", "IY1", "D"], [["R", "EH1", "D"], ["R", "IY1", "D"]])
        (0, 3)
    """
    return min((edit_distance(predicted, ref), len(ref)) for ref in references)


def error_rates(
    predicted: Sequence[Sequence[str]], references: Sequence[Sequence[Sequence[str]]]
) -> dict[str, float]:
    """``exact_match`` (share of outputs equal to one of their references), ``word_error_rate``
    (1 - exact match: a whole output counts as one word, as in G2P) and ``token_error_rate``
    (unit edits over the closest references' total length).

    Example:
        >>> r = error_rates([["a", "b"], ["c"]], [[["a", "b"]], [["d"], ["c", "e"]]])
        >>> r["exact_match"], round(r["token_error_rate"], 4)  # 1 edit in 2 + 1 symbols
        (0.5, 0.3333)
    """
    exact, edits, length = 0, 0, 0
    for out, refs in zip(predicted, references, strict=True):
        distance, size = closest(out, refs)
        exact += distance == 0
        edits += distance
        length += size
    n = max(1, len(predicted))
    return {
        "exact_match": exact / n,
        "word_error_rate": 1.0 - exact / n,
        "token_error_rate": edits / max(1, length),
    }
