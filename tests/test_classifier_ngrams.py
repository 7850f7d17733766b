"""Hashed n-gram embeddings in the recurrent classifier: the vectorised hash against a plain
Python reference, padding, save -> load, and a character-level toy task (issue 15)."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import torch

from rnnkit import RnnkitError, TextClassifier
from rnnkit.core.rng import seeded
from rnnkit.models.classifier import _HASH, ClassifierConfig, ClassifierNet, ngram_ids


def _reference(row: list[int], n: int, buckets: int, outside: int) -> list[list[int]]:
    """The hash of the 2- to n-grams ending at each step, one step at a time."""
    out = []
    for k_max in range(1, n):
        ids = []
        for t, token in enumerate(row):
            h = token % buckets
            for k in range(1, k_max + 1):
                before = row[t - k] if t - k >= 0 else outside
                h = (h * _HASH + before + k) % buckets
            ids.append(h)
        out.append(ids)
    return out


def test_ngram_ids_match_the_plain_reference_and_ignore_the_rest_of_the_batch() -> None:
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(0, 40, (3, 9), generator=g)
    found = ngram_ids(ids, 4, 997, outside=40)
    for row in range(3):
        expected = _reference(ids[row].tolist(), 4, 997, 40)
        assert [grams[row].tolist() for grams in found] == expected
        alone = ngram_ids(ids[row : row + 1, :5], 4, 997, outside=40)  # its own batch, shorter
        assert [grams[0].tolist() for grams in alone] == [e[:5] for e in expected]


def _net(**kw: object) -> ClassifierNet:
    torch.manual_seed(0)
    cfg = ClassifierConfig(
        vocab_size=30,
        num_classes=3,
        hidden_size=6,
        embed_size=5,
        dropout=0.0,
        ngrams=3,
        ngram_buckets=101,
        **kw,  # type: ignore[arg-type]
    )
    return ClassifierNet(cfg).eval()


@pytest.mark.parametrize("bidirectional", [True, False])
def test_padding_never_changes_a_prediction_with_ngrams(bidirectional: bool) -> None:
    net = _net(bidirectional=bidirectional)
    ids = torch.randint(1, 30, (3, 6), generator=torch.Generator().manual_seed(1))
    lengths = torch.tensor([6, 2, 4])
    with torch.no_grad():
        together = net(ids, lengths)
        for row, n in enumerate(lengths.tolist()):
            alone = net(ids[row : row + 1, :n], lengths[row : row + 1])
            torch.testing.assert_close(alone[0], together[row])


def test_bad_ngram_settings_are_one_line_errors() -> None:
    with pytest.raises(RnnkitError, match="ngrams"):
        ClassifierConfig(vocab_size=9, num_classes=2, ngrams=0)


def test_ngram_dropout_drops_only_the_ngram_embeddings_and_only_in_training() -> None:
    def net(rate: float) -> ClassifierNet:
        cfg = ClassifierConfig(
            vocab_size=30, num_classes=3, hidden_size=8, embed_size=4, ngrams=3,
            ngram_buckets=101, dropout=0.0, embed_dropout=0.0, ngram_dropout=rate,
        )  # fmt: skip
        with seeded(0):  # the same first weights for both rates
            return ClassifierNet(cfg)

    plain, dropped = net(0.0), net(0.5)
    ids = torch.randint(1, 30, (4, 7), generator=torch.Generator().manual_seed(2))
    lengths = torch.tensor([7, 7, 5, 3])
    # The n-gram rows start at zero: nothing to drop, so training gives the plain outputs.
    torch.testing.assert_close(dropped(ids, lengths), plain(ids, lengths))
    with torch.no_grad():
        for n in (plain, dropped):
            assert n.ngram_embed is not None
            n.ngram_embed.weight.copy_(
                torch.randn(101, 4, generator=torch.Generator().manual_seed(3))
            )
    assert not torch.allclose(dropped(ids, lengths), plain(ids, lengths))
    torch.testing.assert_close(dropped.eval()(ids, lengths), plain.eval()(ids, lengths))
    with pytest.raises(RnnkitError, match="ngram_dropout"):
        ClassifierConfig(vocab_size=9, num_classes=2, ngram_dropout=1.0)
    assert (
        TextClassifier(level="char", ngram_dropout=0.3).settings.regularisation["ngram_dropout"]
        == 0.3
    )


#: Two made-up authors who use the same characters, told apart by which pairs follow which.
def _pairs(n: int, seed: int) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)  # a local generator: no global seeding
    words = {"ab": ["ab", "cd", "ef"], "ba": ["ba", "dc", "fe"]}
    texts, labels = [], []
    for i in range(n):
        label = "ab" if i % 2 == 0 else "ba"
        texts.append(" ".join(rng.choice(words[label]) for _ in range(6)))
        labels.append(label)
    return texts, labels


def test_a_char_classifier_with_ngrams_learns_and_saves(tmp_path: Path) -> None:
    texts, labels = _pairs(80, seed=0)
    clf = TextClassifier(level="char", hidden_size=8, embed_size=8, ngrams=2, min_count=1)
    clf.fit(texts, labels, steps=40, quiet=True)
    assert clf.model_ is not None and clf.model_.ngram_embed is not None
    test_texts, test_labels = _pairs(20, seed=1)
    assert clf.score(test_texts, test_labels) > 0.8  # chance: 1/2
    clf.save(tmp_path / "c")
    again = TextClassifier.load(tmp_path / "c")
    assert again.model_ is not None and again.model_.config.ngrams == 2
    np.testing.assert_array_equal(again.predict_proba(test_texts), clf.predict_proba(test_texts))


# ----------------------------------------------------------------------------- chunked reading
def test_a_long_text_reads_as_the_mean_of_its_chunks() -> None:
    net = _net(chunk_tokens=4, pooling="max+attention")
    ids = torch.randint(1, 30, (2, 10), generator=torch.Generator().manual_seed(2))
    lengths = torch.tensor([10, 3])
    with torch.no_grad():
        logits, weights = net.classify(ids, lengths)
        pieces = [ids[0:1, 0:3], ids[0:1, 3:6], ids[0:1, 6:10]]  # 10 tokens: 3 + 3 + 4
        alone = [net(p, torch.tensor([p.shape[1]])) for p in pieces]
        torch.testing.assert_close(logits[0], torch.cat(alone).mean(0))
        torch.testing.assert_close(logits[1], net(ids[1:2, :3], torch.tensor([3]))[0])
    assert weights is not None
    torch.testing.assert_close(weights.sum(1), torch.ones(2))
    assert float(weights[1, 3:].abs().sum()) == 0.0  # nothing on the padding
    wider = torch.cat([ids, torch.full((2, 3), 7)], dim=1)  # junk in the padding
    torch.testing.assert_close(net(wider, lengths), logits)


def test_a_chunked_classifier_trains_and_saves(tmp_path: Path) -> None:
    texts, labels = _pairs(80, seed=0)
    clf = TextClassifier(
        level="char", hidden_size=8, embed_size=8, ngrams=2, chunk_tokens=6, min_count=1
    )
    clf.fit(texts, labels, steps=40, quiet=True)
    test_texts, test_labels = _pairs(20, seed=1)
    assert clf.score(test_texts, test_labels) > 0.8
    clf.save(tmp_path / "c")
    again = TextClassifier.load(tmp_path / "c")
    assert again.model_ is not None and again.model_.config.chunk_tokens == 6
    np.testing.assert_array_equal(again.predict_proba(test_texts), clf.predict_proba(test_texts))
