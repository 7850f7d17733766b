"""The command line: every verb works, and every bad input is one line on stderr with exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from rnnkit.cli import cli
from rnnkit.cli.verbs import VERBS

TINY_FLAGS = [
    "--hidden-size",
    "32",
    "--embed-size",
    "16",
    "--seq-len",
    "16",
    "--batch-size",
    "4",
    "--evals",
    "2",
    "--quiet",
]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli")
    corpus = folder / "corpus.txt"
    corpus.write_text("To be, or not to be, that is the question.\n" * 40, encoding="utf-8")
    out = folder / "model"
    result = CliRunner().invoke(
        cli, ["train", str(corpus), "--out", str(out), "--steps", "60", "--lr", "0.01", *TINY_FLAGS]
    )
    assert result.exit_code == 0, result.output
    assert "done: 60 steps" in result.output
    return out


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_generate_exact_sizes(model_dir: Path) -> None:
    code, out, _ = _run(
        "generate", str(model_dir), "--chars", "120", "--prompt", "To be", "--seed", "1"
    )
    assert code == 0 and out.startswith("To be") and len(out) == len("To be") + 120 + 1
    code, out, _ = _run("generate", str(model_dir), "--lines", "4", "--seed", "1", "--top-k", "10")
    assert code == 0 and len(out.split("\n")) == 4 + 1  # echo adds the final newline
    code, out, _ = _run(
        "generate", str(model_dir), "--chars", "30", "--num-samples", "3", "--seed", "2"
    )
    assert code == 0 and out.count("----- sample") == 2


def test_streamed_and_batched_output_agree(model_dir: Path) -> None:
    args = ("generate", str(model_dir), "--chars", "80", "--seed", "9", "--temperature", "0.7")
    assert _run(*args, "--stream")[1] == _run(*args, "--no-stream")[1]


def test_info_and_evaluate(model_dir: Path, tmp_path: Path) -> None:
    code, out, _ = _run("info", str(model_dir), "--json")
    details = json.loads(out)
    assert code == 0 and details["cell"] == "gru" and details["stats"]["steps"] == 60
    text = tmp_path / "t.txt"
    text.write_text("To be, or not to be.\n", encoding="utf-8")
    code, out, _ = _run("evaluate", str(model_dir), str(text), "--json")
    result = json.loads(out)
    assert code == 0 and result["chars"] == 21 and result["bpc"] > 0


def test_resume_from_the_cli(model_dir: Path, tmp_path: Path) -> None:
    code, out, err = _run(
        "train",
        "--resume",
        str(model_dir),
        "--steps",
        "65",
        "--quiet",
        str(model_dir.parent / "corpus.txt"),
    )
    assert code == 0, err
    assert "done: 65 steps" in out


def _one_line_error(args: list[str], needle: str) -> None:
    code, _, err = _run(*args)
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert needle in err


def test_bad_inputs_are_one_line_errors(model_dir: Path, tmp_path: Path) -> None:
    empty, binary, latin = tmp_path / "empty.txt", tmp_path / "bin.dat", tmp_path / "l1.txt"
    empty.write_text("")
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    latin.write_bytes(b"caf\xe9\n" * 100)
    m = str(model_dir)
    _one_line_error(["train", "missing.txt"], "no such file")
    _one_line_error(["train", str(empty)], "is empty")
    _one_line_error(["train", str(binary)], "looks binary")
    _one_line_error(["train", str(latin)], "--encoding")
    _one_line_error(
        ["train", str(latin), "--encoding", "latin-1", "--steps", "1", "--seq-len", "400"],
        "too short for seq_len 400",
    )
    _one_line_error(["generate", m, "--chars", "0"], "positive")
    _one_line_error(["generate", m, "--lines", "-3"], "positive")
    _one_line_error(["generate", m, "--chars", "5", "--temperature", "-1"], "temperature")
    _one_line_error(["generate", m, "--chars", "5", "--top-p", "0"], "top_p")
    _one_line_error(["generate", m, "--chars", "5", "--prompt", "Zz@"], "never saw: 'Z', 'z', '@'")
    _one_line_error(["generate", str(tmp_path), "--chars", "5"], "config.json missing")
    _one_line_error(["evaluate", m, str(tmp_path / "nope.txt")], "no such file")
    _one_line_error(["train", "--resume", m, "--hidden-size", "8"], "drop: hidden_size")


def test_data_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import urllib.error
    import urllib.request

    code, out, _ = _run("data", "list")
    assert code == 0 and "tinyshakespeare" in out and "wikitext2" in out
    monkeypatch.setenv("RNNKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("RNNKIT_DATA", raising=False)

    def offline(*args: object, **kwargs: object) -> None:
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    _one_line_error(["data", "fetch", "ptb"], "or point RNNKIT_DATA (or --data-dir) at a folder")
    _one_line_error(["train", "ptb", "--steps", "1"], "download it yourself and put it at")
    _one_line_error(["data", "info", "nope"], "unknown dataset")


def test_plot_training_curve(model_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "plots"
    code, stdout, err = _run("plot", str(model_dir), "--out", str(out))
    png = out / "training.png"
    assert code == 0, err
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and stdout.strip() == str(png)
    _one_line_error(["plot", str(tmp_path)], "metrics.csv not found")


def test_train_lm_names_the_kind_so_a_corpus_may_be_called_classifier(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("classifier").write_text("to be or not to be, that is the question\n" * 30)
    args = ["--steps", "2", "--out", "lm", *TINY_FLAGS]
    code, out, err = _run("train", "lm", "classifier", *args)
    assert code == 0, err
    assert "done: 2 steps" in out
    assert json.loads(_run("info", "lm", "--json")[1])["corpus"]["source"].endswith("classifier")


def test_train_lists_its_kinds() -> None:
    code, out, _ = _run("train", "--help")
    kinds = [line.split()[0] for line in out.split("Commands:")[1].splitlines() if line]
    table = [verb.name.split()[1] for verb in VERBS if verb.name.startswith("train ")]
    assert code == 0 and kinds == table and kinds[:2] == ["lm", "classifier"]
    assert "`rnnkit train CORPUS` is `rnnkit train lm CORPUS`" in " ".join(out.split())


def test_a_saved_model_of_another_kind_is_refused(model_dir: Path) -> None:
    _one_line_error(["predict", str(model_dir), "some text"], "predict works on classifier")
    _one_line_error(["train", "classifier", "--resume", str(model_dir)], "not a 'classifier'")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "line one\nline two", "--steps", "1"], "CORPUS is a data set name or a path"),
        (["embed", "train", "a\nb"], "CORPUS is a data set name or a path"),
        (["forecast", "1\n2\n3"], "DATA is a data set name or a path"),
        (["train", "shakespeare", "--minutes", "nan"], "time budget must be a finite number"),
        (["train", "shakespeare", "--epochs", "inf"], "epochs must be positive"),
        (["train", "shakespeare", "--steps", "1", "--out", "."], "is the current folder"),
        (["plot", "runs/x", "--out", "loss.png"], "--out is the output folder"),
    ],
)
def test_bad_arguments_are_one_line_errors(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error:") and message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_the_default_folder_is_named_as_before(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "v1.2.txt").write_text("To be, or not to be, that is the question.\n" * 40)
    result = CliRunner().invoke(cli, ["train", "v1.2.txt", "--steps", "2", *TINY_FLAGS])
    assert result.exit_code == 0, result.output
    config = json.loads((tmp_path / "runs" / "v1.2" / "config.json").read_text())
    assert config["backend"] == "torch"  # as release 0.1.0 wrote it, beside training.backend


def test_resume_keeps_the_encoding_the_run_was_trained_with(tmp_path: Path) -> None:
    data = tmp_path / "reviews.csv"
    rows = ["text,label"] + ["café crème,pos", "thé froid,neg"] * 20
    data.write_bytes("\n".join(rows).encode("latin-1"))
    flags = ["--hidden-size", "8", "--embed-size", "8", "--min-count", "1", "--quiet"]
    out = tmp_path / "clf"
    first = CliRunner().invoke(
        cli,
        [
            "train",
            "classifier",
            str(data),
            "--encoding",
            "latin-1",
            "--steps",
            "2",
            "--out",
            str(out),
            *flags,
        ],
    )
    assert first.exit_code == 0, first.output
    again = CliRunner().invoke(
        cli, ["train", "classifier", "--resume", str(out), "--steps", "4", "--quiet"]
    )
    assert again.exit_code == 0, again.output
    assert json.loads((out / "config.json").read_text())["stats"]["steps"] == 4
