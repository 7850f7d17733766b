"""Decoding: turning a model's next-token logits into text, for every model kind that
generates (sampling with temperature, top-k and top-p, stop strings, streaming)."""
