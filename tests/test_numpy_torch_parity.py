"""The NumPy reference implementation agrees with PyTorch given the same float64 weights."""

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from rnnkit.numpy_rnn import CELLS, Adagrad, Adam, NumpyCharModel, clip_grad_norm

PARAM_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")  # torch's order
TORCH_RNNS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
PACKAGE_DIR = Path(__file__).resolve().parents[1] / "rnnkit" / "numpy_rnn"
TOL = 1e-6


def to_numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().numpy().copy()


def assert_close(a, b, tol=TOL):
    np.testing.assert_allclose(a, to_numpy(b) if isinstance(b, torch.Tensor) else b, atol=tol)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_layers_match_torch(cell, num_layers):
    B, T, In, H = 3, 5, 4, 6
    rnn = TORCH_RNNS[cell](In, H, num_layers=num_layers, batch_first=True).double()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((B, T, In))
    h0 = rng.standard_normal((num_layers, B, H))
    c0 = rng.standard_normal((num_layers, B, H))
    hx = (torch.from_numpy(h0), torch.from_numpy(c0)) if cell == "lstm" else torch.from_numpy(h0)
    with torch.no_grad():
        out_t, final_t = rnn(torch.from_numpy(x), hx)

    sd = {k: to_numpy(v) for k, v in rnn.state_dict().items()}
    out = x
    for i in range(num_layers):
        layer = CELLS[cell](*(sd[f"{k}_l{i}"] for k in PARAM_NAMES))
        out, final, _ = layer.forward(out, (h0[i], c0[i]) if cell == "lstm" else h0[i])
        if cell == "lstm":
            assert_close(final[0], final_t[0][i])
            assert_close(final[1], final_t[1][i])
        else:
            assert_close(final, final_t[i])
    assert_close(out, out_t)


class TorchCharModel(nn.Module):
    def __init__(self, cell, V, E, H, L):
        super().__init__()
        self.embed = nn.Embedding(V, E)
        self.rnn = TORCH_RNNS[cell](E, H, num_layers=L, batch_first=True)
        self.head = nn.Linear(H, V)

    def forward(self, tokens, state):
        out, state = self.rnn(self.embed(tokens), state)
        return self.head(out), state


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_model_loss_and_grads_match_torch(cell, num_layers):
    V, E, H, B, T = 11, 4, 6, 3, 7
    model = NumpyCharModel(V, cell, H, E, num_layers, seed=1, dtype=np.float64)
    tmodel = TorchCharModel(cell, V, E, H, num_layers).double()
    assert set(tmodel.state_dict()) == set(model.params)
    tmodel.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in model.params.items()})

    rng = np.random.default_rng(2)
    tokens = rng.integers(0, V, (B, T))
    targets = rng.integers(0, V, (B, T))
    state = model.init_state(B)
    # run one chunk first so the second starts from a nonzero carried state
    _, _, state = model.loss_and_grads(tokens, targets, state)
    loss, grads, new_state = model.loss_and_grads(targets, tokens, state)

    tstate = tuple(map(torch.from_numpy, state)) if cell == "lstm" else torch.from_numpy(state)
    logits_t, new_state_t = tmodel(torch.from_numpy(targets), tstate)
    loss_t = nn.functional.cross_entropy(logits_t.reshape(-1, V), torch.from_numpy(tokens.ravel()))
    loss_t.backward()

    assert loss == pytest.approx(loss_t.item(), abs=TOL)
    for k, p in tmodel.named_parameters():
        assert_close(grads[k], p.grad)
    if cell == "lstm":
        assert_close(new_state[0], new_state_t[0])
        assert_close(new_state[1], new_state_t[1])
    else:
        assert_close(new_state, new_state_t)
    logits, _ = model.forward(targets, state)
    assert_close(logits, logits_t)


def test_model_param_shapes_match_torch():
    model = NumpyCharModel(13, "gru", hidden_size=8, embed_size=5, num_layers=3, dtype=np.float32)
    tmodel = TorchCharModel("gru", 13, 5, 8, 3)
    shapes = {k: tuple(v.shape) for k, v in tmodel.state_dict().items()}
    assert {k: v.shape for k, v in model.params.items()} == shapes
    assert all(v.dtype == np.float32 for v in model.params.values())


def random_params_and_grads(n_steps):
    rng = np.random.default_rng(0)
    params = {"a": rng.standard_normal((3, 4)), "b": rng.standard_normal(5)}
    grads = [{k: rng.standard_normal(v.shape) for k, v in params.items()} for _ in range(n_steps)]
    return params, grads


OPTIMIZERS = [
    (lambda: Adam(lr=0.01), lambda ps: torch.optim.Adam(ps, lr=0.01)),
    (
        lambda: Adam(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
        lambda ps: torch.optim.AdamW(ps, lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
    ),
    (lambda: Adagrad(lr=0.1), lambda ps: torch.optim.Adagrad(ps, lr=0.1)),
]


@pytest.mark.parametrize(("make_np", "make_torch"), OPTIMIZERS, ids=["adam", "adamw", "adagrad"])
def test_optimizers_match_torch(make_np, make_torch):
    params, grads = random_params_and_grads(4)
    tparams = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    opt, topt = make_np(), make_torch(list(tparams.values()))
    for g in grads:
        opt.step(params, g)
        for k, p in tparams.items():
            p.grad = torch.from_numpy(g[k])
        topt.step()
        for k in params:
            assert_close(params[k], tparams[k], tol=1e-12)


@pytest.mark.parametrize("make_np", [o[0] for o in OPTIMIZERS], ids=["adam", "adamw", "adagrad"])
def test_optimizer_resume_is_exact(make_np):
    params, grads = random_params_and_grads(4)
    opt = make_np()
    for g in grads[:2]:
        opt.step(params, g)
    saved_params = {k: v.copy() for k, v in params.items()}
    resumed = make_np()
    resumed.load_state_dict(opt.state_dict())
    for g in grads[2:]:
        opt.step(params, g)
        resumed.step(saved_params, g)
    for k in params:
        np.testing.assert_array_equal(params[k], saved_params[k])


@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_torch(max_norm):
    _, (grads,) = random_params_and_grads(1)
    tparams = [torch.zeros(v.shape, dtype=torch.float64) for v in grads.values()]
    for p, g in zip(tparams, grads.values(), strict=True):
        p.grad = torch.from_numpy(g.copy())
    total_t = torch.nn.utils.clip_grad_norm_(tparams, max_norm)
    total = clip_grad_norm(grads, max_norm)
    assert total == pytest.approx(total_t.item(), rel=1e-12)
    for p, g in zip(tparams, grads.values(), strict=True):
        assert_close(g, p.grad, tol=1e-12)


def imported_modules(path: Path) -> set[str]:
    """Absolute modules a file imports; relative imports are reported as '.' * level + module."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add("." * node.level + (node.module or ""))
    return names


def test_subpackage_imports_only_numpy_and_stdlib():
    files = sorted(PACKAGE_DIR.glob("*.py"))
    assert files
    for path in files:
        for name in imported_modules(path):
            top = name.split(".")[0]
            ok = (
                top in ("numpy", "__future__")
                or top in sys.stdlib_module_names
                or (name.startswith(".") and not name.startswith(".."))  # within numpy_rnn
            )
            assert ok, f"{path.name} imports {name}"


def test_loading_subpackage_does_not_import_torch():
    """Load rnnkit/numpy_rnn on its own (bypassing rnnkit/__init__, which may import torch)."""
    code = f"""
import importlib.util, sys
import numpy as np
spec = importlib.util.spec_from_file_location(
    "numpy_rnn", {str(PACKAGE_DIR / "__init__.py")!r},
    submodule_search_locations=[{str(PACKAGE_DIR)!r}])
module = importlib.util.module_from_spec(spec)
sys.modules["numpy_rnn"] = module
spec.loader.exec_module(module)
tokens = np.zeros((1, 2), dtype=int)
module.NumpyCharModel(5, "lstm", 4, 3).loss_and_grads(tokens, tokens)
assert "torch" not in sys.modules, "torch was imported"
"""
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
