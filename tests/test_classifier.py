"""The recurrent text classifier: the network against PyTorch's packed sequences, the bucketed
batches, ULMFiT fine-tuning, and the TextClassifier estimator end to end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from conftest import assert_same_weights, interrupt_at
from rnnkit import RnnkitError, TextClassifier, WordLM
from rnnkit.classify.learner import (
    BucketBatches,
    ClassifierLearner,
    FineTuning,
    make_batch,
)
from rnnkit.data.labelled import write_lm_corpus
from rnnkit.models.classifier import ClassifierConfig, ClassifierNet, lm_weights, reverse_within
from rnnkit.models.recurrent_lm import ModelConfig, RecurrentLM

GOOD = ["good", "great", "fine", "lovely", "superb", "wonderful"]
BAD = ["bad", "awful", "poor", "dull", "boring", "terrible"]
FILLER = ["the", "film", "was", "and", "a", "it", "plot", "acting", "story", "this"]


def reviews(n: int, seed: int = 0) -> tuple[list[str], list[str]]:
    """Short synthetic reviews whose label is carried by two sentiment words among filler."""
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for i in range(n):
        label = "pos" if i % 2 == 0 else "neg"
        words = list(rng.choice(FILLER, size=int(rng.integers(3, 12))))
        for _ in range(2):
            words.insert(
                int(rng.integers(0, len(words) + 1)), rng.choice(GOOD if i % 2 == 0 else BAD)
            )
        texts.append(" ".join(words) + rng.choice([" !", " .", ""]))
        labels.append(label)
    return texts, labels


SMALL: dict[str, Any] = {
    "hidden_size": 16,
    "embed_size": 8,
    "min_count": 1,
    "batch_size": 8,
    "lr": 0.02,
    "warmup_steps": 2,
    "evals": 2,
    "val_fraction": 0.2,
}


def _net(**kw: Any) -> ClassifierNet:
    torch.manual_seed(0)
    cfg = {"vocab_size": 30, "num_classes": 3, "hidden_size": 6, "embed_size": 5, "dropout": 0.0}
    return ClassifierNet(ClassifierConfig(**{**cfg, **kw})).eval()


def _padded(lengths: list[int], vocab: int = 30) -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(1)
    ids = torch.randint(1, vocab, (len(lengths), max(lengths)))
    for row, n in enumerate(lengths):
        ids[row, n:] = 0
    return ids, torch.tensor(lengths)


# ----------------------------------------------------------------------------- the network
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_padded_bidirectional_equals_packed_reference(cell: str) -> None:
    net = _net(cell=cell, num_layers=2)
    ref = (nn.LSTM if cell == "lstm" else nn.GRU)(5, 6, 2, batch_first=True, bidirectional=True)
    with torch.no_grad():  # the same weights in PyTorch's own bidirectional stack
        for k in range(2):
            for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(ref, f"{kind}_l{k}").copy_(getattr(net.fwd[k], f"{kind}_l0"))
                assert net.bwd is not None
                getattr(ref, f"{kind}_l{k}_reverse").copy_(getattr(net.bwd[k], f"{kind}_l0"))
    ids, lengths = _padded([7, 3, 5, 1])
    with torch.no_grad():
        ours = net.encode(ids, lengths)
        packed = pack_padded_sequence(
            net.embed(ids), lengths, batch_first=True, enforce_sorted=False
        )
        theirs, _ = pad_packed_sequence(ref(packed)[0], batch_first=True)
    for row, n in enumerate(lengths.tolist()):
        torch.testing.assert_close(ours[row, :n], theirs[row, :n])


def test_reverse_within_is_an_involution() -> None:
    x = torch.randn(3, 6, 2)
    lengths = torch.tensor([6, 2, 4])
    assert torch.equal(reverse_within(reverse_within(x, lengths), lengths), x)
    assert torch.equal(reverse_within(x, lengths)[1, :2], x[1, :2].flip(0))


@pytest.mark.parametrize("pooling", ["last", "max", "mean", "attention", "max+mean+last"])
@pytest.mark.parametrize("bidirectional", [True, False])
def test_padding_never_changes_a_prediction(pooling: str, bidirectional: bool) -> None:
    net = _net(pooling=pooling, bidirectional=bidirectional)
    ids, lengths = _padded([6, 2, 4])
    with torch.no_grad():
        together = net(ids, lengths)
        for row, n in enumerate(lengths.tolist()):  # each text alone, without padding
            alone = net(ids[row : row + 1, :n], lengths[row : row + 1])
            torch.testing.assert_close(alone[0], together[row])
        wider = torch.cat([ids, torch.full((3, 5), 7)], dim=1)  # junk in the padding
        torch.testing.assert_close(net(wider, lengths), together)


def test_last_pooling_reads_the_final_states() -> None:
    net = _net(pooling="last", cell="gru")
    ids, lengths = _padded([5, 2])
    with torch.no_grad():
        features, _ = net._pool(net.encode(ids, lengths), lengths, ids != 0)
        x = net.embed(ids[1:, :2])
        assert net.bwd is not None
        _, h_fwd = net.fwd[0](x)
        _, h_bwd = net.bwd[0](x.flip(1))
    torch.testing.assert_close(features[1], torch.cat([h_fwd[0, 0], h_bwd[0, 0]]))


def test_attention_weights_sum_to_one_and_skip_padding() -> None:
    net = _net(pooling="attention")
    ids, lengths = _padded([4, 2])
    with torch.no_grad():
        _, weights = net.classify(ids, lengths)
    assert weights is not None
    torch.testing.assert_close(weights.sum(1), torch.ones(2))
    assert torch.all(weights[1, 2:] == 0)


def test_layer_groups_hold_every_parameter_once() -> None:
    net = _net(num_layers=2, pooling="attention")
    groups = net.layer_groups()
    assert len(groups) == 4  # embedding, two layers, pooling + head
    flat = [id(p) for g in groups for p in g]
    assert sorted(flat) == sorted(id(p) for p in net.parameters())


def test_bad_configs_are_one_line_errors() -> None:
    with pytest.raises(RnnkitError, match="pooling"):
        ClassifierConfig(vocab_size=5, num_classes=2, pooling="max+median")
    with pytest.raises(RnnkitError, match="at least 2 classes"):
        ClassifierConfig(vocab_size=5, num_classes=1)


def test_language_model_weights_carry_over() -> None:
    torch.manual_seed(0)
    lm = RecurrentLM(ModelConfig(vocab_size=30, embed_size=5, hidden_size=6, num_layers=2))
    net = _net(num_layers=2, bidirectional=False, pooling="last")
    missing = net.load_state_dict(lm_weights(lm.state_dict(), 2), strict=False).missing_keys
    assert all(k.startswith("head.") for k in missing)
    ids, lengths = _padded([4, 4])
    with torch.no_grad():
        lm.eval()
        torch.testing.assert_close(net.encode(ids, lengths), lm.features(ids)[0])


# ----------------------------------------------------------------------------- batches, learner
def test_bucket_batches_cover_each_text_once_per_epoch_and_repeat() -> None:
    rng = np.random.default_rng(0)
    seqs = [np.arange(1, int(n) + 1) for n in rng.integers(1, 40, size=103)]
    labels = np.arange(103)
    a, b = BucketBatches(seqs, labels, 8, seed=3), BucketBatches(seqs, labels, 8, seed=3)
    seen = np.concatenate([a.batch(s).labels.numpy() for s in range(a.steps_per_epoch)])
    assert sorted(seen.tolist()) == list(range(103))
    assert torch.equal(a.batch(20).ids, b.batch(20).ids)  # a pure function of (seed, step)
    lengths = [len(seqs[i]) for i in range(103)]
    spread = [int(np.ptp([lengths[i] for i in a.batch(s).labels])) for s in range(10)]
    assert np.mean(spread) < 6  # batches of similar lengths (lengths range over 1..39)


def _learner(**tuning: Any) -> tuple[ClassifierLearner, ClassifierNet]:
    net = _net(num_layers=2)
    net.train()
    seqs = [np.array([1, 2, 3]), np.array([4, 5]), np.array([6])]
    labels = np.array([0, 1, 2])
    return ClassifierLearner(net, seqs, labels, FineTuning(**tuning)), net


def test_gradual_unfreezing_trains_the_head_first() -> None:
    learner, net = _learner(unfreeze_steps=2, lr_decay=2.6)
    batch = make_batch([np.array([1, 2, 3]), np.array([4, 5])], np.array([0, 1]))
    groups = [[p.detach().clone() for p in g] for g in net.layer_groups()]
    changed = []
    for _ in range(4):
        learner.train_step(batch, lr=0.01)
        now = net.layer_groups()
        changed.append(
            [
                any(not torch.equal(a, b) for a, b in zip(o, n, strict=True))
                for o, n in zip(groups, now, strict=True)
            ]
        )
        groups = [[p.detach().clone() for p in g] for g in now]
    # steps 1-2: head only; steps 3-4: the top recurrent layer too; the embedding stays frozen
    assert changed[0] == changed[1] == [False, False, False, True]
    assert changed[2] == changed[3] == [False, False, True, True]


def test_discriminative_rates_shrink_towards_the_embedding() -> None:
    learner, _ = _learner(lr_decay=2.0)
    learner.train_step(make_batch([np.array([1, 2])], np.array([0])), lr=0.8)
    rates = sorted({round(g["lr"], 6) for g in learner.optimizer.param_groups})
    assert rates == [0.1, 0.2, 0.4, 0.8]  # embedding, layer 1, layer 2, head


# ----------------------------------------------------------------------------- the estimator
@pytest.fixture(scope="module")
def trained() -> TextClassifier:
    texts, labels = reviews(120)
    return TextClassifier(**SMALL).fit(texts, labels, steps=80, quiet=True)


def test_learns_a_separable_toy_task(trained: TextClassifier) -> None:
    texts, labels = reviews(60, seed=1)
    assert trained.score(texts, labels) >= 0.95
    assert trained.classes_ == ["neg", "pos"]
    assert trained.predict(["a lovely superb film"]) == ["pos"]


def test_save_load_gives_identical_probabilities(trained: TextClassifier, tmp_path: Path) -> None:
    texts, _ = reviews(20, seed=2)
    trained.save(tmp_path / "clf")
    again = TextClassifier.load(tmp_path / "clf")
    np.testing.assert_array_equal(again.predict_proba(texts), trained.predict_proba(texts))
    config = json.loads((tmp_path / "clf" / "config.json").read_text())
    assert config["kind"] == "classifier" and config["classes"] == ["neg", "pos"]


def test_unknown_words_and_long_texts_are_read(trained: TextClassifier) -> None:
    proba = trained.predict_proba(["zyzzyva " * 3 + "great", "good " * 5000])
    assert proba.shape == (2, 2) and np.allclose(proba.sum(1), 1.0)


def test_bad_inputs_are_one_line_errors(trained: TextClassifier) -> None:
    with pytest.raises(RnnkitError, match="single class"):
        TextClassifier(**SMALL).fit(["a b", "c d"], ["x", "x"], steps=1, quiet=True)
    with pytest.raises(RnnkitError, match="empty"):
        trained.predict(["fine", "  "])
    with pytest.raises(RnnkitError, match="not trained on: 'meh'"):
        trained.score(["good film"], ["meh"])
    with pytest.raises(RnnkitError, match="list of texts"):
        trained.predict("good film")
    with pytest.raises(RnnkitError, match="2 texts but 1 labels"):
        TextClassifier().fit(["a", "b"], ["x"], quiet=True)
    with pytest.raises(RnnkitError, match="not trained yet"):
        TextClassifier().predict(["good"])


def test_evaluate_reports_accuracy_f1_and_confusion(trained: TextClassifier) -> None:
    texts, labels = reviews(40, seed=3)
    report = trained.evaluate(texts, labels)
    assert report["texts"] == 40 and report["accuracy"] == trained.score(texts, labels)
    assert sum(map(sum, report["confusion"])) == 40
    assert set(report["per_class"]) == {"neg", "pos"}


def test_three_classes_from_a_csv_file(tmp_path: Path) -> None:
    rows = ["review,topic"]
    rng = np.random.default_rng(0)
    words = {"sport": "goal match team", "food": "bread soup cheese", "tech": "chip code robot"}
    for i in range(90):
        topic = list(words)[i % 3]
        rows.append(f'"{" ".join(rng.choice(words[topic].split(), 4))} the a",{topic}')
    path = tmp_path / "topics.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    clf = TextClassifier(**SMALL).fit(path, label_column="topic", steps=60, quiet=True)
    assert clf.classes_ == ["food", "sport", "tech"]
    assert clf.predict(["soup and cheese", "robot code"]) == ["food", "tech"]


def test_baseline_and_blend_are_reported_and_saved(tmp_path: Path) -> None:
    texts, labels = reviews(120)
    clf = TextClassifier(**SMALL, blend=True).fit(texts, labels, steps=40, quiet=True)
    scores = clf.info()["validation_accuracy"]
    assert set(scores) == {"network", "baseline", "blend"}
    assert clf.blend_weight_ is not None and 0.0 <= clf.blend_weight_ <= 1.0
    test_texts, test_labels = reviews(30, seed=4)
    report = clf.evaluate(test_texts, test_labels)
    assert set(report["components"]) == {"network", "baseline"}
    clf.save(tmp_path / "blend")
    again = TextClassifier.load(tmp_path / "blend")
    np.testing.assert_array_equal(again.predict_proba(test_texts), clf.predict_proba(test_texts))


def test_attention_explains_a_prediction() -> None:
    texts, labels = reviews(120)
    clf = TextClassifier(**SMALL, pooling="attention").fit(texts, labels, steps=80, quiet=True)
    words = clf.explain("the plot was superb and the acting lovely", top=3)
    assert len(words) == 3 and words[0][1] >= words[1][1] >= words[2][1]
    with pytest.raises(RnnkitError, match="attention"):
        TextClassifier(**SMALL).fit(texts, labels, steps=2, quiet=True).explain("good")


def test_ctrl_c_then_resume_equals_uninterrupted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts, labels = reviews(80)
    settings = {**SMALL, "dropout": 0.3, "embed_dropout": 0.1}
    TextClassifier(**settings).fit(texts, labels, steps=24, out_dir=tmp_path / "whole", quiet=True)
    with monkeypatch.context() as m:
        interrupt_at(m, ClassifierLearner, at_step=8)
        half = TextClassifier(**settings).fit(
            texts, labels, steps=24, out_dir=tmp_path / "half", quiet=True
        )
    assert half.info()["stats"]["interrupted"] and half.info()["stats"]["steps"] == 8
    resumed = TextClassifier.resume(tmp_path / "half", texts, labels, quiet=True)
    assert resumed.info()["stats"]["steps"] == 24
    assert_same_weights(tmp_path / "half", tmp_path / "whole")
    with pytest.raises(RnnkitError, match="not the data"):
        TextClassifier.resume(tmp_path / "half", texts[:-1], labels[:-1], quiet=True)


def test_fine_tunes_a_language_model_ulmfit(tmp_path: Path) -> None:
    from rnnkit import WordLM

    texts, labels = reviews(120)
    corpus = write_lm_corpus(texts, tmp_path / "reviews.txt")  # the classifier's tokens
    lm = WordLM(
        hidden_size=16, embed_size=8, seq_len=8, batch_size=4, warmup_steps=2, tokenizer="text"
    )
    lm.fit(corpus, steps=30, quiet=True)
    lm.save(tmp_path / "lm")
    clf = TextClassifier(
        lm=str(tmp_path / "lm"),
        pooling="max",
        dropout=0.1,
        embed_dropout=0.0,
        **{k: v for k, v in SMALL.items() if k not in ("hidden_size", "embed_size")},
    )
    clf.fit(texts, labels, steps=100, quiet=True)
    net = clf.model_
    assert net is not None and net.bwd is None and net.config.hidden_size == 16
    assert clf.vocab_ == lm.vocab_  # the language model's words, in its order
    learner = clf._trainer.learner if clf._trainer else None
    assert isinstance(learner, ClassifierLearner)
    assert learner.tuning.lr_decay == 2.6 and learner.tuning.unfreeze_steps
    test_texts, test_labels = reviews(40, seed=5)
    assert clf.score(test_texts, test_labels) >= 0.9
    with pytest.raises(RnnkitError, match="language model fixes hidden_size"):
        TextClassifier(lm=str(tmp_path / "lm"), hidden_size=64).fit(texts, labels, steps=1)


# ----------------------------------------------------------------------------- command line
def test_command_line_train_predict_evaluate(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from rnnkit.cli import cli

    texts, labels = reviews(120)
    data = tmp_path / "train.jsonl"
    data.write_text(
        "".join(
            json.dumps({"text": t, "label": y}) + "\n" for t, y in zip(texts, labels, strict=True)
        )
    )
    run = CliRunner().invoke
    out = tmp_path / "model"
    options = ["--hidden-size", "16", "--embed-size", "8", "--min-count", "1", "--lr", "0.02"]
    result = run(
        cli,
        [
            "train",
            "classifier",
            str(data),
            "--steps",
            "80",
            "--out",
            str(out),
            "--quiet",
            "--baseline",
            "--pooling",
            "attention",
            *options,
        ],
    )
    assert result.exit_code == 0, result.output
    assert "validation accuracy network" in result.output and "baseline" in result.output
    result = run(cli, ["predict", str(out), "a superb lovely film", "--json", "--explain", "2"])
    record = json.loads(result.output)
    assert record["label"] == "pos" and len(record["explain"]) == 2
    assert abs(sum(record["probabilities"].values()) - 1.0) < 1e-5
    test = tmp_path / "test.jsonl"
    test_texts, test_labels = reviews(40, seed=6)
    test.write_text(
        "".join(
            json.dumps({"text": t, "label": y}) + "\n"
            for t, y in zip(test_texts, test_labels, strict=True)
        )
    )
    result = run(cli, ["evaluate", str(out), str(test), "--out", str(tmp_path / "report")])
    assert result.exit_code == 0, result.output
    png = tmp_path / "report" / "confusion.png"
    assert "macro" in result.output.lower() and png.stat().st_size > 1000
    assert "baseline alone" in result.output
    result = run(cli, ["info", str(out)])
    assert "classifier" in result.output and "neg" in result.output
    bad = run(cli, ["train", "classifier", str(tmp_path / "missing.csv"), "--steps", "1"])
    assert (
        bad.exit_code == 2 and bad.output.startswith("error:") and len(bad.output.splitlines()) == 1
    )
    empty = run(cli, ["predict", str(out)])
    assert empty.exit_code == 2 and "give texts" in empty.output


def test_numpy_int_labels_round_trip(tmp_path: Path) -> None:
    texts, labels = reviews(80)
    y = np.array([1 if label == "pos" else 0 for label in labels])
    clf = TextClassifier(**SMALL).fit(texts, y, steps=30, quiet=True)
    clf.save(tmp_path / "ints")
    again = TextClassifier.load(tmp_path / "ints")
    assert again.classes_ == [0, 1] and all(type(p) is int for p in again.predict(texts[:3]))
    with pytest.raises(RnnkitError, match="all strings or all integers"):
        TextClassifier(**SMALL).fit(texts[:4], [0, "pos", 1, "neg"], steps=1, quiet=True)


def test_a_text_with_no_tokens_still_gets_probabilities(trained: TextClassifier) -> None:
    proba = trained.predict_proba(["<br /><br />", "&nbsp;"])
    assert np.isfinite(proba).all() and np.allclose(proba.sum(1), 1.0)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"batch_size": 0}, "batch_size must be positive"),
        ({"lr_decay": 0.0}, "lr_decay must be positive"),
        ({"unfreeze_steps": -1}, "unfreeze_steps must be positive"),
        ({"max_tokens": 0}, "max_tokens must be positive"),
        ({"val_fraction": 1.0}, "val_fraction"),
        ({"lm": "a", "embeddings": "b"}, "not both"),
        ({"freeze_embeddings": True}, "needs embeddings= or lm="),
        ({"pooling": "median"}, "pooling 'median'"),
        ({"hidden": 3}, "unknown TextClassifier setting"),
    ],
)
def test_bad_settings_fail_at_construction(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(RnnkitError, match=message):
        TextClassifier(**settings)


def test_baseline_columns_follow_the_network_classes() -> None:
    from rnnkit.classify.baseline import TfidfLogReg
    from rnnkit.classify.blend import Blend

    texts = ["goal match", "bread soup", "chip code"] * 20
    labels = ["sport", "food", "tech"] * 20
    clf = TextClassifier(**SMALL).fit(texts, labels, steps=5, quiet=True)
    # A baseline that never saw class 1 (one example of it can land in validation only).
    docs = ["goal match", "bread soup"] * 5
    blend = Blend(TfidfLogReg(min_df=1).fit(docs, [2, 0] * 5))
    out = blend.log_proba(["bread soup"], len(clf.classes_))
    assert out[0, 1].item() == pytest.approx(np.log(1e-12))
    expected = blend.baseline.decision_function(["bread soup"])[0]
    assert out[0, [0, 2]].tolist() == pytest.approx(expected.tolist())


@pytest.mark.parametrize(
    ("tokenizer", "tokens"),
    [("text", ["great", "film", "!"]), ("words", ["great", "film!"])],
)
def test_a_classifier_reads_text_with_its_language_models_tokenizer(
    tmp_path: Path, tokenizer: str, tokens: list[str]
) -> None:
    texts, labels = ["Great film!", "Awful plot."] * 10, ["pos", "neg"] * 10
    lm = WordLM(
        hidden_size=8, embed_size=8, seq_len=4, batch_size=2, tokenizer=tokenizer, lowercase=True
    )
    lm.fit("\n".join(texts) + "\n", steps=2, quiet=True).save(tmp_path / "lm")
    # The classifier's own setting keeps case; the language model's reading wins, by design.
    clf = TextClassifier(lm=str(tmp_path / "lm"), lowercase=False, min_count=1)
    if tokenizer == "words":
        with pytest.warns(UserWarning, match="reads words as the benchmarks do"):
            clf.fit(texts, labels, steps=2, quiet=True)
    else:
        clf.fit(texts, labels, steps=2, quiet=True)
    assert clf.vocab_ is not None and lm.vocab_ is not None
    assert clf.vocab_.tokenizer == lm.vocab_.tokenizer
    assert clf._reader().tokens("GREAT film!") == tokens
    clf.save(tmp_path / "clf")
    assert TextClassifier.load(tmp_path / "clf")._reader().tokens("GREAT film!") == tokens


def test_a_refit_that_fails_on_its_data_keeps_the_old_model(tmp_path: Path) -> None:
    texts, labels = (
        ["good fun", "great film", "bad plot", "awful acting"] * 6,
        ["p", "p", "n", "n"] * 6,
    )
    clf = TextClassifier(**SMALL).fit(texts, labels, steps=3, quiet=True)
    before = clf.predict_proba(["good film"])
    clf.settings.lm = str(tmp_path / "no-such-lm")  # fails once the new classes are known
    with pytest.raises(RnnkitError, match="no checkpoint folder"):
        clf.fit(["one", "two", "three"] * 8, ["a", "b", "c"] * 8, steps=1, quiet=True)
    assert clf.classes_ == ["n", "p"]
    np.testing.assert_array_equal(clf.predict_proba(["good film"]), before)
