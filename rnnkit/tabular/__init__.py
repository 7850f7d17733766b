"""Tabular data with entity embeddings: :class:`~rnnkit.tabular.model.TabularModel`."""
