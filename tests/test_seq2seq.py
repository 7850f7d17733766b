"""Sequence to sequence: the network's attention and padding, decoding, the estimator's life
(overfit, save -> load, resume), the pair readers and the command line."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from conftest import assert_same_weights, interrupt_at
from rnnkit import Seq2Seq
from rnnkit.cli import cli
from rnnkit.core import checkpoint
from rnnkit.data import catalog
from rnnkit.data.pairs import (
    DATE_FORMATS,
    Pair,
    cmudict_split,
    dates,
    read_cmudict,
    read_date,
    read_pairs,
    reversals,
)
from rnnkit.decoding.beam import beam_search, greedy
from rnnkit.errors import RnnkitError
from rnnkit.models.seq2seq import BOS, EOS, Seq2SeqConfig, Seq2SeqNet
from rnnkit.seq2seq.learner import Seq2SeqLearner, padded

SHARED = Path("/work/shared/data")
#: A tiny network: a test trains it in a second or two.
SMALL = {"hidden_size": 32, "embed_size": 8, "dropout": 0.0, "warmup_steps": 5, "lr": 0.02}
#: Words and their phonemes, the second of "read" an alternate.
G2P = [
    ("cat", "K AE1 T"),
    ("act", "AE1 K T"),
    ("tack", "T AE1 K"),
    ("read", "R EH1 D"),
    ("read", "R IY1 D"),
    ("dear", "D IH1 R"),
    ("dare", "D EH1 R"),
    ("tea", "T IY1"),
]


def _net(
    cell: str = "gru", attention: str | None = "bahdanau", seed: int = 0, feeding: bool = False
) -> Seq2SeqNet:
    torch.manual_seed(seed)
    config = Seq2SeqConfig(
        12, 10, cell, hidden_size=16, embed_size=8, attention=attention, input_feeding=feeding
    )
    return Seq2SeqNet(config).eval()


def _sources(seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(4, 12, size=n) for n in (5, 2, 7, 1, 4)]


def _batch(sources: list[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    lengths = torch.tensor([len(s) for s in sources])
    return padded(sources, int(lengths.max()), [], []), lengths


# --------------------------------------------------------------------------------- network
@pytest.mark.parametrize(("attention", "feeding"), [("bahdanau", False), ("luong", True)])
def test_attention_sums_to_one_and_ignores_padding(attention: str, feeding: bool) -> None:
    net = _net(attention=attention, feeding=feeding)
    sources = _sources()
    src, lengths = _batch(sources)
    target = torch.randint(4, 10, (len(sources), 3))
    _, _, weights = net.decode(target, net.encode(src, lengths))
    assert weights is not None
    torch.testing.assert_close(weights.sum(-1), torch.ones(len(sources), 3))
    for row, n in enumerate(lengths.tolist()):
        assert bool(weights[row, :, n:].eq(0).all())
    garbage = src.clone()
    garbage[src == 0] = 7  # whatever sits in the padding changes nothing
    _, _, again = net.decode(target, net.encode(garbage, lengths))
    assert again is not None
    torch.testing.assert_close(again, weights)


@pytest.mark.parametrize(
    ("cell", "attention", "feeding"),
    [("gru", "bahdanau", False), ("lstm", "luong", False), ("gru", "bahdanau", True)],
)
def test_padded_batch_equals_one_at_a_time(cell: str, attention: str, feeding: bool) -> None:
    net = _net(cell, attention, feeding=feeding)
    sources = _sources(1)
    target = torch.randint(4, 10, (len(sources), 4))
    together = net(*_batch(sources), target)
    for row, source in enumerate(sources):
        alone = net(*_batch([source]), target[row : row + 1])
        torch.testing.assert_close(alone[0], together[row], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize(
    ("cell", "attention", "feeding"),
    [
        ("lstm", "bahdanau", False),
        ("lstm", None, False),
        ("lstm", "luong", True),
        ("gru", "bahdanau", True),
    ],
)
def test_step_by_step_equals_teacher_forced(
    cell: str, attention: str | None, feeding: bool
) -> None:
    net = _net(cell, attention, feeding=feeding)
    sources = _sources(2)
    target = torch.randint(4, 10, (len(sources), 5))
    forced = torch.log_softmax(net(*_batch(sources), target), dim=-1)
    state = net.encode(*_batch(sources))
    for t in range(target.shape[1]):
        logp, state, _ = net.step(target[:, t], state)
        torch.testing.assert_close(logp, forced[:, t], atol=1e-5, rtol=1e-5)


def test_input_feeding_reads_the_last_attentional_output() -> None:
    net = _net(feeding=True)
    state = net.encode(*_batch(_sources(3)))
    first = net.step(torch.full((5,), 4), state)[0]
    fed = (*state[:4], torch.ones_like(state[4]))  # the same step after another attended output
    assert not torch.allclose(net.step(torch.full((5,), 4), fed)[0], first)
    with pytest.raises(RnnkitError, match="needs an attention"):
        Seq2SeqConfig(12, 10, attention=None, input_feeding=True)
    assert Seq2Seq(attention=None).arch["input_feeding"] is False


def test_label_smoothing_is_the_mixture_of_cross_entropy_and_the_uniform_target() -> None:
    """The training loss with smoothing eps is (1 - eps) * cross-entropy + eps * the mean of
    -log p over the target vocabulary, at each real (non-padding) target position."""
    from rnnkit.seq2seq.learner import Optimisation, make_batch

    sources = [np.array([4, 5, 6]), np.array([7, 8])]
    targets = [np.array([5, 6]), np.array([9, 4, 8])]
    batch, eps = make_batch(sources, targets), 0.2
    torch.manual_seed(5)
    net = Seq2SeqNet(Seq2SeqConfig(12, 10, hidden_size=16, embed_size=8, dropout=0.0))
    with torch.no_grad():  # the reference, from the weights the learner's step starts from
        logp = torch.log_softmax(net(batch.source, batch.lengths, batch.target_in), -1)
    real = batch.target_out != 0
    nll = -logp.gather(-1, batch.target_out.unsqueeze(-1)).squeeze(-1)[real]
    expected = ((1 - eps) * nll + eps * -logp.mean(-1)[real]).mean()
    learner = Seq2SeqLearner(net, sources, targets, Optimisation(label_smoothing=eps))
    assert learner.train_step(batch, lr=0.0) == pytest.approx(float(expected), rel=1e-5)
    with pytest.raises(RnnkitError, match="label_smoothing"):
        Seq2Seq(label_smoothing=1.0)


# --------------------------------------------------------------------------------- decoding
def test_beam_one_is_greedy_and_beams_are_in_score_order() -> None:
    net = _net("gru", "luong", seed=3)
    sources = _sources(3)
    greedy_hyps = greedy(net.step, net.encode(*_batch(sources)), BOS, EOS, max_length=12)
    for source, g in zip(sources, greedy_hyps, strict=True):
        state = net.encode(*_batch([source]))
        one = beam_search(net.step, state, BOS, EOS, beam=1, max_length=12)
        assert one[0].tokens == g.tokens and one[0].score == pytest.approx(g.score, abs=1e-5)
        five = beam_search(net.step, net.encode(*_batch([source])), BOS, EOS, 5, 12)
        assert len(five) == 5
        assert [h.score for h in five] == sorted((h.score for h in five), reverse=True)


def test_beam_scores_are_the_models_normalised_log_probabilities() -> None:
    net = _net("gru", "bahdanau", seed=4)
    source = _sources(4)[0]
    for h in beam_search(net.step, net.encode(*_batch([source])), BOS, EOS, 4, 10, alpha=0.7):
        ids = [*h.tokens, EOS] if h.finished else h.tokens
        with torch.no_grad():
            logp = torch.log_softmax(net(*_batch([source]), torch.tensor([[BOS, *ids[:-1]]])), -1)
        total = float(logp[0, torch.arange(len(ids)), torch.tensor(ids)].sum())
        assert h.log_prob == pytest.approx(total, abs=1e-4)
        assert h.score == pytest.approx(total / len(ids) ** 0.7, abs=1e-4)
        assert h.attention is not None and h.attention.shape == (len(ids), len(source))


# --------------------------------------------------------------------------------- estimator
def test_overfits_a_tiny_g2p_set_exactly() -> None:
    m = Seq2Seq(**SMALL, target_unit="tokens").fit(G2P, validation=G2P, steps=250, quiet=True)
    words = list(dict.fromkeys(w for w, _ in G2P))
    out = m.translate(words)
    truth = {w: {p for v, p in G2P if v == w} for w in words}
    assert all(o in truth[w] for w, o in zip(words, out, strict=True)), out
    report = m.evaluate(G2P)
    assert report["exact_match"] == 1.0 and report["token_error_rate"] == 0.0
    assert report["pairs"] == len(words) and report["unit"] == "tokens"
    hyps = m.hypotheses("read", beam=3)
    assert len(hyps) == 3 and [s for _, s in hyps] == sorted((s for _, s in hyps), reverse=True)
    assert hyps[0][0] in truth["read"]
    found = m.translate("cat", return_attention=True)
    assert found.output == ["K", "AE1", "T", "</s>"] and found.attention.shape == (4, 3)


def test_save_load_same_outputs(tmp_path: Path) -> None:
    m = Seq2Seq(**SMALL, attention="luong", cell="lstm")
    m.fit(G2P, validation=G2P, steps=30, quiet=True)
    m.save(tmp_path / "m")
    again = Seq2Seq.load(tmp_path / "m")
    words = ["cat", "dare", "tead"]
    assert again.translate(words, beam=3) == m.translate(words, beam=3)
    assert again.evaluate(G2P) == m.evaluate(G2P)
    assert again.info()["kind"] == "seq2seq" and again.info()["attention"] == "luong"


def test_input_feeding_saves_and_older_checkpoints_read_without_it(tmp_path: Path) -> None:
    fed = Seq2Seq(**SMALL, input_feeding=True).fit(G2P, validation=G2P, steps=30, quiet=True)
    fed.save(tmp_path / "fed")
    assert Seq2Seq.load(tmp_path / "fed").translate(["cat", "dare"]) == fed.translate(
        ["cat", "dare"]
    )
    plain = Seq2Seq(**SMALL).fit(G2P, validation=G2P, steps=30, quiet=True)
    plain.save(tmp_path / "plain")
    config_path = tmp_path / "plain" / "config.json"
    config = json.loads(config_path.read_text())
    del config["model"]["input_feeding"]  # as written before the option existed
    config_path.write_text(json.dumps(config))
    older = Seq2Seq.load(tmp_path / "plain")
    assert older.arch["input_feeding"] is False
    assert older.translate(["cat", "dare"]) == plain.translate(["cat", "dare"])
    config["model"]["gated_memory"] = True  # what a newer rnnkit might write
    config_path.write_text(json.dumps(config))
    with pytest.raises(RnnkitError, match=r"unknown field.*gated_memory.*newer rnnkit"):
        Seq2Seq.load(tmp_path / "plain")


def test_ctrl_c_then_resume_equals_uninterrupted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = {**SMALL, "dropout": 0.2, "batch_size": 4, "evals": 3}
    Seq2Seq(**settings).fit(G2P, steps=18, out_dir=tmp_path / "whole", quiet=True)
    with monkeypatch.context() as patch:
        interrupt_at(patch, Seq2SeqLearner, at_step=7)
        half = Seq2Seq(**settings).fit(G2P, steps=18, out_dir=tmp_path / "half", quiet=True)
    assert half.info()["stats"]["interrupted"] and half.info()["stats"]["steps"] == 7
    resumed = Seq2Seq.resume(tmp_path / "half", G2P, quiet=True)
    assert resumed.info()["stats"]["steps"] == 18
    assert_same_weights(tmp_path / "half", tmp_path / "whole")
    with pytest.raises(RnnkitError, match="not the data"):
        Seq2Seq.resume(tmp_path / "half", G2P[:-1], quiet=True)
    with pytest.raises(RnnkitError, match="in memory"):
        Seq2Seq.resume(tmp_path / "half", quiet=True)


def test_unknown_symbols_warn_and_empty_sources_fail() -> None:
    m = Seq2Seq(**SMALL).fit(G2P, steps=2, quiet=True)
    with pytest.warns(UserWarning, match="'z', 'q'"):
        m.translate("zaq")
    with pytest.raises(RnnkitError, match="source 2 is empty"):
        m.translate(["cat", ""])
    with pytest.raises(RnnkitError, match="no attention"):
        Seq2Seq(**SMALL, attention=None).fit(G2P, steps=2, quiet=True).plot_attention("cat", "x")
    with pytest.raises(RnnkitError, match="attention must be"):
        Seq2Seq(attention="dot")


# --------------------------------------------------------------------------------- data
def test_tsv_and_jsonl_files(tmp_path: Path) -> None:
    tsv = tmp_path / "pairs.tsv"
    tsv.write_text("cat\tK AE1 T\n\nread\tR EH1 D\nread\tR IY1 D\n", encoding="utf-8")
    assert read_pairs(tsv)[1] == Pair("read", ("R EH1 D", "R IY1 D"))
    jsonl = tmp_path / "pairs.jsonl"
    jsonl.write_text('{"source": "a", "targets": ["AH0", "EY1"]}\n', encoding="utf-8")
    assert read_pairs(jsonl) == [Pair("a", ("AH0", "EY1"))]
    tsv.write_text("cat\tK AE1 T\ndog D AO1 G\n", encoding="utf-8")
    with pytest.raises(RnnkitError, match="line 2 has no tab"):
        read_pairs(tsv)
    jsonl.write_text('{"source": "a"}\n', encoding="utf-8")
    with pytest.raises(RnnkitError, match="line 1 needs"):
        read_pairs(jsonl)


def test_cmudict_reader_alternates_comments_and_stable_split() -> None:
    text = "aalborg AO1 L B AO0 R G # place, danish\naalborg(2) AA1 L B AO0 R G\n;;; x\nb B IY1\n"
    splits = read_cmudict(text)
    pairs = {p.source: p for part in splits.values() for p in part}
    assert pairs["aalborg"].targets == ("AO1 L B AO0 R G", "AA1 L B AO0 R G")
    assert pairs["b"].targets == ("B IY1",) and len(pairs) == 2
    for word in ("aalborg", "b", "kitten", "recurrent"):
        bucket = int.from_bytes(hashlib.sha256(word.encode()).digest()[:4], "big") % 1000
        expected = "test" if bucket < 50 else "validation" if bucket < 100 else "train"
        assert cmudict_split(word) == expected
    assert pairs["aalborg"] in splits[cmudict_split("aalborg")]


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared data mirror is absent")
def test_cmudict_registry_set_from_the_shared_mirror() -> None:
    mirror = SHARED
    test = catalog.load("cmudict", "test", data_dir=mirror)
    train = catalog.load("cmudict", "train", data_dir=mirror)
    assert not {p.source for p in test} & {p.source for p in train}
    assert 0.04 < len(test) / (len(test) + len(train)) < 0.06


def test_dates_are_deterministic_and_read_back() -> None:
    assert dates(200, seed=5) == dates(200, seed=5) != dates(200, seed=6)
    assert len(DATE_FORMATS) >= 10
    for pair in dates(400, seed=1):
        assert read_date(pair.source).isoformat() == pair.targets[0]
    assert read_date("01/02/69") == dt.date(1969, 1, 2)  # %y: 69-99 are 19xx
    assert read_date("01/02/68") == dt.date(2068, 1, 2)  # 00-68 are 20xx
    fixed = catalog.load("dates", "test")
    assert fixed == catalog.load("dates", "test") and len(fixed) == 2000
    assert not {p.source for p in fixed} & {p.source for p in catalog.load("dates", "train")}


def test_reversals() -> None:
    pairs = reversals(100, seed=0)
    assert all(p.targets == (p.source[::-1],) and 5 <= len(p.source) <= 40 for p in pairs)
    assert pairs == reversals(100, seed=0)


# --------------------------------------------------------------------------------- command line
def test_command_line_train_translate_evaluate_info(tmp_path: Path) -> None:
    tsv = tmp_path / "g2p.tsv"
    tsv.write_text("".join(f"{w}\t{p}\n" for w, p in G2P), encoding="utf-8")
    out = tmp_path / "run"
    flags = ["--hidden-size", "16", "--embed-size", "8", "--target-unit", "tokens", "--quiet"]
    runner = CliRunner()
    trained = runner.invoke(
        cli, ["train", "seq2seq", str(tsv), "--steps", "4", "--out", str(out), *flags]
    )
    assert trained.exit_code == 0, trained.output
    assert "done: 4 steps" in trained.output
    png = tmp_path / "attn.png"
    args = [
        "translate",
        str(out),
        "cat",
        "tea",
        "--beam",
        "2",
        "--attention-png",
        str(png),
        "--json",
    ]
    translated = runner.invoke(cli, args)
    assert translated.exit_code == 0, translated.output
    lines = [json.loads(line) for line in translated.stdout.splitlines()]
    assert [r["source"] for r in lines] == ["cat", "tea"]
    assert png.is_file() and (tmp_path / "attn-2.png").is_file()
    evaluated = runner.invoke(cli, ["evaluate", str(out), str(tsv), "--json"])
    assert evaluated.exit_code == 0, evaluated.output
    assert json.loads(evaluated.stdout)["pairs"] == 7
    styled = runner.invoke(cli, ["evaluate", str(out), str(tsv), "--style", "sonnets"])
    assert styled.exit_code == 2 and "not a seq2seq" in styled.stderr
    info = runner.invoke(cli, ["info", str(out)])
    assert info.exit_code == 0 and "seq2seq" in info.stdout
    empty = runner.invoke(cli, ["translate", str(out), ""])
    assert empty.exit_code == 2 and "empty" in empty.stderr and "Traceback" not in empty.output
    other = tmp_path / "ck"
    checkpoint.save(checkpoint.Checkpoint({"kind": "classifier"}, {}, {}), other)
    foreign = runner.invoke(cli, ["translate", str(other), "cat"])
    assert foreign.exit_code == 2 and "not a 'seq2seq'" in foreign.stderr
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        unknown = runner.invoke(cli, ["translate", str(out), "zzz"])
    assert unknown.exit_code == 0
