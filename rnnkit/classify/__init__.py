"""Text classification: :class:`~rnnkit.classify.classifier.TextClassifier`, its examples, warm
starts (word vectors, ULMFiT), TF-IDF baseline and blend, reports and learner."""
