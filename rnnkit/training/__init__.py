"""The one training loop (:mod:`~rnnkit.training.loop`), its schedule, batch makers, loss plots,
and the estimator lifecycle every trainable model kind shares
(:mod:`~rnnkit.training.estimator`)."""
