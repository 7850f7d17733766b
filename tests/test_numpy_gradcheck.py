"""Finite-difference checks of the NumPy reference RNN/LSTM/GRU backward passes (float64)."""

import pytest

from rnnkit.numpy_rnn import gradcheck_cell, gradcheck_model

CELLS = ["rnn", "lstm", "gru"]
TOL = 1e-6


@pytest.mark.parametrize("cell", CELLS)
def test_cell_gradients(cell):
    errors = gradcheck_cell(cell)
    expected = {"weight_ih", "weight_hh", "bias_ih", "bias_hh", "x", "h0"}
    assert set(errors) == expected | ({"c0"} if cell == "lstm" else set())
    assert max(errors.values()) < TOL, errors


@pytest.mark.parametrize("cell", CELLS)
def test_cell_gradients_other_shapes(cell):
    """Batch of one, a single step, input wider than hidden."""
    errors = gradcheck_cell(cell, batch=1, steps=1, input_size=6, hidden_size=2, seed=3)
    assert max(errors.values()) < TOL, errors


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("cell", CELLS)
def test_model_gradients(cell, num_layers):
    errors = gradcheck_model(cell, num_layers=num_layers)
    layer_keys = {
        f"rnn.{w}_l{i}"
        for i in range(num_layers)
        for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    }
    assert set(errors) == {"embed.weight", "head.weight", "head.bias"} | layer_keys
    assert max(errors.values()) < TOL, errors
