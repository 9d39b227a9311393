"""The elements of crimes and the UN atrocity risk factors, loaded from versioned YAML data.

The data (``elements.yaml``, ``risk_factors.yaml``) is the reference; code only reads it. An
element with ``scope: situation`` (the contextual elements: a widespread or systematic attack,
an armed conflict not of an international character, a manifest pattern) is assessed once per
situation, not per incident.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from tocsin.accountability.errors import AccountabilityError
from tocsin.i18n import Said

ASSESSMENTS = ("supported", "contested", "insufficient", "not_assessed")
SCOPES = ("incident", "situation")


@dataclass(frozen=True)
class Element:
    id: str
    crime_id: str
    text: str
    evidence: tuple[str, ...]
    scope: str = "incident"
    protected_group: bool = False
    # Situation-scoped elements shared by several crimes carry one key ("cah_attack"): one
    # assessment per situation answers all of them.
    context: str | None = None


@dataclass(frozen=True)
class Crime:
    id: str
    category: str
    title: str
    elements: tuple[Element, ...]

    @property
    def article(self) -> str:
        return f"Rome Statute art. {self.id}"


@dataclass(frozen=True)
class LegalElements:
    version: str
    source: str
    evidence_kinds: dict[str, str]
    crimes: dict[str, Crime]

    def element(self, element_id: str) -> Element:
        for crime in self.crimes.values():
            for element in crime.elements:
                if element.id == element_id:
                    return element
        raise AccountabilityError(Said("qualify.unknown_element", element=element_id))

    def crime(self, crime_id: str) -> Crime:
        try:
            return self.crimes[crime_id]
        except KeyError:
            raise AccountabilityError(Said("qualify.unknown_crime", crime=crime_id,
                                           known=", ".join(self.crimes))) from None


def parse_elements(data: dict[str, Any], source: str = "elements.yaml") -> LegalElements:
    """Check and load the elements data; every problem names the crime or element."""
    kinds = dict(data.get("evidence_kinds") or {})
    crimes: dict[str, Crime] = {}
    seen: set[str] = set()
    for number, raw in enumerate(data.get("crimes") or [], start=1):
        crime_id = raw.get("id")
        where = f"{source}: crime {crime_id or f'#{number}'}"
        if not crime_id or not raw.get("title") or not raw.get("elements"):
            raise AccountabilityError(f"{where}: expected id, title and elements")
        elements = []
        for item in raw["elements"]:
            element_id = item.get("id")
            if not element_id or not item.get("text"):
                raise AccountabilityError(f"{where}: an element lacks its id or text")
            if element_id in seen:
                raise AccountabilityError(f"{where}: element {element_id} appears twice")
            seen.add(element_id)
            unknown = [k for k in item.get("evidence", []) if k not in kinds]
            if unknown:
                raise AccountabilityError(f"{where}: element {element_id} names unknown "
                                          f"evidence kinds {unknown}")
            scope = item.get("scope", "incident")
            if scope not in SCOPES:
                raise AccountabilityError(f"{where}: element {element_id} has scope {scope!r}, "
                                          f"expected one of {SCOPES}")
            context = item.get("context")
            if scope == "situation" and not context:
                raise AccountabilityError(f"{where}: situation element {element_id} needs a "
                                          "context key")
            elements.append(Element(element_id, crime_id, " ".join(item["text"].split()),
                                    tuple(item.get("evidence", [])), scope,
                                    bool(item.get("protected_group", False)), context))
        crimes[crime_id] = Crime(crime_id, raw.get("category", ""), raw["title"], tuple(elements))
    if not data.get("version"):
        raise AccountabilityError(f"{source}: expected a version")
    return LegalElements(str(data["version"]), str(data.get("source", "")), kinds, crimes)


@cache
def legal_elements() -> LegalElements:
    text = resources.files("tocsin.accountability").joinpath("elements.yaml").read_text("utf-8")
    return parse_elements(yaml.safe_load(text))


@cache
def risk_factors() -> list[dict[str, Any]]:
    text = resources.files("tocsin.accountability").joinpath("risk_factors.yaml").read_text("utf-8")
    factors = list(yaml.safe_load(text)["risk_factors"])
    if [f["number"] for f in factors] != list(range(1, 15)):
        raise AccountabilityError("risk_factors.yaml: expected the 14 risk factors, numbered 1-14")
    return factors
