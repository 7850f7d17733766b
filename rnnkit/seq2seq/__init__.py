"""Sequence to sequence with attention: :class:`~rnnkit.seq2seq.seq2seq.Seq2Seq`."""
