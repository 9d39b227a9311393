"""Reasons in words an analyst can use, in English and Arabic.

A reason names a driver of the forecast with its value and what it is compared to: "fighting 12
km to the north-east near Tawila, 3 days ago (Government of Sudan v RSF, 39 killed)", "violence
on 3 of 8 sides within 50 km in the last 21 days", "Sorghum 4.1x its six-month median at Al
Fashir market (12 km)". The drivers are the features with the largest positive SHAP
contributions; static facts about the place (its class, population, distance to a market) are
never a reason on their own: they shape the forecast but tell an analyst nothing new.

Every phrase is a pair (English, Arabic). Arabic numbers are written in Western digits, as
Sudanese media do; actor names are translated where the name is well known, kept as the source
writes them otherwise.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from numpy.typing import NDArray

from tocsin.analysis.features import FAR_KM, LONG_AGO_DAYS, TAKEOVER_FEATURES, FeatureBuilder, is_rsf
from tocsin.analysis.proximity import PlacePairs
from tocsin.i18n import counted
from tocsin.schema.actors import canonical

Phrase = tuple[str, str]   # (English, Arabic)

# Facts about the place that never change with the date: not a reason by themselves.
STATIC = frozenset({"place_rank", "population", "displaced_households", "market_km", "hiu_damaged"})
RING = re.compile(r"^(violent_events|deaths|attacks|burnings)_(\d+)km_(\d+)d$")
COMPASS = ("north", "north-east", "east", "south-east", "south", "south-west", "west", "north-west")
COMPASS_AR = ("الشمال", "الشمال الشرقي", "الشرق", "الجنوب الشرقي", "الجنوب", "الجنوب الغربي",
              "الغرب", "الشمال الغربي")
KIND = {"battle": ("fighting", "قتال"), "attack_on_civilians": ("an attack on civilians", "هجوم على مدنيين"),
        "remote_violence": ("shelling or an air strike", "قصف أو غارة جوية"),
        "sexual_violence": ("sexual violence", "عنف جنسي"),
        "looting_destruction": ("looting or destruction", "نهب أو تدمير"),
        "abduction": ("an abduction", "اختطاف")}
ACTORS_AR = {"Government of Sudan": "حكومة السودان", "RSF": "قوات الدعم السريع", "Civilians": "المدنيين",
             "Janjaweed": "الجنجويد", "SPLM/A-North": "الحركة الشعبية لتحرير السودان - شمال",
             "SPLM/A": "الحركة الشعبية لتحرير السودان", "SLM/A": "حركة تحرير السودان",
             "JEM": "حركة العدل والمساواة", "SRF": "الجبهة الثورية السودانية"}


# -- small words --------------------------------------------------------------------------
def _n(value: float) -> str:
    return f"{value:,.0f}"


def _count(value: float, many: str) -> str:
    """"3 violent events", and "1 violent event": the singular is ``SINGULAR``'s."""
    return f"1 {SINGULAR[many]}" if round(value) == 1 else f"{_n(value)} {many}"


SINGULAR = {"violent events": "violent event", "atrocity-grade events": "atrocity-grade event",
            "deaths": "death", "deaths in violent events": "death in a violent event",
            "attacks on civilians": "attack on civilians",
            "settlement burnings": "settlement burning"}


def _days_ar(days: int | str) -> str:
    """A number of days in Arabic, the noun agreeing with it: 7 أيام, 30 يومًا, 100 يوم."""
    return _counted_ar(int(days), "days")


def ago(days: int) -> Phrase:
    if days <= 0:
        return "today", "اليوم"
    if days == 1:
        return "yesterday", "أمس"
    if days == 2:
        return "2 days ago", "قبل يومين"
    return f"{days} days ago", f"قبل {_days_ar(days)}"


def on_day(day: int) -> Phrase:
    """ "on 2023-12-27": a day named by its date, for reasons read on a later day than they
    count from (a forecast asked past the end of the event data)."""
    from tocsin.analysis.timeaxis import EPOCH

    named = (EPOCH + timedelta(days=int(day))).isoformat()
    return f"on {named}", f"في {named}"


def _counted_ar(value: float, noun: str) -> str:
    """``value`` ``noun`` (tocsin.i18n.COUNTED) in Arabic: "3 قتلى", "11 قتيلًا", "100 قتيل"."""
    return counted(round(value), noun, "ar", _n(value))


def killed(n: int) -> Phrase:
    return ("1 killed" if n == 1 else f"{n:,} killed"), _counted_ar(n, "killed")


def direction(bearing: float) -> Phrase:
    i = round(bearing / 45) % 8
    return COMPASS[i], COMPASS_AR[i]


def actors(a1: str, a2: str) -> Phrase | None:
    if not a1:
        return None
    a1, a2 = canonical(a1) or a1, canonical(a2) or a2   # SFA is the RSF (schema/actors.yaml)
    ar1, ar2 = ACTORS_AR.get(a1, a1), ACTORS_AR.get(a2, a2)
    if a2 == "Civilians":
        return f"{a1} against civilians", f"{ar1} ضد المدنيين"
    if not a2:
        return a1, ar1
    return f"{a1} v {a2}", f"{ar1} ضد {ar2}"


def where_violence(found: tuple[float, float, int, int] | None, days: int = 30) -> Phrase:
    """The nearest recent violence as a bare phrase (no actors): "violence 23 km to the north-west,
    5 days ago"."""
    if found is None:
        return (f"no violence within 100 km in the last {days} days",
                f"لا عنف في نطاق 100 كم خلال آخر {_days_ar(days)}")
    km, bearing, days_ago, _ = found
    when, when_ar = ago(days_ago)
    if km < 1:
        return f"violence at the place, {when}", f"عنف في المكان نفسه، {when_ar}"
    d, d_ar = direction(bearing)
    return f"violence {km:,.0f} km to the {d}, {when}", f"عنف على بعد {km:,.0f} كم إلى {d_ar}، {when_ar}"


@dataclass
class Places:
    """What reasons need of the gazetteer: names, Arabic names, class ranks."""

    names: list[str | None]
    names_ar: list[str | None]
    rank: NDArray[np.float64]


class Explainer:
    """Turns a place's feature values and SHAP contributions into phrases (see module doc)."""

    def __init__(self, builder: FeatureBuilder, places: Places, as_of: int,
                 explained: NDArray[np.int64] | None = None, dated: bool = False) -> None:
        self.b, self.places, self.d = builder, places, as_of
        # ``dated``: the reasons count back from the data's end for a day asked past it, so
        # "4 days ago" would be read from the wrong day: events are named by their date instead.
        self.dated = dated
        self._nearest: dict[tuple[int, int], tuple[float, float, int, int] | None] = {}
        # The places to be explained, indexed at the first question about any of them.
        self._explained = np.asarray(explained if explained is not None else [], dtype=np.int64)
        self._index: PlacePairs | None = None
        # The events the phrase being made tells of (``event`` adds to it): two features can
        # lead to one event (the year's nearest is often the latest within 25 km), and a
        # reader must not be told it twice.
        self._events_told: list[int] = []

    def when(self, days_ago: int) -> Phrase:
        """How long before the day the reasons count from: "4 days ago", or "on 2023-12-27"."""
        return on_day(self.d - days_ago) if self.dated else ago(days_ago)

    def _pairs(self, place: int, days: int | None) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        """The violent events near the place known by the day, dated in its last ``days`` days,
        and their distances."""
        if self._index is None or place not in self._index:
            self._index = self.b.place_pairs(np.union1d(self._explained, [place]))
        return self._index.window(place, self.d, days)

    # -- the event behind a phrase ---------------------------------------------------------
    def nearest(self, place: int, days: int) -> tuple[float, float, int, int] | None:
        key = (place, days)
        if key not in self._nearest:
            self._pairs(place, days)    # indexes the place
            assert self._index is not None
            self._nearest[key] = self.b.nearest_in(self._index, place, self.d, days)
        return self._nearest[key]

    def latest(self, place: int, km: float) -> tuple[float, float, int, int] | None:
        """The most recent violent event known within ``km`` (in the ten years before)."""
        from tocsin.analysis.features import bearing_deg

        b = self.b
        v = b.violence
        points, kms = self._pairs(place, LONG_AGO_DAYS)
        within = kms <= km
        points, kms = points[within], kms[within]
        if not len(points):
            return None
        best = int(np.argmax(v.day[points]))
        e = int(points[best])
        return (float(kms[best]),
                bearing_deg(b.lat[place], b.lon[place], b.violence_lat[e], b.violence_lon[e]),
                self.d - int(v.day[e]), e)

    def _town_near(self, event: int) -> tuple[str, str] | None:
        """The town or city within 15 km of an event, to say where it was."""
        from tocsin.analysis.proximity import chord_for_km, unit_xyz

        b = self.b
        xyz = unit_xyz(np.asarray([b.violence_lat[event]]), np.asarray([b.violence_lon[event]]))
        found = b.tree.query_ball_point(xyz[0], chord_for_km(15.0))
        towns = [i for i in found if self.places.rank[i] >= 5 and self.places.names[i]]
        if not towns:
            return None
        best = min(towns, key=lambda i: (-self.places.rank[i],
                                         float(np.linalg.norm(b.tree.data[i] - xyz[0]))))
        return self._name(best)

    def _name(self, place: int) -> tuple[str, str]:
        """A place's name in English and in Arabic (the standard spelling, or a known form, or a
        marked transliteration: ``tocsin.arabic.place_name``, as the brief and the web app)."""
        from tocsin.arabic import place_name

        name = self.places.names[place] or ""
        return name, place_name(name, self.places.names_ar[place], "ar")

    def event(self, place: int, found: tuple[float, float, int, int]) -> Phrase:
        """ "fighting 12 km to the north-east near Tawila, 3 days ago (Government of Sudan v RSF,
        39 killed)"."""
        km, bearing, days_ago, e = found
        self._events_told.append(e)
        b = self.b
        kind, kind_ar = KIND.get(str(b.violence_category[e]), ("violence", "عنف"))
        when, when_ar = self.when(days_ago)
        if km < 1:
            en, ar = f"{kind} at the place, {when}", f"{kind_ar} في المكان نفسه، {when_ar}"
        else:
            d, d_ar = direction(bearing)
            town = self._town_near(e)
            at = f" near {town[0]}" if town and town[0] != self.places.names[place] else ""
            at_ar = f" قرب {town[1]}" if at and town else ""
            en = f"{kind} {km:,.0f} km to the {d}{at}, {when}"
            ar = f"{kind_ar} على بعد {km:,.0f} كم إلى {d_ar}{at_ar}، {when_ar}"
        details = [x for x in (actors(str(b.violence_actors[0][e]), str(b.violence_actors[1][e])),
                               killed(int(b.violence_deaths[e])) if b.violence_deaths[e] >= 1 else None) if x]
        if details:
            en += " (" + ", ".join(x[0] for x in details) + ")"
            ar += " (" + "، ".join(x[1] for x in details) + ")"
        return en, ar

    def takeover(self, place: int, found: tuple[float, float, int, int]) -> Phrase:
        """ "the RSF took Nyala, 180 km to the south, 9 days ago" (a fall the siege tracker saw,
        with who took it where the events name them), or "Kutum came under assault 12 km to the
        north, 5 days ago"."""
        km, bearing, days_ago, row = found
        b = self.b
        town, town_ar = self._name(int(b.takeover_place[row]))
        d, d_ar = direction(bearing)
        when, when_ar = self.when(days_ago)
        where, where_ar = f"{km:,.0f} km to the {d}", f"على بعد {km:,.0f} كم إلى {d_ar}"
        if not b.takeover_fell[row]:
            return (f"{town} came under assault, {where}, {when}",
                    f"تعرّضت {town_ar} لهجوم، {where_ar}، {when_ar}")
        actor = str(b.takeover_actor[row])
        if not actor:
            return f"{town} was overrun, {where}, {when}", f"اجتيحت {town_ar}، {where_ar}، {when_ar}"
        who, who_ar = ("the RSF", "قوات الدعم السريع") if is_rsf(actor) else \
            (actor, ACTORS_AR.get(actor, actor))
        return f"{who} took {town}, {where}, {when}", f"سيطرت {who_ar} على {town_ar}، {where_ar}، {when_ar}"

    def _takeover_phrase(self, place: int, name: str, value: float) -> Phrase | None:
        """The siege tracker's falls and assaults near the place, as reasons."""
        b = self.b
        far = FAR_KM
        if name == "assault_nearest_km_30d" and value < far:
            found = b.nearest_takeover(self.d, place, 30, fell=False, km=150)
        elif name == "fall_nearest_km_365d" and value < far:
            found = b.nearest_takeover(self.d, place, 365, fell=True, km=150)
        elif name == "rsf_fall_days_since_300km" and value < LONG_AGO_DAYS:
            found = b.nearest_takeover(self.d, place, int(value) + 1, fell=True, rsf=True)
        elif name in ("assaults_100km_90d", "takeover_pressure") and value > 0:
            found = b.nearest_takeover(self.d, place, 90 if name.startswith("assaults") else 365,
                                       fell=False, km=100 if name.startswith("assaults") else None)
            if found is not None and name.startswith("assaults") and value >= 2:
                en, ar = self.takeover(place, found)
                return (f"{_n(value)} towns came under assault or fell within 100 km in the last 90 "
                        f"days; the nearest: {en}",
                        f"{_n(value)} من البلدات تعرّضت لهجوم أو سقطت في نطاق 100 كم خلال آخر 90 يومًا؛ "
                        f"أقربها: {ar}")
        else:
            return None
        return self.takeover(place, found) if found is not None else None

    # -- one feature ------------------------------------------------------------------------
    def phrase(self, place: int, name: str, value: float, row: NDArray[np.float32]) -> Phrase | None:
        """A feature as a reason, or None when it would say nothing (static, unknown, zero)."""
        if name in STATIC or (isinstance(value, float) and math.isnan(value)):
            return None
        b = self.b
        col = {n: float(row[i]) for i, n in enumerate(b.names)}
        ring = RING.match(name)
        if ring:
            kind, km, days = ring.group(1), int(ring.group(2)), int(ring.group(3))
            if value <= 0:
                return None
            if kind in ("violent_events", "deaths") and days == 30:
                found = self.nearest(place, 30)
                if found is not None and found[0] <= km:
                    return self.event(place, found)
            return self._ring(kind, km, days, value, col)
        if name in ("attack_history_10km", "attack_history_50km"):
            km = 10 if name.endswith("10km") else 50
            year = col.get(f"attacks_{km}km_365d", 0.0)
            since = col.get("days_since_attack_10km", LONG_AGO_DAYS)
            count, count_ar = (_n(year), _n(year)) if year > 0 else ("none", "لا شيء")
            en = (f"attacks on civilians within {km} km: {count} in the last year, history weight "
                  f"{value:.1f} (an attack counts half after a year, a quarter after two)")
            ar = (f"هجمات على المدنيين في نطاق {km} كم: {count_ar} في السنة الأخيرة، ووزن تاريخي "
                  f"{value:.1f} (يُحسب الهجوم نصفًا بعد سنة وربعًا بعد سنتين)")
            if since < LONG_AGO_DAYS:
                when, when_ar = self.when(int(since))
                en += f"; the last within 10 km {when}"
                ar += f"؛ آخرها في نطاق 10 كم {when_ar}"
            return en, ar
        if name == "days_since_attack_10km":
            if value >= LONG_AGO_DAYS:
                return None
            when, when_ar = self.when(int(value))
            return f"an attack on civilians within 10 km {when}", f"هجوم على مدنيين في نطاق 10 كم {when_ar}"
        if name == "days_since_violence_25km":
            if value >= LONG_AGO_DAYS:
                return None
            found = self.latest(place, 25.0)
            if found is not None:
                return self.event(place, found)
            when, when_ar = self.when(int(value))
            return f"violence within 25 km {when}", f"عنف في نطاق 25 كم {when_ar}"
        if name.startswith("nearest_violence_km_"):
            days = int(name.rsplit("_", 1)[1].removesuffix("d"))
            if value >= FAR_KM:
                return None
            found = self.nearest(place, days)
            if found is None:
                return None
            en, ar = self.event(place, found)
            recent = self.nearest(place, 30) if days > 30 else None
            if days <= 30 or (recent is not None and recent[3] == found[3]):
                return en, ar   # the same event as the month's nearest: said once
            # An event months old is a reason only as the nearest of its window: say so.
            window, window_ar = (("the last year", "السنة الأخيرة") if days == 365
                                 else (f"the last {days} days", f"آخر {_days_ar(days)}"))
            return (f"the nearest violence in {window}: {en}",
                    f"أقرب عنف خلال {window_ar}: {ar}")
        if name == "front_approach_km":
            now = col.get("nearest_violence_km_30d", FAR_KM)
            before = now + value
            if value <= 0 or now >= FAR_KM:
                return None
            if before >= FAR_KM - 1:     # nothing within 100 km before (FAR_KM stands for it)
                where = "reached the place" if now < 1 else f"came within {now:,.0f} km"
                where_ar = "وصل إلى المكان" if now < 1 else f"اقترب إلى {now:,.0f} كم"
                return (f"violence {where} in the last 30 days, after none within 100 km in the 11 "
                        f"months before",
                        f"العنف {where_ar} خلال آخر 30 يومًا، بعد خلو نطاق 100 كم منه في الأشهر الـ11 السابقة")
            was = f"{before:,.0f} km"
            was_ar = f"{before:,.0f} كم"
            return (f"violence came closer: {now:,.0f} km away in the last 30 days, against {was} in "
                    f"the 11 months before",
                    f"اقترب العنف: على بعد {now:,.0f} كم خلال آخر 30 يومًا، "
                    f"مقابل {was_ar} في الأشهر الـ11 السابقة")
        if name.startswith("attacks_here_"):
            days = name.removeprefix("attacks_here_").removesuffix("d")
            if value <= 0:
                return None
            return (f"{_count(value, 'atrocity-grade events')} at the place itself in the last {days} days",
                    f"{_n(value)} من الفظائع في المكان نفسه خلال آخر {_days_ar(days)}")
        if name == "admin2_events_90d" and value > 0:
            return (f"{_count(value, 'violent events')} located only to its locality in the last 90 days",
                    f"{_n(value)} من أحداث العنف حُدِّد موقعها بالمحلية فقط خلال آخر 90 يومًا")
        if name == "admin2_deaths_365d" and value > 0:
            return (f"{_count(value, 'deaths')} located only to its locality in the last year",
                    f"{_counted_ar(value, 'killed')} حُدِّد موقعهم بالمحلية فقط خلال السنة الأخيرة")
        if name.startswith("rsf_violence_") and value > 0:
            km, days = (50, 30) if name == "rsf_violence_50km_30d" else (100, 90)
            who, who_ar = self._rsf_name(place, km, days)
            return (f"{who} in {_count(value, 'violent events')} within {km} km in the last {days} days",
                    f"{who_ar} في {_n(value)} من أحداث العنف في نطاق {km} كم خلال آخر {_days_ar(days)}")
        if name.startswith("violence_sides_") and value >= 2:
            p = b.params
            return (f"violence on {value:.0f} of 8 sides within {p.sides_km:.0f} km in the last "
                    f"{p.sides_days} days",
                    f"عنف من {value:.0f} جهات من أصل 8 في نطاق {p.sides_km:.0f} كم "
                    f"خلال آخر {_days_ar(p.sides_days)}")
        if name in TAKEOVER_FEATURES:
            return self._takeover_phrase(place, name, value)
        if name == "siege_stage" and value > 0:
            return f"siege stage {value:.0f} of 5 at the place", f"مرحلة الحصار {value:.0f} من 5 في المكان"
        if name == "neighbour_siege_stage" and value > 0:
            return (f"a place within 50 km at siege stage {value:.0f} of 5",
                    f"مكان في نطاق 50 كم في مرحلة الحصار {value:.0f} من 5")
        if name in ("idps_admin2", "idps_change"):
            idps, change = col.get("idps_admin2", math.nan), col.get("idps_change", math.nan)
            if math.isnan(idps):
                return None
            people = math.expm1(idps)
            if not math.isnan(change) and change != 0:
                pct = math.exp(change) - 1
                return (f"{people:,.0f} displaced people in its locality, {pct:+.0%} since the DTM "
                        f"count before",
                        f"{_counted_ar(people, 'displaced')} في محليته، بتغير {pct:+.0%} "
                        "منذ إحصاء المصفوفة السابق")
            return (f"{people:,.0f} displaced people in its locality (latest DTM count)",
                    f"{_counted_ar(people, 'displaced')} في محليته (آخر إحصاء لمصفوفة تتبع النزوح)")
        if name == "price_anomaly":
            return self._price(place)
        if name == "hiu_destroyed" and value > 0:
            return ("recorded destroyed in 2003-2010 (US State Department HIU)",
                    "سُجِّل مدمرًا في 2003-2010 (وحدة المعلومات الإنسانية الأمريكية)")
        return None

    def _ring(self, kind: str, km: int, days: int, value: float, col: dict[str, float]) -> Phrase:
        """A count in a ring, against the same ring's monthly rate over the rest of the year."""
        what = {"violent_events": ("violent events", "من أحداث العنف"),
                "deaths": ("deaths in violent events", "في أحداث عنف"),
                "attacks": ("attacks on civilians", "من الهجمات على المدنيين"),
                "burnings": ("settlement burnings", "من حرائق القرى")}[kind]
        en = f"{_count(value, what[0])} within {km} km in the last {days} days"
        counted = _counted_ar(value, "killed") if kind == "deaths" else _n(value)
        ar = f"{counted} {what[1]} في نطاق {km} كم خلال آخر {_days_ar(days)}"
        year = col.get(f"{kind}_{km}km_365d")
        if year is not None and days < 365:
            before = (year - value) * days / (365 - days)
            if before < 0.05:
                en += ", against none in the rest of the year"
                ar += "، مقابل لا شيء في بقية السنة"
            else:
                en += f", against {before:,.1f} per {days} days in the rest of the year"
                ar += f"، مقابل {before:,.1f} لكل {_days_ar(days)} في بقية السنة"
        return en, ar

    def _rsf_name(self, place: int, km: int, days: int) -> Phrase:
        """"the RSF" or "the Janjaweed", as the events in the window name them."""
        b = self.b
        points, kms = self._pairs(place, days)
        names = {a for e in points[kms <= km].tolist()
                 for a in (str(b.violence_actors[0][e]), str(b.violence_actors[1][e])) if is_rsf(a)}
        if names and all("janjaweed" in n.lower() for n in names):
            return "the Janjaweed", "الجنجويد"
        return "the RSF", "قوات الدعم السريع"

    def _price(self, place: int) -> Phrase | None:
        found = self.b.price_driver(self.d, place)
        if found is None:
            return None
        commodity, ratio, market, km = found
        return (f"{commodity} {ratio:.1f}x its six-month median at {market} market ({km:,.0f} km)",
                f"{commodity} بسعر {ratio:.1f} ضعف وسيطه في ستة أشهر في سوق {market} (على بعد {km:,.0f} كم)")

    # -- a place -----------------------------------------------------------------------------
    def reasons(self, place: int, row: NDArray[np.float32], contribution: NDArray[np.float64],
                count: int = 3) -> list[Phrase]:
        """The ``count`` strongest drivers that carry information; the nearest violence when
        none does."""
        out: list[Phrase] = []
        told: set[int] = set()   # events already told of, in another reason's words
        order = np.argsort(-contribution[:-1])
        for j in order.tolist():
            if len(out) >= count or contribution[j] <= 0:
                break
            self._events_told = []
            found = self.phrase(place, self.b.names[j], float(row[j]), row)
            if found and found not in out and not told.intersection(self._events_told):
                out.append(found)
                told.update(self._events_told)
        if not out:
            near = self.nearest(place, 30) or self.nearest(place, 365)
            out.append(self.event(place, near) if near else self._quiet(row))
        return out

    def _quiet(self, row: NDArray[np.float32]) -> Phrase:
        since = float(row[self.b.names.index("days_since_violence_25km")])
        if since >= LONG_AGO_DAYS:
            return ("no violence within 25 km on record in 20 years",
                    "لا عنف مسجل في نطاق 25 كم منذ 20 سنة")
        when, when_ar = self.when(int(since))
        return f"the last violence within 25 km {when}", f"آخر عنف في نطاق 25 كم {when_ar}"


def describe(name: str, value: float) -> str:
    """One feature's value as a short phrase (English), for tables of features."""
    if isinstance(value, float) and math.isnan(value):
        return f"{name.replace('_', ' ')} unknown"
    ring = RING.match(name)
    if ring:
        kind, km, days = ring.groups()
        what = {"violent_events": "violent events", "deaths": "deaths in violent events",
                "attacks": "attacks on civilians", "burnings": "settlement burnings"}[kind]
        return f"{_count(value, what)} within {km} km in the last {days} days"
    if name.startswith("nearest_violence_km_"):
        days = name.rsplit("_", 1)[1].removesuffix("d")
        if value >= FAR_KM:
            return f"no violence within 100 km in the last {days} days"
        if value < 1:
            return f"violence at the place in the last {days} days"
        return f"violence {value:,.0f} km away in the last {days} days"
    return f"{name.replace('_', ' ')} {value:g}"
