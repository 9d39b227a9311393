"""Which look-ups are sure enough to write a record about (a fall, a piece of evidence, an
incident): the name as written, its sound when the sound says enough, never a look-alike."""

from __future__ import annotations

import pytest

from tocsin.places.lookup import surely_named


@pytest.mark.parametrize(("query", "how", "matched", "sure"), [
    ("Al Fashir", "exact", "Al Fashir", True),
    ("Zalinjei", "same-sound", "Zalinjay", True),       # zlnk: a four-consonant sound
    ("Jebel Moon", "same-sound", "Jabel Mun", True),
    ("Nyla", "same-sound", "Nyala", True),              # nl: short, but the spellings are alike
    ("p-0000000000", "same-sound", "الأبي", False),     # b: a sound many names share
    ("x1", "same-sound", "الخوى", False),
    ("Zalingeit", "similar", "Zalinjay", False),        # a look-alike is never sure
    ("Nowhere-town", "similar", "HARARA TIMAN", False),
])
def test_a_record_needs_the_name_or_a_telling_sound(query: str, how: str, matched: str,
                                                    sure: bool) -> None:
    assert surely_named({"how": how, "matched_name": matched}, query) is sure
