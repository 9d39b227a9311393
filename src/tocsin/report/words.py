"""The brief's words in one language: numbers, dates, place, state, actor, stage and signal names,
and page one's judgements as sentences. Every word comes from strings.yaml (or, for names, from
the sources' own Arabic fields; see tocsin.arabic)."""

from __future__ import annotations

from datetime import date
from functools import cache
from importlib import resources
from typing import Any

import yaml

from tocsin import arabic
from tocsin.i18n import Number, load, plural_key
from tocsin.report.judgements import Judgement
from tocsin.schema.actors import canonical


def strings(lang: str) -> dict[str, str]:
    return load("report", lang)


@cache
def actor_names() -> dict[str, str]:
    return yaml.safe_load(resources.files("tocsin.report").joinpath("actors.yaml").read_text())


def actors_named(text: str) -> str:
    """``text`` with the Latin-script actor names actors.yaml knows in Arabic, longest first
    (a forecast's Arabic reasons keep the sides as the source writes them)."""
    import re

    for name, arabic_name in sorted(actor_names().items(), key=lambda kv: -len(kv[0])):
        if name in text:
            text = re.sub(rf"(?<![A-Za-z]){re.escape(name)}(?![A-Za-z])", arabic_name, text)
    return text


class Words:
    """``w.n(4400)``, ``w.d(day)``, ``w.place(row)``... in the brief's language and digits."""

    def __init__(self, lang: str, digits: str = arabic.DEFAULT_DIGITS) -> None:
        self.lang = lang
        self.digits = digits
        self.s = strings(lang)

    # -- numbers and dates --------------------------------------------------------------------
    def n(self, value: int | float | None, signed: bool = False) -> Number:
        """The number as the brief writes it; a message may count with it ("{days:days}")."""
        return Number(arabic.number(value, self.lang, self.digits, signed=signed), value, self.lang)

    def pct(self, value: float | None) -> str:
        return "" if value is None else arabic.number(value, self.lang, self.digits, percent=True)

    def d(self, value: date | str | None) -> str:
        return arabic.day(value, self.lang, self.digits)

    def text(self, key: str, **values: Any) -> str:
        return self.s[key].format(**values)

    def count(self, key: str, count: int, **values: Any) -> str:
        """``key``'s sentence for ``count`` things, in the form the language gives that number
        (tocsin.i18n.plural_key: "1 settlement shows", not "1 settlements show")."""
        template = self.s[plural_key(self.s, key, self.lang, count)]
        return template.format(count=self.n(count), **values)

    # -- names -----------------------------------------------------------------------------------
    def place(self, row: dict[str, Any] | None) -> str:
        if not row:
            return self.s["none"]
        unnamed = arabic.unnamed_place(
            self.s["unnamed_place"], self.place_class(row.get("place_class")) or self.s["unnamed_class"],
            row, self.lang, self.digits)
        return unnamed or arabic.place_name(row.get("name") or row.get("place"), row.get("name_ar"),
                                            self.lang)

    def state(self, name: str | None, name_ar: str | None) -> str:
        return arabic.place_name(name, name_ar, self.lang)

    def actor(self, name: str) -> str:
        name = canonical(name) or name   # one actor, one name (schema/actors.yaml)
        if self.lang != "ar":
            return name
        return actor_names().get(name, name)

    def stage(self, name: str) -> str:
        return self.s.get(f"stage_{name}", name.replace("_", " "))

    def signal(self, name: str) -> str:
        return self.s.get(f"signal_{name}", name.replace("_", " "))

    def signal_tables(self, tables: list[str] | None) -> str:
        """The daily data a stage can come from: "fire detections", "internet connectivity"."""
        return self.join([self.s.get(f"table_{t}", t.replace("_", " ")) for t in tables or []])

    def signals_alone(self, key: str, alone: dict[str, Any]) -> str:
        """``key``'s sentence on stages that come from some daily signals alone, past the
        conflict events' end (SiegeInputs.signals_alone)."""
        return self.s[key].format(signals=self.signal_tables(alone["signals"]),
                                  events_end=self.d(alone["events_end"]))

    def signal_list(self, names: list[str] | None) -> str:
        return self.join([self.signal(x) for x in names or []])

    def siege_why(self, town: dict[str, Any]) -> str:
        """Why a town is at its stage (the siege table): its signals, then what the tracker
        remembers of a remembered stage (who holds a fallen town and since when; the last
        assault on a town whose outcome is unrecorded), else, in English, the latest evidence
        in the tracker's words."""
        signals = self.signal_list(town.get("signals"))
        evidence = town.get("evidence") or []
        memory = next((e for e in evidence if e.get("signal") == "outcome_unrecorded"), None)
        if town.get("stage") == "fallen" and town.get("fell_on"):
            held_by = self.actor(town["held_by"]) if town.get("held_by") else self.s["actor_unknown"]
            detail = self.s["why_held_by"].format(held_by=held_by, since=self.d(town["fell_on"]))
        elif town.get("stage") == "outcome_unrecorded" and memory and memory.get("date"):
            detail = self.s["why_unrecorded"].format(last=self.d(memory["date"]))
        else:
            detail = str(evidence[0].get("detail") or "") if evidence and self.lang == "en" else ""
        return ": ".join(x for x in (signals, detail) if x)

    def source(self, source: str, notes: dict[str, Any]) -> str:
        if self.lang == "ar" and notes.get(source, {}).get("name_ar"):
            return str(notes[source]["name_ar"])
        return source

    def series(self, operation: str | None) -> str:
        """A DTM series (its operation's name) in the brief's language."""
        if self.lang != "ar" or not operation:
            return operation or ""
        monthly = "monthly" in operation.lower()
        return self.s["dtm_monthly" if monthly else "dtm_weekly"]

    def assessment(self, code: str | None) -> str:
        return self.s.get(f"assessment_{code}", code or "") if code else ""

    def place_class(self, name: str | None) -> str:
        return self.s.get(f"class_{name}", name or "") if name else ""

    def confidence(self, level: str) -> str:
        return self.s.get(f"conf_{level}", level)

    def join(self, items: list[str]) -> str:
        items = [i for i in items if i]
        if len(items) <= 1:
            return "".join(items)
        return self.s["list_sep"].join(items[:-1]) + self.s["list_and"] + items[-1]

    def join_more(self, items: list[str], total: int) -> str:
        """The first of ``total`` names, then how many are left unnamed ("A, B and 8 more"):
        a judgement names a few, and must not read as if those were all."""
        more = total - len(items)
        return self.join([*items, self.count("names_more", more)] if more > 0 else items)

    def licence(self, source: str, licence: str | None, notes: dict[str, Any]) -> str:
        """The licence alone (who to credit is in the map's attribution and the source's name)."""
        if self.lang == "ar" and notes.get(source, {}).get("licence_ar"):
            return str(notes[source]["licence_ar"]).split(" — ")[0]
        return (licence or "").split(" - ")[0]

    # -- page one --------------------------------------------------------------------------------
    def judgement(self, j: Judgement) -> str:
        v = j.values
        s = self.s
        if j.key in ("j_fallen", "j_fallen_at_end"):
            return s[j.key].format(place=self.place(v["place"]), fell_on=self.d(v["since"]),
                                   days=self.n(v["days"]), end=self.d(v.get("end")),
                                   held_by=self.actor(v["held_by"]) if v.get("held_by")
                                   else s["holder_unknown"])
        if j.key == "j_unrecorded":
            towns = [s["j_unrecorded_town"].format(place=self.place(t["place"]), since=self.d(t["since"]))
                     for t in v["towns"]]
            return s["j_unrecorded"].format(towns=self.join(towns))
        if j.key in ("j_besieged", "j_assault", "j_besieged_at_end", "j_assault_at_end"):
            return s[j.key].format(
                place=self.place(v["place"]), stage=self.stage(v["stage"]), since=self.d(v["since"]),
                end=self.d(v.get("end")),
                days=self.n(v["days"]), signals=self.join([self.signal(x) for x in v["signals"]]),
                exposed=s["exposed_known"].format(count=self.n(v["exposed"])) if v.get("exposed")
                else s["exposed_unknown"])
        if j.key in ("j_killings", "j_killings_state"):
            actors = self.join([self.actor(a) for a in v["actors"]])
            if v.get("fighting"):
                fighting = s["in_fighting"].format(sides=self.join([self.actor(a) for a in v["fighting"]]))
                actors = s["list_and"].join([actors, fighting]) if actors else fighting
            actors = actors or s["actor_unknown"]
            # "in 3 events from D1 to D2", "in 2 events on D", "in one event on D".
            same_day = str(v["first"]) == str(v["last"]) and v["events"] != 1
            span = self.count("span_events_day" if same_day else "span_events", v["events"],
                              first=self.d(v["first"]), last=self.d(v["last"]))
            return s[j.key].format(place=self.place(v["place"]),
                                   civilians=self.count("civilian_deaths", v["civilian_deaths"]),
                                   deaths=self.count("deaths_all", v["deaths"]), span=span,
                                   actors=actors)
        if j.key in ("j_sexual_violence", "j_camps"):
            return s[j.key].format(events=self.n(v["events"]), deaths=self.n(v["deaths"]))
        if j.key == "j_burnings":
            return self.count("j_burnings", v["count"], place=self.place(v["place"]))
        if j.key == "j_identity":
            return s["j_identity"].format(events=self.n(v["events"]), signals=self.join(
                [s[f"sig_short_{x}"] for x in v["signals"]]))
        if j.key == "j_signed":
            return s["j_signed"].format(qualification=s.get(f"q_{v['qualification']}", v["qualification"]),
                                        by=v["signed_by"], on=self.d(v["signed_on"]))
        if j.key == "j_pattern_calm_alone":
            return self.signals_alone(j.key, v)
        if j.key in ("j_pattern", "j_pattern_at_end", "j_pattern_alone"):
            steps = [s["j_pattern_step"].format(count=self.n(step["count"]), stage=self.stage(step["stage"]),
                                                places=self.join_more([self.place(t) for t in step["places"]],
                                                                      step["count"]))
                     for step in v["steps"]]
            return s[j.key].format(steps="; ".join(steps) if self.lang == "en" else "؛ ".join(steps),
                                   end=self.d(v.get("end")), events_end=self.d(v.get("events_end")),
                                   signals=self.signal_tables(v.get("signals")))
        if j.key in ("j_risk", "j_risk_old"):
            places = [f"{self.place(p)} ({self.pct(p['probability'])})" for p in v["places"]]
            return s[j.key].format(places=self.join(places), horizon=self.n(v["horizon"]),
                                   made=self.d(v["made"]), age=self.n(v.get("age")))
        if j.key == "j_changed_stages":
            moved = [s["j_moved"].format(place=self.place(m["place"]), before=self.stage(m["before"]),
                                         stage=self.stage(m["stage"])) for m in v["moved"]]
            calmed = [self.place(t) for t in v["calmed"]]
            parts = [self.join_more(moved, v.get("moved_count", len(moved)))] if moved else []
            if calmed:
                parts.append(s["j_calmed"].format(
                    places=self.join_more(calmed, v.get("calmed_count", len(calmed)))))
            if not parts:
                parts.append(s["j_no_stage_change"])
            return s["j_changed_stages"].format(previous=self.d(v["previous"]), changes="; ".join(parts)
                                                if self.lang == "en" else "؛ ".join(parts))
        if j.key in ("j_changed_deaths", "j_changed_deaths_to_end"):
            basis = v["basis"]
            against = (s["j_against_brief"].format(previous=self.d(basis["previous"]))
                       if basis["kind"] == "previous" else
                       s["j_against_window"].format(start=self.d(basis["start"]), end=self.d(basis["end"])))
            return s[j.key].format(now=self.n(v["now"]), before=self.n(v["before"]),
                                   change=self.n(v["change"], signed=True), against=against,
                                   last=self.d(v.get("last")))
        if j.key == "j_stale":
            return s["j_stale"].format(last=self.d(v["last"]))
        return s[j.key].format(**{k: x for k, x in v.items() if isinstance(x, str | int)})

    def evidence(self, j: Judgement) -> str:
        """The evidence as a reader cites it: event ids (source and number), signals."""
        parts = []
        for item in j.evidence:
            if ":" in item and item.split(":", 1)[0] in ("ucdp-ged", "acled"):
                source, ref = item.split(":", 1)
                number = arabic.isolate(arabic.digits(ref, self.digits)) if self.lang == "ar" else ref
                parts.append(f"{source.split('-')[0].upper()} {number}")
            elif item in self.s or f"signal_{item}" in self.s:
                parts.append(self.signal(item))
        return self.s["list_sep"].join(parts)
