"""The one exception type users see.

Every problem caused by user input (a bad path, an empty corpus, a foreign checkpoint, a bad
temperature...) raises :class:`RnnkitError` with a one-line message. The CLI prints that line and
exits with code 2; it never shows a traceback for these.
"""


class RnnkitError(ValueError):
    """A user-facing error whose message is one complete sentence, without a traceback."""


def one_line(err: BaseException) -> str:
    """``err`` as ``Type: reason`` on one line, to quote a library's error inside ours.

    Example:
        >>> one_line(OSError("disk\\nfull"))
        'OSError: disk full'
    """
    reason = getattr(err, "reason", None) or err  # urllib's errors keep the cause in .reason
    return " ".join(f"{type(err).__name__}: {reason}".split())
