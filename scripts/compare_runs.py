"""Train the same small runs with whichever rnnkit is importable and print a JSON digest of
each (weights hash, samples, probabilities): run it in two checkouts and compare the outputs to
show that a change left training bit-for-bit as it was.

    cd OLD_CHECKOUT && PYTHONPATH=$PWD python NEW_CHECKOUT/scripts/compare_runs.py DATA > old.json
    cd NEW_CHECKOUT && PYTHONPATH=$PWD python scripts/compare_runs.py DATA > new.json
    cmp old.json new.json

DATA is a text file (e.g. ../shared/data/tinyshakespeare.txt); its first 60,000 characters are
used. It calls only the public API of rnnkit 0.1.0 and later.
"""

from __future__ import annotations

import hashlib
import json
import sys

import torch


def digest(model: torch.nn.Module) -> str:
    """A short hash of every weight, in name order."""
    h = hashlib.sha256()
    for name, value in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(value.detach().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def main(path: str) -> None:
    from rnnkit import CharLM, TextClassifier, WordLM

    torch.set_num_threads(1)  # a fixed reduction order, so floats compare exactly
    with open(path, encoding="utf-8") as fh:
        text = fh.read()[:60_000]
    lm = CharLM(dropout=0.1, hidden_size=64, evals=2).fit(text, steps=30, quiet=True)
    word = WordLM(hidden_size=64, embed_size=32, evals=2).fit(text, epochs=0.5, quiet=True)
    lines = [line for line in text.splitlines() if len(line.split()) > 3][:400]
    labels = ["long" if len(line) > 35 else "short" for line in lines]
    clf = TextClassifier(hidden_size=16, embed_size=16, blend=True)
    clf.fit(lines, labels, steps=40, quiet=True)
    net = getattr(clf, "model_", None) or getattr(clf, "net_", None)  # 0.1.0 called it net_
    out = {
        "char": [digest(lm.model_), lm.generate(n_chars=60, seed=1)],
        "word": [
            digest(word.model_),
            word.info()["planned_epochs"],
            word.generate(n_words=10, seed=1),
        ],
        "classifier": [
            digest(net),
            clf.blend_weight_,
            clf.predict_proba(lines[:3]).round(6).tolist(),
        ],
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
