"""The models against a migrated database: round trips and the constraints that guard them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from tocsin.records.db import make_engine, session_factory, upgrade
from tocsin.records.models import (
    Actor,
    Incident,
    IncidentActor,
    IncidentEvent,
    Organisation,
    User,
)


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    upgrade(db_url)
    factory = session_factory(db_url)
    yield factory
    factory.kw["bind"].dispose()


@pytest.fixture
def seeded(sessions: sessionmaker[Session]) -> dict[str, int]:
    """One organisation and one analyst; returns their ids."""
    with sessions.begin() as session:
        org = Organisation(name="Sudan Witness Network")
        user = User(organisation=org, username="amira", display_name="أميرة", role="analyst")
        session.add_all([org, user])
        session.flush()
        return {"organisation_id": org.id, "user_id": user.id}


def make_incident(ids: dict[str, int], **overrides: object) -> Incident:
    values: dict[str, object] = {
        "organisation_id": ids["organisation_id"],
        "created_by": ids["user_id"],
        "title": "Attack on Abu Shouk camp",
        "category": "attack_on_civilians",
        "occurred_from": dt.date(2024, 6, 1),
    }
    values.update(overrides)
    return Incident(**values)


def test_round_trip(sessions: sessionmaker[Session]) -> None:
    before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    with sessions.begin() as session:
        org = Organisation(name="Darfur Monitors")
        user = User(
            organisation=org,
            username="khalid",
            display_name="خالد",
            role="monitor",
            language="ar",
            password_hash="scrypt$abc",
        )
        rsf = Actor(
            name="Rapid Support Forces",
            kind="armed_group",
            aliases=["RSF", "قوات الدعم السريع", "Janjaweed"],
            notes="Paramilitary force",
            source="ucdp-ged",
            source_id="4536",
        )
        civilians = Actor(name="Civilians (Sudan)", kind="other")
        incident = Incident(
            organisation=org,
            creator=user,
            title="Siege and shelling of El Fasher",
            description="Shelling of the Abu Shouk camp and the Saudi hospital.",
            category="shelling",
            occurred_from=dt.date(2024, 5, 10),
            occurred_to=dt.date(2024, 5, 14),
            place_id="osm:node:123456",
            admin1_pcode="SD02",
            admin2_pcode="SD02001",
            lat=13.6279,
            lon=25.3494,
        )
        incident.link_event("ucdp-ged:532001")
        incident.link_event("acled:SUD12345")
        incident.link_actor(rsf, "perpetrator")
        incident.link_actor(civilians, "victim")
        session.add(incident)
        session.flush()
        incident_id = incident.id

    with sessions() as session:
        got = session.get(Incident, incident_id)
        assert got is not None
        assert got.title == "Siege and shelling of El Fasher"
        assert got.status == "open"
        assert (got.occurred_from, got.occurred_to) == (dt.date(2024, 5, 10), dt.date(2024, 5, 14))
        assert (got.admin1_pcode, got.admin2_pcode, got.place_id) == (
            "SD02", "SD02001", "osm:node:123456"
        )
        assert got.lat == pytest.approx(13.6279)
        assert got.lon == pytest.approx(25.3494)
        assert sorted(got.event_uids) == ["acled:SUD12345", "ucdp-ged:532001"]
        assert got.organisation.name == "Darfur Monitors"
        assert got.creator.username == "khalid"
        assert got.creator.display_name == "خالد"
        assert got.creator.language == "ar"
        assert got.creator.password_hash == "scrypt$abc"
        roles = {(link.actor.name, link.role) for link in got.actor_links}
        assert roles == {("Rapid Support Forces", "perpetrator"), ("Civilians (Sudan)", "victim")}
        rsf = session.scalars(sa.select(Actor).where(Actor.source_id == "4536")).one()
        assert rsf.aliases == ["RSF", "قوات الدعم السريع", "Janjaweed"]
        assert (rsf.source, rsf.kind, rsf.notes) == ("ucdp-ged", "armed_group", "Paramilitary force")
        assert session.get(Actor, civilians.id).aliases == []

        for stamp in (got.created_at, got.updated_at, got.organisation.created_at):
            assert stamp.tzinfo is not None
            assert stamp.utcoffset() == dt.timedelta(0)
            assert before <= stamp <= dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)

        # From a lake event back to the incidents that cite it.
        cited = session.scalars(
            sa.select(Incident).join(IncidentEvent).where(
                IncidentEvent.event_uid == "acled:SUD12345"
            )
        ).all()
        assert [i.id for i in cited] == [incident_id]


def test_updated_at_moves_on_update(sessions: sessionmaker[Session], seeded: dict[str, int]) -> None:
    with sessions.begin() as session:
        incident = make_incident(seeded)
        session.add(incident)
    created_at, first_update = incident.created_at, incident.updated_at
    assert first_update - created_at < dt.timedelta(seconds=1)
    with sessions.begin() as session:
        incident = session.get(Incident, incident.id)
        incident.status = "verified"
    with sessions() as session:
        got = session.get(Incident, incident.id)
        assert got.status == "verified"
        assert got.updated_at > first_update
        assert got.created_at == created_at


def test_timestamps_keep_the_instant_across_zones(
    sessions: sessionmaker[Session],
) -> None:
    khartoum = dt.timezone(dt.timedelta(hours=2))
    when = dt.datetime(2024, 4, 15, 9, 30, tzinfo=khartoum)
    with sessions.begin() as session:
        org = Organisation(name="Zone test", created_at=when)
        session.add(org)
    with sessions() as session:
        got = session.get(Organisation, org.id)
        assert got.created_at == when
        assert got.created_at.utcoffset() == dt.timedelta(0)
        assert got.created_at.hour == 7


def test_naive_datetime_is_refused(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        session.add(Organisation(name="Naive", created_at=dt.datetime(2024, 1, 1, 12, 0)))
        with pytest.raises(sa.exc.StatementError, match="naive datetime"):
            session.flush()


def test_server_defaults_fill_rows_written_without_the_orm(db_url: str) -> None:
    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("INSERT INTO organisations (name) VALUES ('Raw')"))
            connection.execute(
                sa.text(
                    "INSERT INTO users (organisation_id, username, display_name) "
                    "SELECT id, 'raw', 'Raw user' FROM organisations"
                )
            )
            connection.execute(sa.text("INSERT INTO actors (name, kind) VALUES ('X', 'militia')"))
        with engine.connect() as connection:
            user = connection.execute(sa.select(User)).one()
            actor = connection.execute(sa.select(Actor)).one()
    finally:
        engine.dispose()
    assert (user.role, user.language) == ("viewer", "en")
    assert user.created_at.tzinfo is not None
    assert abs(user.created_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    assert actor.aliases == []


def test_role_check_rejects_bad_role(sessions: sessionmaker[Session], seeded: dict[str, int]) -> None:
    with sessions() as session:
        session.add(
            User(
                organisation_id=seeded["organisation_id"],
                username="mallory",
                display_name="Mallory",
                role="superuser",
            )
        )
        with pytest.raises(sa.exc.IntegrityError, match=r"(?i)ck_users_role|check"):
            session.flush()

    # Raw SQL cannot sneak it in either.
    with sessions() as session, pytest.raises(sa.exc.IntegrityError):
        session.execute(sa.text("UPDATE users SET role = 'root'"))

    with sessions() as session:
        assert session.scalars(sa.select(User.role)).all() == ["analyst"]


@pytest.mark.parametrize(
    "overrides",
    [
        {"status": "rumoured"},
        {"occurred_to": dt.date(2024, 5, 1)},  # before occurred_from
        {"lat": 13.6},  # lat without lon
        {"lat": 95.0, "lon": 25.0},
        {"lat": 13.0, "lon": 200.0},
    ],
    ids=["status", "dates-reversed", "lat-without-lon", "lat-range", "lon-range"],
)
def test_incident_checks(
    sessions: sessionmaker[Session], seeded: dict[str, int], overrides: dict[str, object]
) -> None:
    with sessions() as session:
        session.add(make_incident(seeded, **overrides))
        with pytest.raises(sa.exc.IntegrityError):
            session.flush()


def test_other_checks(sessions: sessionmaker[Session], seeded: dict[str, int]) -> None:
    with sessions() as session:
        session.add(
            User(organisation_id=seeded["organisation_id"], username="x", display_name="X",
                 language="fr")
        )
        with pytest.raises(sa.exc.IntegrityError):
            session.flush()
    with sessions() as session:
        session.add(Actor(name="Y", kind="alien"))
        with pytest.raises(sa.exc.IntegrityError):
            session.flush()
    with sessions() as session:
        incident = make_incident(seeded)
        incident.link_actor(Actor(name="Z", kind="company"), "bystander")
        session.add(incident)
        with pytest.raises(sa.exc.IntegrityError):
            session.flush()


def test_unique_names(sessions: sessionmaker[Session], seeded: dict[str, int]) -> None:
    with sessions() as session:
        session.add(Organisation(name="Sudan Witness Network"))
        with pytest.raises(sa.exc.IntegrityError):
            session.flush()
    with sessions() as session:
        session.add(User(organisation_id=seeded["organisation_id"], username="amira",
                         display_name="Another Amira"))
        with pytest.raises(sa.exc.IntegrityError):
            session.flush()
    with sessions() as session:
        session.add_all([
            Actor(name="A", kind="militia", source="acled", source_id="7"),
            Actor(name="B", kind="militia", source="acled", source_id="7"),
        ])
        with pytest.raises(sa.exc.IntegrityError):
            session.flush()
    with sessions.begin() as session:  # hand-entered actors (no source) do not collide
        session.add_all([Actor(name="C", kind="person"), Actor(name="D", kind="person")])


def test_foreign_keys_are_enforced(sessions: sessionmaker[Session], seeded: dict[str, int]) -> None:
    """Also on SQLite, where they are off unless each connection turns them on."""
    with sessions() as session:
        session.add(User(organisation_id=9999, username="ghost", display_name="Ghost"))
        with pytest.raises(sa.exc.IntegrityError):
            session.flush()
    with sessions() as session:
        session.add(IncidentEvent(incident_id=9999, event_uid="ucdp-ged:1"))
        with pytest.raises(sa.exc.IntegrityError):
            session.flush()
    with sessions() as session:
        session.add(make_incident(seeded, created_by=9999))
        with pytest.raises(sa.exc.IntegrityError):
            session.flush()
    # An organisation with users cannot be deleted out from under them.
    with sessions() as session, pytest.raises(sa.exc.IntegrityError):
        session.execute(sa.text("DELETE FROM organisations"))
        session.flush()


def test_deleting_an_incident_cascades_to_its_links_in_the_database(
    sessions: sessionmaker[Session], seeded: dict[str, int]
) -> None:
    with sessions.begin() as session:
        incident = make_incident(seeded)
        incident.link_event("firms:abc")
        actor = Actor(name="SAF", kind="state_force")
        incident.link_actor(actor, "perpetrator")
        incident.link_actor(actor, "supplier")  # one actor, two parts in one incident
        session.add(incident)
    with sessions.begin() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(IncidentActor)) == 2
        # An actor cited by an incident cannot be deleted ...
        with pytest.raises(sa.exc.IntegrityError), session.begin_nested():
            session.execute(sa.delete(Actor))
        # ... but deleting the incident (plain SQL, no ORM cascade) removes its links.
        session.execute(sa.delete(Incident))
    with sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(IncidentEvent)) == 0
        assert session.scalar(sa.select(sa.func.count()).select_from(IncidentActor)) == 0
        assert session.scalars(sa.select(Actor.name)).all() == ["SAF"]
