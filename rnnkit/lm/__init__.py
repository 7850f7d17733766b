"""Language models: :class:`~rnnkit.lm.charlm.CharLM` and :class:`~rnnkit.lm.wordlm.WordLM` on
one base (:mod:`~rnnkit.lm.base`), with budget planning, sampling and their training backends."""
