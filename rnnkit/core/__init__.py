"""The foundation every layer stands on: the checkpoint format, atomic files, figures without
global state, RNG forks, device choice, typed results and shared CLI options. Imports nothing
of rnnkit above it."""
