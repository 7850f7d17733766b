"""The recurrent LM: chunked forward with carried state equals the whole-sequence forward."""

from __future__ import annotations

import pytest
import torch

from rnnkit.decoding.sampling import Stepper
from rnnkit.errors import RnnkitError
from rnnkit.models.recurrent_lm import ModelConfig, RecurrentLM, detach_state


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("layers", [1, 2])
def test_chunked_forward_equals_whole(cell: str, layers: int) -> None:
    torch.manual_seed(0)
    model = (
        RecurrentLM(
            ModelConfig(vocab_size=11, cell=cell, embed_size=6, hidden_size=9, num_layers=layers)
        )
        .double()
        .eval()
    )
    tokens = torch.randint(0, 11, (3, 40))
    whole, whole_state = model(tokens)
    state = None
    chunks = []
    for start in range(0, 40, 7):  # uneven chunks on purpose
        logits, state = model(tokens[:, start : start + 7], state)
        state = detach_state(state)
        chunks.append(logits)
    torch.testing.assert_close(torch.cat(chunks, dim=1), whole, rtol=0, atol=1e-12)
    assert state is not None
    for a, b in zip(
        state if isinstance(state, tuple) else (state,),
        whole_state if isinstance(whole_state, tuple) else (whole_state,),
        strict=True,
    ):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)


def test_tied_weights_share_one_tensor() -> None:
    model = RecurrentLM(ModelConfig(vocab_size=7, embed_size=8, hidden_size=8, tie_weights=True))
    assert model.head.weight is model.embed.weight


@pytest.mark.parametrize(
    "bad",
    [
        {"cell": "transformer"},
        {"hidden_size": 0},
        {"dropout": 1.0},
        {"weight_drop": -0.1},
        {"adaptive_cutoffs": [3, 2]},
        {"adaptive_cutoffs": [5]},
    ],
)
def test_bad_configs(bad: dict) -> None:
    with pytest.raises(RnnkitError):
        ModelConfig(**{"vocab_size": 5, "embed_size": 4, "hidden_size": 8, **bad})


HEADS = {
    "linear": {},
    "tied through a projection": {"tie_weights": True},
    "adaptive softmax": {"adaptive_cutoffs": [4, 9], "hidden_size": 16},
    "tied adaptive softmax": {"adaptive_cutoffs": [4, 9], "tie_weights": True},
}


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("head", HEADS)
def test_fast_stepper_equals_the_model(cell: str, layers: int, head: str) -> None:
    torch.manual_seed(1)
    sizes = {"embed_size": 5, "hidden_size": 7, **HEADS[head]}
    model = RecurrentLM(
        ModelConfig(vocab_size=13, cell=cell, num_layers=layers, **sizes)  # type: ignore[arg-type]
    ).eval()
    tokens = torch.randint(0, 13, (3, 20))
    _, prefix_state = model(tokens[:, :8])
    expected, _ = model(tokens[:, 8:], prefix_state)
    stepper = Stepper(model)
    state = stepper.from_model_state(prefix_state)
    got = []
    for t in range(8, 20):
        logits, state = stepper.step(tokens[:, t], state)
        got.append(logits)
    torch.testing.assert_close(torch.stack(got, dim=1), expected, rtol=1e-5, atol=1e-5)


def test_regularisers_are_off_in_eval_mode_and_on_in_training() -> None:
    torch.manual_seed(2)
    awd = {"dropout": 0.3, "input_dropout": 0.4, "embed_dropout": 0.2, "weight_drop": 0.5}
    config = ModelConfig(vocab_size=9, embed_size=6, hidden_size=8, variational=True, **awd)
    model = RecurrentLM(config)
    plain = RecurrentLM(ModelConfig(vocab_size=9, embed_size=6, hidden_size=8))
    plain.load_state_dict(model.state_dict())
    tokens = torch.randint(0, 9, (2, 12))
    torch.testing.assert_close(model.eval()(tokens)[0], plain.eval()(tokens)[0])
    assert not torch.allclose(model.train()(tokens)[0], plain(tokens)[0])
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    model(tokens)[0].sum().backward()  # weight drop must not overwrite the real weights
    assert all(torch.equal(weights[k], v) for k, v in model.state_dict().items())
    assert model.rnn.weight_hh_l0.grad is not None
