"""The pytorch/examples ``word_language_model`` recipe, ported for a fixed time budget.

This is the baseline the word-LM benchmark compares with, kept as the example ships it
(``main.py`` defaults): a 2-layer LSTM of 200 units on 200-wide embeddings, dropout 0.2, full
softmax, plain SGD at lr 20 with gradient clipping 0.25, bptt 35, batch 20, the learning rate
divided by 4 whenever an epoch's validation loss fails to improve, and ``--tied`` as an option.
The only change is the stopping rule: training stops when its time budget is spent, as
rnnkit's does (validation time is not counted).
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn


class RNNModel(nn.Module):
    """Encoder -> dropout -> LSTM -> dropout -> decoder, as in the example's model.py."""

    def __init__(self, ntoken: int, ninp: int, nhid: int, nlayers: int, dropout: float, tie: bool):
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie:
            self.decoder.weight = self.encoder.weight
        nn.init.uniform_(self.encoder.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -0.1, 0.1)
        self.nlayers, self.nhid = nlayers, nhid

    def forward(
        self, x: Tensor, hidden: tuple[Tensor, Tensor]
    ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        output, hidden = self.rnn(self.drop(self.encoder(x)), hidden)  # x [T, B]
        return self.decoder(self.drop(output)), hidden

    def init_hidden(self, bsz: int, device: torch.device) -> tuple[Tensor, Tensor]:
        h = torch.zeros(self.nlayers, bsz, self.nhid, device=device)
        return h, h.clone()


def batchify(ids: np.ndarray, bsz: int, device: torch.device) -> Tensor:
    """[N] -> [N // bsz, bsz]: ``bsz`` contiguous columns, the remainder dropped."""
    data = torch.from_numpy(ids[: len(ids) // bsz * bsz]).view(bsz, -1).t().contiguous()
    return data.to(device)


def evaluate(model: RNNModel, data: Tensor, bptt: int = 35) -> float:
    """Mean NLL (nats/word) over ``data`` [N, B], hidden state carried (the example's way)."""
    model.eval()
    total, count = 0.0, 0
    hidden = model.init_hidden(data.shape[1], data.device)
    with torch.no_grad():
        for i in range(0, data.shape[0] - 1, bptt):
            n = min(bptt, data.shape[0] - 1 - i)
            output, hidden = model(data[i : i + n], hidden)
            target = data[i + 1 : i + 1 + n].reshape(-1)
            logits = output.view(-1, output.shape[-1])
            total += F.cross_entropy(logits, target, reduction="sum").item()
            count += target.numel()
    return float(total) / count


def train(
    train_ids: np.ndarray,
    val_ids: np.ndarray,
    ntoken: int,
    seconds: float,
    device: torch.device,
    tie: bool = False,
    bptt: int = 35,
    batch_size: int = 20,
) -> tuple[RNNModel, dict[str, Any]]:
    """Train for ``seconds`` of training time; the best model by epoch validation is kept."""
    torch.manual_seed(1111)  # the example's default seed
    model = RNNModel(ntoken, 200, 200, 2, 0.2, tie).to(device)
    train_data = batchify(train_ids, batch_size, device)
    val_data = batchify(val_ids, 10, device)
    lr, best_val, best_state = 20.0, math.inf, None
    elapsed, tokens, epochs = 0.0, 0, 0
    while elapsed < seconds:
        model.train()
        hidden = model.init_hidden(batch_size, device)
        for i in range(0, train_data.shape[0] - 1, bptt):
            start = time.perf_counter()
            n = min(bptt, train_data.shape[0] - 1 - i)
            hidden = (hidden[0].detach(), hidden[1].detach())  # repackage_hidden
            model.zero_grad()
            output, hidden = model(train_data[i : i + n], hidden)
            target = train_data[i + 1 : i + 1 + n].reshape(-1)
            F.cross_entropy(output.view(-1, ntoken), target).backward()
            nn.utils.clip_grad_norm_(model.parameters(), 0.25)
            with torch.no_grad():
                for p in model.parameters():
                    p.add_(p.grad, alpha=-lr)  # type: ignore[arg-type]
            if device.type == "cuda":
                torch.cuda.synchronize()
            elapsed += time.perf_counter() - start
            tokens += target.numel()
            if elapsed >= seconds:
                break
        else:
            epochs += 1
        val = evaluate(model, val_data)
        if val < best_val:
            best_val, best_state = val, {k: v.clone() for k, v in model.state_dict().items()}
        else:
            lr /= 4.0
    assert best_state is not None
    model.load_state_dict(best_state)
    stats = {"epochs": epochs, "tokens": tokens, "elapsed_s": elapsed, "val_loss": best_val}
    return model, stats
