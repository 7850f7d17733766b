"""Line-structure features (rhyme, line lengths) and the verse vs drama model on them."""

from __future__ import annotations

import pytest

from rnnkit import RnnkitError
from rnnkit.classify.lines import LINE_FEATURES, LineLogReg, line_features, rhyme_key, rhymes
from rnnkit.data import works

QUATRAIN = """From fairest creatures we desire increase,
That thereby beauty's rose might never lie,
But as the riper should by time decease,
His tender heir might bear his memory tie:"""


def _features(text: str) -> dict[str, float]:
    return dict(zip(LINE_FEATURES, line_features(text), strict=True))


@pytest.mark.parametrize(
    ("word", "key"),
    [("increase", "ease"), ("decease", "ease"), ("day", "ay"), ("thee", "ee"), ("love", "ove")],
)
def test_the_rhyme_key_is_the_last_vowel_group_and_what_follows(word: str, key: str) -> None:
    assert rhyme_key(word) == key


def test_rhymes_by_key_or_last_three_letters_never_a_word_with_itself() -> None:
    assert rhymes("day", "gay") and rhymes("nation", "station")
    assert not rhymes("day", "day") and not rhymes("day", "night")


def test_an_abab_quatrain_rhymes_alternately_and_not_in_couplets() -> None:
    found = _features(QUATRAIN)
    assert found["rhyme_alternate"] == 1.0  # increase/decease, lie/tie
    assert found["rhyme_next"] == 0.0
    lengths = [len(line) for line in QUATRAIN.split("\n")]
    assert found["mean_length"] == pytest.approx(sum(lengths) / len(lengths) / 40)
    assert found["short_lines"] == 0.0 and found["capital_starts"] == 1.0


def test_half_lines_and_lower_case_starts_are_counted() -> None:
    found = _features("Who's there?\nNay, answer me. Stand and unfold yourself.\nand so\n\n")
    assert found["short_lines"] == pytest.approx(2 / 3)  # the blank line is not a line
    assert found["capital_starts"] == pytest.approx(2 / 3)
    assert found["length_spread"] > 0.5


def test_a_text_without_lines_gives_zeros() -> None:
    assert line_features("") == line_features("\n \n") == [0.0] * len(LINE_FEATURES)


def test_verse_and_drama_of_works_held_out() -> None:
    """Trained on two poems and four plays, it tells the held-out Sonnets from held-out plays."""

    def chosen(split: str, titles: set[str]) -> list[dict[str, str]]:
        return [r for r in works.records(split, 2000) if r["title"] in titles]

    seen = {"THE RAPE OF LUCRECE", "VENUS AND ADONIS", "KING JOHN", "THE TEMPEST"}
    seen |= {"THE TRAGEDY OF MACBETH", "AS YOU LIKE IT"}
    held = {"THE SONNETS", "THE TRAGEDY OF KING LEAR", "THE MERRY WIVES OF WINDSOR"}
    train, val = chosen("train", seen), chosen("validation", seen)
    test = [r for split in works.SPLITS for r in chosen(split, held)]
    model = LineLogReg().fit(
        [r["text"] for r in train],
        [works.form(r["genre"]) for r in train],
        [r["text"] for r in val],
        [works.form(r["genre"]) for r in val],
    )
    assert model.C_ in model.Cs
    truth = [works.form(r["genre"]) for r in test]
    predicted = model.predict([r["text"] for r in test]).tolist()
    assert truth.count("verse") == 40
    assert sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(truth) >= 0.95
    assert sum(p == "verse" for t, p in zip(truth, predicted, strict=True) if t == "verse") >= 38


def test_bad_input_is_a_one_line_error() -> None:
    with pytest.raises(RnnkitError, match="two classes"):
        LineLogReg().fit(["a\nb", "c\nd"], ["verse", "verse"])
    with pytest.raises(RnnkitError, match="not fitted"):
        LineLogReg().predict(["a"])
    with pytest.raises(RnnkitError, match="positive"):
        LineLogReg(Cs=[0.0])
