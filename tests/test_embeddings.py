"""Word vectors (issue 6): training through gensim, queries, evaluation, plots, files, reuse, CLI.

The corpus is synthetic so that the answers can be checked by hand: three topics whose members
share context words (cat/dog/horse/cow; apple/banana/cherry/grape; car/truck/bus/train), and a
gender x class grid (king/queen, man/woman, boy/girl) where each word co-occurs with pronouns of
its gender and words of its class, so that king - man + woman lands on queen.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import click
import numpy as np
import pytest
from click.testing import CliRunner

from rnnkit.cli import _Group
from rnnkit.embed.cli import embed
from rnnkit.embed.sentences import LINE_WORDS, write_sentences
from rnnkit.embed.vectors import WordVectors
from rnnkit.errors import RnnkitError

TOPICS = {
    "animals": (["cat", "dog", "horse", "cow"], ["fur", "barks", "meadow", "tail", "paws"]),
    "fruit": (
        ["apple", "banana", "cherry", "grape"],
        ["sweet", "ripe", "juicy", "peel", "orchard"],
    ),
    "vehicles": (["car", "truck", "bus", "train"], ["wheels", "engine", "road", "driver", "fuel"]),
}
GENDER = {"male": ["he", "him", "his"], "female": ["she", "her", "hers"]}
CLASS = {
    "royal": ["crown", "throne", "palace"],
    "common": ["street", "market", "work"],
    "young": ["school", "toys", "play"],
}
GRID = {
    ("male", "royal"): "king",
    ("female", "royal"): "queen",
    ("male", "common"): "man",
    ("female", "common"): "woman",
    ("male", "young"): "boy",
    ("female", "young"): "girl",
}
#: Fast, exact settings: one worker (bit-identical repeats), no downsampling (every word is
#: frequent in so small a corpus).
SETTINGS = {
    "dim": 16,
    "window": 3,
    "min_count": 1,
    "epochs": 15,
    "workers": 1,
    "seed": 3,
    "sample": 0.0,
    "quiet": True,
}


def _sentences() -> list[list[str]]:
    rng = random.Random(0)
    out = []
    for _ in range(400):
        members, context = TOPICS[rng.choice(list(TOPICS))]
        out.append([rng.choice(members if rng.random() < 0.5 else context) for _ in range(8)])
    for _ in range(600):
        (gender, cls), word = rng.choice(list(GRID.items()))
        sentence = [word, *rng.sample(GENDER[gender], 2), *rng.sample(CLASS[cls], 2)]
        rng.shuffle(sentence)
        out.append(sentence)
    rng.shuffle(out)
    return out


@pytest.fixture(scope="module")
def sentences() -> list[list[str]]:
    return _sentences()


@pytest.fixture(scope="module")
def wv(sentences: list[list[str]]) -> WordVectors:
    return WordVectors.train(sentences, **SETTINGS)


@pytest.fixture(scope="module")
def saved(wv: WordVectors, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return wv.save(tmp_path_factory.mktemp("wv") / "vectors")


# ---------------------------------------------------------------------------------------------
# Queries


def test_nearest_nouns_share_the_topic(wv: WordVectors) -> None:
    nouns = [w for members, _ in TOPICS.values() for w in members]
    for members, _ in TOPICS.values():
        for word in members:
            others = sorted((n for n in nouns if n != word), key=lambda n: -wv.similarity(word, n))
            assert set(others[:3]) == set(members) - {word}, (word, others)


def test_most_similar_shape_and_order(wv: WordVectors) -> None:
    found = wv.most_similar("cat", topn=5)
    assert len(found) == 5 and all(isinstance(w, str) for w, _ in found)
    scores = [s for _, s in found]
    assert scores == sorted(scores, reverse=True) and "cat" not in dict(found)
    # positive + negative: the query words never come back
    combined = dict(wv.most_similar(["king", "woman"], ["man"], topn=20))
    assert not {"king", "woman", "man"} & set(combined)
    assert wv.most_similar(["king", "woman"], "man", 20) == list(combined.items())


def test_doesnt_match_and_analogies(wv: WordVectors) -> None:
    assert wv.doesnt_match(["cat", "dog", "horse", "apple"]) == "apple"
    assert wv.doesnt_match(["car", "bus", "train", "banana"]) == "banana"
    assert wv.analogy("man", "king", "woman") == "queen"  # king - man + woman
    assert wv.analogy("woman", "queen", "man") == "king"
    assert wv.analogy("boy", "girl", "king") == "queen"


def test_queries_are_lowercased_like_training(wv: WordVectors) -> None:
    assert "CAT" in wv and "zebra" not in wv
    assert wv.similarity("Cat", "DOG") == wv.similarity("cat", "dog")
    assert np.array_equal(wv.vector("King"), wv.keyed_vectors["king"])


def test_unknown_words_are_named(wv: WordVectors) -> None:
    with pytest.raises(RnnkitError, match=r"vocabulary of 48 words: 'zebra', 'Unicorn'$"):
        wv.most_similar(["cat", "zebra"], ["Unicorn"])
    for call in (
        lambda: wv.similarity("cat", "zebra"),
        lambda: wv.doesnt_match(["cat", "dog", "zebra"]),
        lambda: wv.analogy("man", "zebra", "woman"),
        lambda: wv.neighbours(["cat", "zebra"]),
        lambda: wv.plot("x.png", ["cat", "zebra"]),
    ):
        with pytest.raises(RnnkitError, match="'zebra'"):
            call()


def test_bad_query_arguments(wv: WordVectors) -> None:
    with pytest.raises(RnnkitError, match="at least 3 words"):
        wv.doesnt_match(["cat", "dog"])
    with pytest.raises(RnnkitError, match="topn must be at least 1"):
        wv.most_similar("cat", topn=0)
    with pytest.raises(RnnkitError, match="at least one positive word"):
        wv.most_similar([], ["cat"])


def test_neighbour_table(wv: WordVectors) -> None:
    table = wv.neighbours(["apple", "king"], topn=3)
    assert list(table) == ["apple", "king"]
    assert table["apple"] == wv.most_similar("apple", topn=3)


# ---------------------------------------------------------------------------------------------
# Training: corpus preparation, settings, reproducibility, progress


def test_same_seed_one_worker_identical_vectors(sentences: list[list[str]]) -> None:
    a = WordVectors.train(sentences, **SETTINGS)
    b = WordVectors.train(sentences, **SETTINGS)
    assert a.words == b.words
    assert np.array_equal(a.keyed_vectors.vectors, b.keyed_vectors.vectors)
    c = WordVectors.train(sentences, **{**SETTINGS, "seed": 4})
    assert not np.array_equal(a.keyed_vectors.vectors, c.keyed_vectors.vectors)


def test_identical_in_another_process(
    sentences: list[list[str]], wv: WordVectors, tmp_path: Path
) -> None:
    """Python randomises str hashes per process; gensim must not seed from them (req 6)."""
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(" ".join(s) for s in sentences), encoding="utf-8")
    script = (
        "import sys; from rnnkit.embed.vectors import WordVectors; "
        f"WordVectors.train(sys.argv[1], **{SETTINGS!r}).save(sys.argv[2])"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", script, corpus, tmp_path / "v"], env=env, check=True)
    other = WordVectors.load(tmp_path / "v")
    assert np.array_equal(other.keyed_vectors.vectors, wv.keyed_vectors.vectors)


def test_file_gz_and_folder_train_the_same(
    sentences: list[list[str]], wv: WordVectors, tmp_path: Path
) -> None:
    text = "\n".join(" ".join(s).upper() for s in sentences) + "\n"  # lowercased on the way in
    (tmp_path / "plain.txt").write_text(text, encoding="utf-8")
    with gzip.open(tmp_path / "packed.txt.gz", "wt", encoding="utf-8") as fh:
        fh.write(text)
    folder = tmp_path / "folder"
    folder.mkdir()
    lines = text.split("\n")
    half = len(lines) // 2
    (folder / "a.txt").write_text("\n".join(lines[:half]))  # no final newline: must not run on
    (folder / "b.txt").write_text("\n".join(lines[half:]))
    for source in (tmp_path / "plain.txt", str(tmp_path / "packed.txt.gz"), folder):
        other = WordVectors.train(source, **SETTINGS)
        assert other.card["corpus"]["sha256"] == wv.card["corpus"]["sha256"], source
        assert np.array_equal(other.keyed_vectors.vectors, wv.keyed_vectors.vectors), source


def test_write_sentences_normalises(tmp_path: Path) -> None:
    raw = "\ufeffThe  Cat\tSAT\r\n\r\n  on\u00a0the mat.\rEnd"
    path = tmp_path / "in.txt"
    path.write_bytes(raw.encode("utf-8"))
    out = tmp_path / "out.txt"
    stats = write_sentences(path, out)
    assert out.read_text(encoding="utf-8") == "the cat sat\non the mat.\nend\n"
    assert (stats.lines, stats.words) == (3, 7)
    write_sentences(path, out, lowercase=False, max_words=4)
    assert out.read_text(encoding="utf-8") == "The Cat SAT\non\n"


def test_long_lines_are_cut_like_gensim(tmp_path: Path) -> None:
    path = tmp_path / "one_line.txt"
    words = [f"w{i % 7}" for i in range(2 * LINE_WORDS + 5)]
    path.write_text(" ".join(words), encoding="utf-8")  # one line, no final newline
    out = tmp_path / "out.txt"
    stats = write_sentences(path, out)
    lines = out.read_text(encoding="utf-8").split("\n")
    assert [len(line.split()) for line in lines] == [LINE_WORDS, LINE_WORDS, 5, 0]
    assert stats.words == len(words) and out.read_text().split() == words


def test_bad_corpora_are_one_line_errors(tmp_path: Path) -> None:
    cases = {
        "binary.bin": (b"abc\x00def", "looks binary"),
        "latin.txt": ("caf\u00e9 ol\u00e9".encode("latin-1"), "not valid utf-8"),
        "empty.txt": (b" \n\t\n", "holds no words"),
        "broken.gz": (gzip.compress(b"some words here " * 100)[:30], "truncated or corrupt gzip"),
    }
    for name, (data, message) in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(RnnkitError, match=message) as err:
            WordVectors.train(tmp_path / name, **SETTINGS)
        assert "\n" not in str(err.value)
    with pytest.raises(RnnkitError, match=r"no such file, folder or dataset: 'nope\.txt' \(data"):
        WordVectors.train("nope.txt", **SETTINGS)
    (tmp_path / "empty_folder").mkdir()
    with pytest.raises(RnnkitError, match="contains no files"):
        WordVectors.train(tmp_path / "empty_folder", **SETTINGS)


def test_bad_settings(sentences: list[list[str]]) -> None:
    with pytest.raises(RnnkitError, match="dim must be at least 1, got 0"):
        WordVectors.train(sentences, **{**SETTINGS, "dim": 0})
    with pytest.raises(RnnkitError, match="unknown architecture 'glove'"):
        WordVectors.train(sentences, architecture="glove", **SETTINGS)
    with pytest.raises(RnnkitError, match="min_count=5000 times"):
        WordVectors.train(sentences, **{**SETTINGS, "min_count": 5000})


def test_card_and_cbow(sentences: list[list[str]], wv: WordVectors) -> None:
    card = wv.card
    assert card["corpus"]["source"] == "<sentences>" and card["corpus"]["words"] == 6200
    assert card["settings"]["architecture"] == "skipgram" and card["settings"]["dim"] == 16
    assert card["vocab_size"] == len(wv) == 48 and card["training_seconds"] > 0
    assert card["words_per_second"] > 0
    cbow = WordVectors.train(sentences, architecture="cbow", **SETTINGS)
    assert cbow.card["settings"]["architecture"] == "cbow"
    assert cbow.doesnt_match(["cat", "dog", "horse", "apple"]) == "apple"


def test_progress_bar_unless_quiet(
    sentences: list[list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    WordVectors.train(sentences[:100], **{**SETTINGS, "epochs": 2, "quiet": False})
    err = capsys.readouterr().err
    assert "word2vec" in err and "2/2" in err and "words/s" in err


# ---------------------------------------------------------------------------------------------
# Evaluation and plots


def test_evaluate_default_files(wv: WordVectors) -> None:
    result = wv.evaluate()
    a = result["analogies"]
    assert a["questions"] == 19544 and a["file"].endswith("questions-words.txt")
    family = next(s for s in a["sections"] if s["section"] == "family")
    # 20 family questions use only in-vocabulary words (king/queen/man/woman/boy/girl and the
    # pronouns he/she/his/her). The 12 whose answer is one of the six nouns, such as
    # "boy girl king queen", are solved; the pronouns are only context words here.
    assert family["total"] == 20 and family["correct"] >= 12
    assert a["answered"] == 20 and a["semantic"]["total"] == 20 and a["syntactic"]["total"] == 0
    assert a["syntactic"]["accuracy"] is None
    # WordSim-353 pairs in vocabulary: train/car, king/queen, man/woman
    assert -1 <= result["word_pairs"]["spearman"] <= 1


def test_evaluate_sections_and_no_pairs(wv: WordVectors, tmp_path: Path) -> None:
    questions = tmp_path / "q.txt"
    questions.write_text(
        ": royals\nman king woman queen\nwoman queen man king\nman king woman zebra\n"
        ": gram-animals\ncat dog apple banana\n"
    )
    pairs = tmp_path / "p.tsv"
    pairs.write_text("# a comment\nzebra\tunicorn\t5.0\n")
    result = wv.evaluate(questions, pairs)
    a = result["analogies"]
    assert [(s["section"], s["correct"], s["total"]) for s in a["sections"]] == [
        ("royals", 2, 2),
        ("gram-animals", a["sections"][1]["correct"], 1),
    ]
    assert a["questions"] == 4 and a["answered"] == 3 and a["coverage"] == 0.75
    assert a["semantic"]["accuracy"] == 1.0 and a["syntactic"]["total"] == 1
    assert result["word_pairs"]["spearman"] is None  # every pair out of vocabulary
    with pytest.raises(RnnkitError, match="not found"):
        wv.evaluate(tmp_path / "missing.txt")
    (tmp_path / "none.txt").write_text(": empty\n")
    with pytest.raises(RnnkitError, match="holds no analogy questions"):
        wv.evaluate(tmp_path / "none.txt")


def test_pca_plot_writes_png(wv: WordVectors, tmp_path: Path) -> None:
    path = wv.plot(tmp_path / "words.png", ["king", "queen", "man", "woman", "cat", "apple"])
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert wv.plot(tmp_path / "top.png", top=10).stat().st_size > 1000
    with pytest.raises(RnnkitError, match="at least 2 distinct words"):
        wv.plot(tmp_path / "one.png", ["cat", "cat"])


# ---------------------------------------------------------------------------------------------
# Files


def test_save_load_round_trip(wv: WordVectors, saved: Path) -> None:
    assert sorted(p.name for p in saved.iterdir()) == [
        "card.json",
        "vectors.safetensors",
        "vocab.json",
    ]
    back = WordVectors.load(saved)
    assert back.words == wv.words
    assert np.array_equal(back.keyed_vectors.vectors, wv.keyed_vectors.vectors)
    card = json.loads((saved / "card.json").read_text())
    assert back.card == card == {"format": "rnnkit-wordvectors", "format_version": 1, **wv.card}
    assert back.most_similar("king", topn=5) == wv.most_similar("king", topn=5)
    assert back.lowercase and "KING" in back
    counts = back.keyed_vectors.expandos["count"]
    assert np.array_equal(counts, wv.keyed_vectors.expandos["count"])


def test_save_replaces_vectors_but_not_foreign_folders(wv: WordVectors, tmp_path: Path) -> None:
    target = wv.save(tmp_path / "v")
    (target / "notes.txt").write_text("mine")
    wv.save(target)  # overwriting vectors keeps the other files in the folder
    assert (target / "notes.txt").read_text() == "mine" and not (tmp_path / "v.tmp").exists()
    foreign = tmp_path / "home"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("precious")
    with pytest.raises(RnnkitError, match="refusing to write into"):
        wv.save(foreign)
    with pytest.raises(RnnkitError, match="is not a folder"):
        wv.save(foreign / "thesis.tex")


def test_export_word2vec_format(wv: WordVectors, tmp_path: Path) -> None:
    from gensim.models import KeyedVectors

    back = KeyedVectors.load_word2vec_format(
        str(wv.export_word2vec(tmp_path / "v.bin")), binary=True
    )
    assert back.index_to_key == wv.words
    assert np.array_equal(back.vectors, wv.keyed_vectors.vectors)


def _copy(saved: Path, dest: Path) -> Path:
    dest.mkdir()
    for f in saved.iterdir():
        (dest / f.name).write_bytes(f.read_bytes())
    return dest


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: (d / "card.json").unlink(), "card.json missing"),
        (lambda d: (d / "card.json").write_text('{"format": "rnnkit-checkpoint"}'), "foreign"),
        (lambda d: (d / "card.json").write_text("{trunc"), "not valid JSON"),
        (lambda d: _set(d / "card.json", "format_version", 2), "format version 2"),
        (lambda d: (d / "vocab.json").write_text('{"words": [1, 2]}'), "list of strings"),
        (lambda d: _set(d / "vocab.json", "words", ["a", "a"]), "lists a word twice"),
        (lambda d: _set(d / "vocab.json", "words", ["a"]), "float32 vectors for the 1 listed"),
        (lambda d: _truncate(d / "vectors.safetensors"), "truncated or corrupt"),
        (lambda d: (d / "vectors.safetensors").unlink(), "vectors.safetensors missing"),
    ],
)
def test_corrupt_or_foreign_folders(saved: Path, tmp_path: Path, damage, message) -> None:
    folder = _copy(saved, tmp_path / "copy")
    damage(folder)
    with pytest.raises(RnnkitError, match=message) as err:
        WordVectors.load(folder)
    assert "\n" not in str(err.value)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(RnnkitError, match="no word-vectors folder at"):
        WordVectors.load(tmp_path / "nothing")


def _set(path: Path, key: str, value: object) -> None:
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, key: value}))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:100])


# ---------------------------------------------------------------------------------------------
# Reuse in a model's embedding layer


def test_embedding_matrix_alignment_and_oov(wv: WordVectors) -> None:
    tokens = ["<pad>", "cat", "CAT", "zebra", "queen"]
    matrix, oov = wv.embedding_matrix(tokens, dim=16)
    assert matrix.shape == (5, 16) and matrix.dtype == np.float32
    assert np.array_equal(matrix[1], wv.vector("cat")) and np.array_equal(matrix[2], matrix[1])
    assert np.array_equal(matrix[4], wv.vector("queen"))
    assert oov == ["<pad>", "zebra"] and wv.embedding_matrix(tokens).oov_ratio == 0.4
    # OOV rows: random, at the scale of the trained vectors, repeatable by seed
    scale = wv.keyed_vectors.vectors.std()
    assert 0.3 * scale < matrix[[0, 3]].std() < 3 * scale
    assert np.array_equal(wv.embedding_matrix(tokens).matrix, matrix)
    assert not np.array_equal(wv.embedding_matrix(tokens, seed=1).matrix[0], matrix[0])
    with pytest.raises(RnnkitError, match="dimension 16, the model wants 32"):
        wv.embedding_matrix(tokens, dim=32)


def test_embedding_matrix_initialises_a_torch_layer(wv: WordVectors) -> None:
    import torch

    tokens = ["king", "queen", "<unk>"]
    matrix, _ = wv.embedding_matrix(tokens)
    layer = torch.nn.Embedding(len(tokens), wv.dim)
    layer.weight.data.copy_(torch.from_numpy(matrix))
    layer.weight.requires_grad_(False)  # frozen; True fine-tunes
    assert torch.equal(layer(torch.tensor([1]))[0], torch.from_numpy(wv.vector("queen")))
    assert not layer.weight.requires_grad


# ---------------------------------------------------------------------------------------------
# Command line (under the same error boundary as the `rnnkit` group)


def _cli() -> click.Group:
    root = _Group()
    root.add_command(embed)
    return root


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(_cli(), ["embed", *map(str, args)])
    return result.exit_code, result.stdout, result.stderr


def test_cli_train(sentences: list[list[str]], tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(" ".join(s) for s in sentences), encoding="utf-8")
    out = tmp_path / "vectors"
    flags = ["--dim", "16", "--window", "3", "--min-count", "1", "--epochs", "15"]
    flags += ["--workers", "1", "--seed", "3", "--sample", "0", "--quiet"]
    code, stdout, _ = _run("train", corpus, "--out", out, *flags)
    assert code == 0 and "48 words x 16 dims from 6,200 words (15 epochs)" in stdout
    assert stdout.rstrip().endswith(f"saved to {out}")
    code, stdout, _ = _run("analogy", out, "man", "king", "woman", "--topn", "3")
    assert code == 0 and stdout.startswith("man : king :: woman : queen\n")


def test_cli_queries(saved: Path, tmp_path: Path) -> None:
    code, out, _ = _run("similar", saved, "king", "woman", "--minus", "man", "--topn", "3")
    assert code == 0 and out.split("\n")[0].split()[1] == "queen" and len(out.split("\n")) == 4
    code, out, _ = _run("similarity", saved, "cat", "dog")
    assert code == 0 and -1 <= float(out) <= 1
    code, out, _ = _run("doesnt-match", saved, "cat", "dog", "horse", "apple")
    assert (code, out) == (0, "apple\n")
    code, out, _ = _run("neighbours", saved, "cat", "apple", "--topn", "2")
    assert code == 0 and out.startswith("cat  ") and out.count("\n") == 2
    code, out, _ = _run("evaluate", saved, "--json")
    assert code == 0 and json.loads(out)["analogies"]["questions"] == 19544
    code, out, _ = _run("evaluate", saved)
    assert code == 0 and "family" in out and "Spearman" in out
    code, out, _ = _run("info", saved, "--json")
    assert code == 0 and json.loads(out)["format"] == "rnnkit-wordvectors"
    code, out, _ = _run("plot", saved, "king", "queen", "cat", "--out", tmp_path / "maps")
    assert code == 0 and (tmp_path / "maps" / "pca.png").is_file()
    code, out, _ = _run("export", saved, tmp_path / "v.txt", "--text")
    assert code == 0 and (tmp_path / "v.txt").read_text().startswith("48 16\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["similar", "{saved}", "king", "zebra"],
            "error: not in the vocabulary of 48 words: 'zebra'",
        ),
        (["doesnt-match", "{saved}", "cat", "dog"], "error: doesnt_match needs at least 3 words"),
        (["similar", "{missing}", "king"], "error: no word-vectors folder at"),
        (["train", "{missing}"], "error: no such file, folder or dataset"),
        (["train", "{saved}/card.json", "--dim", "0"], "error: dim must be at least 1, got 0"),
        (["train", "{saved}/card.json", "--min-count", "99", "--quiet"], "error: no word occurs"),
    ],
)
def test_cli_errors_are_one_line_exit_2(
    saved: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    filled = [a.format(saved=saved, missing=tmp_path / "missing") for a in args]
    code, out, err = _run(*filled)
    assert code == 2 and out == ""
    assert err.startswith(message) and err.count("\n") == 1
