"""Every publisher wraps its page of records in an object (ACLED's and HAPI's ``data``, UCDP's
``Result``, Kobo's ``results``, ODK's ``value``): ``listed_in`` gives that list, or an error
naming the source, the request and what the reply held instead, in English and in Arabic."""

from __future__ import annotations

from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from tocsin.i18n import ARABIC_LETTER, Catalogue, said_of
from tocsin.sync.http import SyncError, listed_in

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8)
REPLIES = JSON | st.dictionaries(st.sampled_from(["data", "Result", "count"]), JSON, max_size=3)


@given(REPLIES)
@example({"data": []})
@example({"success": False, "error": "no access"})
@example([{"data": []}])
def test_a_reply_gives_its_list_or_says_what_it_held(reply: Any) -> None:
    wrapped = isinstance(reply, dict) and isinstance(reply.get("data"), list)
    try:
        rows = listed_in("hapi", "GET /api/v2/x", reply, "data")
    except SyncError as exc:
        assert not wrapped
        text = str(exc)
        assert text.startswith("hapi: GET /api/v2/x: expected an object with a `data` list, found ")
        if isinstance(reply, dict):
            assert all(str(key) in text for key in reply)
        else:
            assert type(reply).__name__ in text
        arabic = said_of(exc).told(Catalogue("cli", "ar"))
        assert "GET /api/v2/x" in arabic and ARABIC_LETTER.search(arabic)
        assert "expected an object" not in arabic
    else:
        assert wrapped and rows is reply["data"]
