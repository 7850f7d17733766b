"""WordLM: word vocabulary, <unk> handling, perplexity sanity, registry splits, save/load and
resume identity with the AWD regularisers on, and the CLI at the word level."""

from __future__ import annotations

import hashlib
import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from torch import nn

from conftest import assert_same_weights, interrupt_at
from rnnkit import CharLM, RnnkitError
from rnnkit.cli import cli
from rnnkit.data import catalog
from rnnkit.data.registry import DataFile, Dataset
from rnnkit.data.tokenize import Tokenizer
from rnnkit.data.vocab import EOS, UNK, WordVocab
from rnnkit.lm.learner import TorchLMLearner, stream_loss
from rnnkit.lm.wordlm import WordLM, adaptive_cutoffs
from rnnkit.models.adaptive import TiedAdaptiveSoftmax
from rnnkit.models.recurrent_lm import ModelConfig, RecurrentLM

WORDS = "the cat sat on the mat . the dog sat on the log . a bird sang in the tree ."
TEXT = "\n".join(" ".join(WORDS.split()[i % 7 :] + WORDS.split()[: i % 7]) for i in range(60))
TEXT += "\n"
SMALL = {"hidden_size": 24, "embed_size": 12, "seq_len": 8, "batch_size": 4, "warmup_steps": 2}
AWD = {"dropout": 0.2, "input_dropout": 0.3, "embed_dropout": 0.1, "weight_drop": 0.3}


def _fit(steps: int = 20, out: Path | None = None, **kw: object) -> WordLM:
    return WordLM(**{**SMALL, **kw}).fit(TEXT, steps=steps, out_dir=out, quiet=True)


def test_vocab_counts_caps_and_round_trips() -> None:
    v = WordVocab.from_text("b a a c\na b\n")  # a: 3, b: 2, eos: 2, c: 1
    assert v.tokens == ["a", "<eos>", "b", "c", "<unk>"]
    assert WordVocab.from_text("b a a c\na b\n", min_count=2).tokens == ["a", "<eos>", "b", UNK]
    capped = WordVocab.from_text("b a a c\na b\n", max_size=3)
    assert capped.tokens == ["a", "<eos>", UNK] and len(capped) == 3
    prose = Tokenizer("words", lowercase=True, words_only=True)
    raw = WordVocab.from_text("Alice said: 'Curiouser!'\n", tokenizer=prose)
    for vocab in (v, capped, raw):
        again = WordVocab.from_json(vocab.to_json())
        assert again == vocab and again.tokenize("Alice, SAID") == vocab.tokenize("Alice, SAID")
    with pytest.raises(RnnkitError):
        WordVocab.from_json({"type": "char", "tokens": ["a"]})


def test_unknown_words_become_unk_and_are_named() -> None:
    v = WordVocab.from_text("the cat\n")
    assert v.decode(v.encode("the zebra\n")) == f"the {UNK} {EOS}"
    assert v.unknown("the zebra and the gnu") == ["zebra", "and", "gnu"]
    ids, unknown = v.encode_prompt("the zebra")
    assert v.decode(ids) == f"the {UNK}" and unknown == ["zebra"]
    assert v.decode(v.encode_prompt("")[0]) == EOS  # start as a new line starts
    assert v.decode(v.encode_prompt("the cat\n")[0]) == f"the cat {EOS}"  # a finished line


def test_uniform_model_perplexity_equals_vocab_size() -> None:
    model = RecurrentLM(ModelConfig(vocab_size=37, embed_size=8, hidden_size=8)).double()
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.zero_()
    ids = np.random.default_rng(0).integers(0, 37, 500)
    assert math.exp(stream_loss(model, ids, seq_len=16)) == pytest.approx(37, rel=1e-6)


@pytest.mark.parametrize("tie", [False, True])
def test_adaptive_head_is_a_normalised_distribution_and_matches_its_loss(tie: bool) -> None:
    torch.manual_seed(0)
    model = RecurrentLM(
        ModelConfig(
            vocab_size=50, embed_size=8, hidden_size=32, adaptive_cutoffs=[10, 30], tie_weights=tie
        )
    ).eval()
    tokens = torch.randint(0, 50, (3, 9))
    features, _ = model.features(tokens)
    logp = model.logits(features)  # [3, 9, 50] log-probabilities
    torch.testing.assert_close(logp.exp().sum(-1), torch.ones(3, 9))
    targets = torch.randint(0, 50, (3, 9))
    targets[0, :6] = torch.tensor([0, 9, 10, 29, 30, 49])  # each side of each cluster bound
    picked = -logp.gather(-1, targets.unsqueeze(-1)).mean()
    torch.testing.assert_close(model.nll(features, targets), picked)
    assert adaptive_cutoffs(33278) == [2000, 10000] and adaptive_cutoffs(1000) == []


def test_tied_adaptive_head_scores_words_with_the_embedding_rows() -> None:
    torch.manual_seed(0)
    config = ModelConfig(
        vocab_size=40, embed_size=6, hidden_size=6, adaptive_cutoffs=[8, 20], tie_weights=True
    )
    model = RecurrentLM(config).eval()
    tied = model.head
    assert isinstance(tied, TiedAdaptiveSoftmax)
    assert not any(p.dim() == 2 and p.shape[0] == 40 for p in tied.parameters())
    with torch.no_grad():
        tied.bias.normal_()  # zero at the start: give each word its own, to check the slices
    features, _ = model.features(torch.randint(0, 40, (2, 5)))  # [2, 5, 6]
    logp = model.logits(features)  # [2, 5, 40]
    # Within a cluster, odds between words are those of their embedding rows and biases ...
    score = features @ model.embed.weight.T + tied.bias  # [2, 5, 40]
    for a, b in ((2, 5), (9, 17), (25, 38)):
        torch.testing.assert_close(logp[..., a] - logp[..., b], score[..., a] - score[..., b])
    # ... and each tail gets the mass of its entry in the head softmax.
    head = torch.cat([score[..., :8], tied.cluster(features)], -1).log_softmax(-1)
    torch.testing.assert_close(logp[..., 8:20].logsumexp(-1), head[..., 8])
    torch.testing.assert_close(logp[..., 20:].logsumexp(-1), head[..., 9])
    # With the features detached, the loss reaches the embedding through the output side.
    model.train()
    model.nll(features.detach(), torch.full((2, 5), 33)).backward()
    assert model.embed.weight.grad is not None and model.embed.weight.grad[33].abs().sum() > 0


def test_large_vocabularies_get_an_adaptive_head_tied_to_the_embedding_or_not() -> None:
    def head(vocab_size: int, **options: object) -> type:
        lm = WordLM(**options)
        arch, _ = lm._resolved(None)  # the defaults, "auto" filled in
        return type(RecurrentLM(lm._model_config(vocab_size, arch)).head)

    assert head(6000, tie_weights=True) is TiedAdaptiveSoftmax
    assert head(6000, tie_weights=False) is nn.AdaptiveLogSoftmaxWithLoss
    assert head(4000) is nn.Linear and head(6000, adaptive=False) is nn.Linear


def test_learns_generates_exact_sizes_and_reports_unknown_prompt_words() -> None:
    lm = _fit(steps=150, lr=1e-2)
    assert lm.info()["stats"]["best_val_loss"] < math.log(len(lm.vocab_ or []))  # beats uniform
    text = lm.generate(n_words=25, seed=3)
    assert len(text.split()) == 25
    lines = lm.generate(n_lines=4, seed=3, temperature=0.5)
    assert lines.count("\n") == 3
    with pytest.warns(UserWarning, match="zebra"):
        lm.generate(n_words=3, prompt="the zebra sat", seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a known prompt warns of nothing
        lm.generate(n_words=3, prompt="the dog", seed=1)
    assert "".join(lm.stream(n_words=9, seed=4)) == lm.generate(n_words=9, seed=4)
    assert "".join(lm.stream(n_lines=3, seed=4)) == lm.generate(n_lines=3, seed=4)
    text = lm.generate(n_lines=5, seed=6)
    first_line_end = text.split("\n")[0].split()[-1] + "\n"  # a stop that ends a line matches
    assert (
        lm.generate(n_lines=5, seed=6, stop=first_line_end)
        == text.split("\n")[0][: -len(first_line_end) + 1]
    )
    for bad in ({"n_words": 0}, {}, {"n_words": 2, "n_lines": 2}):
        with pytest.raises(RnnkitError):
            lm.generate(**bad)


def test_save_load_gives_identical_outputs(tmp_path: Path) -> None:
    lm = _fit(steps=15, **AWD)
    lm.save(tmp_path / "m")
    again = WordLM.load(tmp_path / "m")
    assert again.vocab_ == lm.vocab_ and again.model_ is not None
    assert again.generate(n_words=30, seed=5) == lm.generate(n_words=30, seed=5)
    assert again.evaluate(TEXT)["perplexity"] == lm.evaluate(TEXT)["perplexity"]
    with pytest.raises(RnnkitError, match="not a 'word_lm'"):
        WordLM.load(
            CharLM(hidden_size=8, seq_len=8, batch_size=2)
            .fit(TEXT, steps=1, quiet=True)
            .save(tmp_path / "c")
            or tmp_path / "c"
        )


GPU = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=GPU)])
@pytest.mark.parametrize("adaptive, tie", [(False, True), (True, True), (True, False)])
def test_ctrl_c_then_resume_equals_uninterrupted_with_regularisers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, adaptive: bool, tie: bool, device: str
) -> None:
    # Every AWD regulariser draws from the RNG (on a GPU, the GPU's own): the restored RNG
    # states must replay them all.
    settings = {**AWD, "adaptive": adaptive, "tie_weights": tie, "evals": 3, "device": device}

    def cutoffs(size: int) -> list[int]:  # TEXT has 15 words: too few for the real bounds
        return [4, 9] if size > 9 else []

    monkeypatch.setattr("rnnkit.lm.wordlm.adaptive_cutoffs", cutoffs)
    whole = _fit(steps=16, out=tmp_path / "whole", **settings)
    heads = {(False, True): nn.Linear, (True, True): TiedAdaptiveSoftmax}
    assert type(whole.model_.head) is heads.get((adaptive, tie), nn.AdaptiveLogSoftmaxWithLoss)
    with monkeypatch.context() as m:
        interrupt_at(m, TorchLMLearner, at_step=8)
        half = _fit(steps=16, out=tmp_path / "half", **settings)
    assert half.info()["stats"]["interrupted"] and half.info()["stats"]["steps"] == 8
    assert WordLM.resume(tmp_path / "half", TEXT, quiet=True).info()["stats"]["steps"] == 16
    assert_same_weights(tmp_path / "half", tmp_path / "whole")


def test_registry_splits_train_validate_and_evaluate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mirror = tmp_path / "mirror"
    (mirror / "toyptb").mkdir(parents=True)
    files = []
    for split, body in (("train", TEXT), ("valid", TEXT[:400]), ("test", TEXT[400:800])):
        (mirror / "toyptb" / f"toy.{split}.txt").write_text(body)
        sha = hashlib.sha256(body.encode()).hexdigest()
        files.append(DataFile(f"toyptb/toy.{split}.txt", f"https://example.org/{split}", sha))
    toy = Dataset(
        name="toyptb",
        description="toy token files",
        license="CC0",
        files=tuple(files),
        splits=("train", "validation", "test"),
        loader=catalog._load_train_valid_test,
    )
    monkeypatch.setitem(catalog.DATASETS, "toyptb", toy)
    monkeypatch.setenv("RNNKIT_DATA", str(mirror))
    monkeypatch.setenv("RNNKIT_CACHE", str(tmp_path / "cache"))
    lm = WordLM(**SMALL).fit("toyptb", steps=5, quiet=True)
    assert lm.info()["corpus"]["source"] == "toyptb"
    result = lm.evaluate("toyptb:test")
    assert result["words"] == len(Tokenizer("words").split(TEXT[400:800]))
    assert result["perplexity"] == pytest.approx(math.exp(result["loss"]))
    with pytest.raises(RnnkitError, match="no split 'dev'"):
        lm.evaluate("toyptb:dev")


def test_cli_trains_generates_evaluates_and_describes(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(TEXT)
    out = tmp_path / "wm"
    runner = CliRunner()
    args = ["train", str(corpus), "--level", "word", "--out", str(out), "--steps", "6"]
    sizes = ["--hidden-size", "16", "--embed-size", "8", "--seq-len", "8", "--batch-size", "4"]
    result = runner.invoke(cli, [*args, *sizes, "--weight-drop", "0.2", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "nats/word" in result.output
    gen = runner.invoke(cli, ["generate", str(out), "--words", "7", "--seed", "1"])
    assert gen.exit_code == 0 and len(gen.output.split()) == 7
    ev = runner.invoke(cli, ["evaluate", str(out), str(corpus)])
    assert ev.exit_code == 0 and "perplexity" in ev.output and "words" in ev.output
    info = runner.invoke(cli, ["info", str(out)])
    assert info.exit_code == 0 and "word_lm" in info.output
    wrong = runner.invoke(cli, ["generate", str(out), "--chars", "7"])
    assert wrong.exit_code == 2 and "use --words" in wrong.output
    unseen = runner.invoke(cli, ["generate", str(out), "--words", "3", "--prompt", "zebra cat"])
    assert unseen.exit_code == 0 and unseen.stderr.splitlines() == [
        "warning: prompt words the model never saw (read as <unk>): zebra"
    ]  # one line, without Python's source file and line
    char_level = runner.invoke(cli, ["train", str(corpus), "--weight-drop", "0.2", "--steps", "1"])
    assert char_level.exit_code == 2 and "need --level word" in char_level.output


def test_word_vectors_initialise_the_embedding(tmp_path: Path) -> None:
    from rnnkit import WordVectors

    lines = [line.split() for line in TEXT.splitlines()]
    wv = WordVectors.train(lines, dim=12, min_count=1, epochs=2, workers=1, seed=1, quiet=True)
    wv.save(tmp_path / "vectors")
    settings = {**SMALL, "embed_size": None, "embeddings": str(tmp_path / "vectors")}
    frozen = WordLM(**settings, freeze_embeddings=True).fit(TEXT, steps=4, quiet=True)
    assert frozen.model_ is not None and frozen.vocab_ is not None
    weight = frozen.model_.embed.weight.detach().numpy()
    for word in ("cat", "tree", "."):
        np.testing.assert_array_equal(weight[frozen.vocab_.tokens.index(word)], wv.vector(word))
    assert EOS in frozen.embedding_oov_ and "cat" not in frozen.embedding_oov_
    tuned = WordLM(**settings).fit(TEXT, steps=4, quiet=True)  # fine-tuned: the rows move
    assert tuned.model_ is not None and tuned.vocab_ is not None
    row = tuned.model_.embed.weight.detach().numpy()[tuned.vocab_.tokens.index("cat")]
    assert not np.array_equal(row, wv.vector("cat"))


def test_regularisation_follows_the_epochs_a_budget_buys() -> None:
    def drop(seconds: float, passes: float, **kw: object) -> tuple[float, float, float]:
        arch, settings = WordLM(**kw)._resolved(seconds, passes)
        assert settings.lr is not None
        return arch["dropout"], arch["weight_drop"], settings.lr

    assert drop(600.0, 1.7) == (0.0, 0.0, 5e-3)  # a large corpus: no dropout
    assert drop(600.0, 5.0) == (0.1, 0.0, 5e-3)  # the same time on a small one: light
    assert drop(1800.0, 15.0) == (0.25, 0.2, 5e-3)  # many epochs: the AWD regularisers
    assert drop(7200.0, 2.0) == (0.0, 0.0, 3e-3)  # rates follow time, dropout epochs
    assert drop(600.0, 15.0, dropout=0.05)[0] == 0.05  # what the user sets is kept


def test_fit_plans_its_epochs_and_records_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lm = WordLM(**SMALL)
    lm.fit(TEXT, epochs=10, quiet=True)
    assert lm.info()["planned_epochs"] == 10 and lm.info()["dropout"] == 0.25
    assert lm.info()["tie_weights"]  # long runs are tied, short ones not
    assert lm._trainer is not None
    per_epoch = lm._trainer.batches.steps_per_epoch
    lm.fit(TEXT, steps=2, quiet=True)  # a second fit plans again
    assert lm.info()["planned_epochs"] == round(2 / per_epoch, 2) and lm.info()["dropout"] == 0
    assert not lm.info()["tie_weights"]

    # A time budget is planned at the speed of a step, measured again with the model chosen.
    probed: list[float] = []

    def seconds_per_step(self: WordLM, vocab_size: int, arch: dict, *rest: object) -> float:
        probed.append(arch["dropout"])
        return 0.6 / (5 * per_epoch)  # 0.6 s buy 5 epochs

    monkeypatch.setattr(WordLM, "_seconds_per_step", seconds_per_step)
    timed = WordLM(**SMALL).fit(TEXT, minutes=0.01, out_dir=tmp_path, quiet=True)
    assert timed.info()["planned_epochs"] == 5.0 and timed.info()["dropout"] == 0.1
    assert probed == [0.0, 0.1]
    assert WordLM.load(tmp_path).info()["planned_epochs"] == 5.0
    mine = WordLM(**SMALL, **AWD, tie_weights=True)  # nothing left to choose
    mine.fit(TEXT, minutes=0.01, quiet=True)
    assert "planned_epochs" not in mine.info() and len(probed) == 2
    # With the dropouts set but not the tying, the plan still chooses the tying.
    dropouts_set = WordLM(**SMALL, **AWD)
    assert dropouts_set.fit(TEXT, epochs=10, quiet=True).info()["tie_weights"]
    assert not dropouts_set.fit(TEXT, steps=2, quiet=True).info()["tie_weights"]
    assert dropouts_set.info()["dropout"] == AWD["dropout"]  # what the user set is kept


def test_the_speed_probe_leaves_the_run_untouched(tmp_path: Path) -> None:
    WordLM(**SMALL).fit(TEXT, minutes=10, steps=5, out_dir=tmp_path / "timed", quiet=True)
    WordLM(**SMALL).fit(TEXT, steps=5, out_dir=tmp_path / "steps", quiet=True)
    assert_same_weights(tmp_path / "timed", tmp_path / "steps")


def test_a_checkpoint_from_before_planning_resumes(tmp_path: Path) -> None:
    _fit(steps=4, out=tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    del config["training"]["planned_epochs"]
    (tmp_path / "config.json").write_text(json.dumps(config))
    again = WordLM.resume(tmp_path, TEXT, steps=6, quiet=True)
    assert again.info()["stats"]["steps"] == 6 and "planned_epochs" not in again.info()
    char = CharLM(hidden_size=8, seq_len=8, batch_size=2).fit(TEXT, steps=1, quiet=True)
    assert "planned_epochs" not in char.info()  # char LM defaults follow time alone
