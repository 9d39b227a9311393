"""A qualified case on a locker: who commands whom, where, and an incident in that place."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from evidence_support import LockerSetup

from tocsin.accountability import entities
from tocsin.accountability.qualification import DEFAULT_SITUATION, assess, sign_off
from tocsin.records.accounts import add_incident, user_named
from tocsin.records.db import session_factory
from tocsin.records.models import Actor, IncidentActor

SOURCE = "https://example.org/report-on-el-geneina"  # a stand-in citation for the claims


@dataclass
class Case:
    setup: LockerSetup
    commander: str
    unit: str
    rsf: str
    incident: int
    item: int
    assessments: list[int]


def build_case(setup: LockerSetup, sign: bool = True) -> Case:
    url = setup.workspace.database_url
    with session_factory(url)() as session, session.begin():
        badr = user_named(session, "badr")
        rsf = entities.add_actor(session, badr, "Organization", "Rapid Support Forces",
                                 properties={"alias": ["RSF", "الدعم السريع"]}, public=True)
        unit = entities.add_actor(session, badr, "Organization", "RSF West Darfur sector",
                                  sources=[SOURCE])
        person = entities.add_actor(session, badr, "Person", "Abdel Rahman Juma Barkalla",
                                    properties={"birthDate": "1969"}, sources=[SOURCE])
        entities.add_link(session, badr, "Membership", unit, rsf, role="sector",
                          status="accepted", sources=[SOURCE])
        entities.add_link(session, badr, "Membership", person, unit, role="sector commander",
                          start="2023-04-15", status="accepted", sources=[SOURCE])
        entities.add_area(session, badr, unit, label="El Geneina", place_id="el-geneina",
                          date_from=dt.date(2023, 4, 24), date_to=dt.date(2023, 11, 30),
                          status="accepted", sources=[SOURCE])
        incident = add_incident(session, username="badr", title="Killings of civilians in El "
                                "Geneina", category="attack_on_civilians",
                                occurred_from=dt.date(2023, 6, 14), place_id="el-geneina")
        ids = (person.id, unit.id, rsf.id, incident.id)
    item = setup.add(b"video: civilians shot in El Geneina, 14 June 2023", "geneina.mp4",
                     sensitivity="restricted", incidents=[ids[3]])
    locker = setup.locker
    made = [
        assess(locker, "badr", incident_id=ids[3], element_id="7(1)(a)-1",
               assessment="supported", evidence_items=[item], note="bodies on video",
               protected_group={"group": "Masalit", "kind": "ethnic", "as_reported": True}),
        assess(locker, "badr", incident_id=ids[3], element_id="8(2)(e)(i)-1",
               assessment="supported", evidence_items=[item]),
        assess(locker, "badr", incident_id=ids[3], element_id="8(2)(e)(i)-2",
               assessment="supported", evidence_items=[item]),
        assess(locker, "badr", situation=DEFAULT_SITUATION, element_id="7(1)(a)-2",
               assessment="supported", event_uids=["ucdp-ged:1"]),
    ]
    if sign:
        for row in made:
            sign_off(locker, "amira", row.id)
    return Case(setup, ids[0], ids[1], ids[2], ids[3], item, [r.id for r in made])


def attribute(setup: LockerSetup, incident_id: int, entity_id: str) -> None:
    """Name the entity's records actor as perpetrator in the incident record."""
    with session_factory(setup.workspace.database_url)() as session, session.begin():
        row = session.get(entities.FtmEntity, entity_id)
        assert row is not None and row.actor_id is not None
        session.add(IncidentActor(incident_id=incident_id, actor_id=row.actor_id,
                                  role="perpetrator"))
        assert session.get(Actor, row.actor_id) is not None
