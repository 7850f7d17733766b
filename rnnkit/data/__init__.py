"""Where text and series come from: the one source resolver (:mod:`~rnnkit.data.sources`),
tokenizers and vocabularies, labelled texts, the dataset registry and its catalog, and the
bundled complete works of Shakespeare (also as its 44 works, :mod:`~rnnkit.data.works`)."""
