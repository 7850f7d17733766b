"""Word embeddings: :class:`~rnnkit.embed.vectors.WordVectors` (word2vec through gensim), its
settings, corpus writing, evaluation, plots and folder format."""
