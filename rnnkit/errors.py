"""The one exception type users see.

Every problem caused by user input (a bad path, an empty corpus, a foreign checkpoint, a bad
temperature...) raises :class:`RnnkitError` with a one-line message. The CLI prints that line and
exits with code 2; it never shows a traceback for these.
"""


class RnnkitError(ValueError):
    """A user-facing error whose message is one complete sentence, without a traceback."""
