"""An organisation's choices for its briefs, kept in the records database: the digits of its
Arabic edition and its asks, a short text per brief (day and language) printed on page one."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tocsin.arabic import DIGIT_STYLES
from tocsin.i18n import Said
from tocsin.records.accounts import RecordError, organisation_named
from tocsin.records.db import session_factory
from tocsin.records.models import BriefAsk

MAX_ASKS_CHARS = 1500  # a short text: page one must still fit one page (the table checks it too)


def set_digits(database_url: str, organisation: str, style: str) -> None:
    if style not in DIGIT_STYLES:
        raise RecordError(Said("accounts.digit_style", style=style))
    with session_factory(database_url)() as session, session.begin():
        organisation_named(session, organisation).digits = style


def save_asks(database_url: str, organisation: str, as_of: dt.date, lang: str, text: str) -> None:
    """Keep (or replace) the organisation's asks for the brief of ``as_of`` in ``lang``."""
    text = text.strip()
    if len(text) > MAX_ASKS_CHARS:
        raise RecordError(Said("accounts.asks_long", held=len(text), limit=MAX_ASKS_CHARS))
    with session_factory(database_url)() as session, session.begin():
        org = organisation_named(session, organisation)
        row = session.scalar(select(BriefAsk).where(BriefAsk.organisation_id == org.id,
                                                    BriefAsk.as_of == as_of, BriefAsk.lang == lang))
        if row is None:
            session.add(BriefAsk(organisation_id=org.id, as_of=as_of, lang=lang, text=text))
        else:
            row.text = text
            row.updated_at = dt.datetime.now(dt.UTC)


def brief_preferences(database_url: str, organisation: str, as_of: dt.date, lang: str
                      ) -> tuple[str, str | None]:
    """The organisation's digit style and its asks for the brief of ``as_of`` in ``lang``."""
    with session_factory(database_url)() as session:
        org = organisation_named(session, organisation)
        asks = session.scalar(select(BriefAsk.text).where(
            BriefAsk.organisation_id == org.id, BriefAsk.as_of == as_of, BriefAsk.lang == lang))
        return org.digits, asks
