"""Sanctions lists into FollowTheMoney entities: the designated person or company, and one
``Sanction`` entity per listing (authority, programme, listing date, provisions, source).

One parser per layout, each detected from the file itself (never from its name alone):

- UN Security Council consolidated list XML (``<CONSOLIDATED_LIST>``), the 1591 (Sudan) entries;
- the UK sanctions list CSV (FCDO: ``Unique ID, OFSI Group ID, Name, Regime Name, ...``);
- the US designations table (``name, schema, country, designation_date, note, source_url``);
- FtM JSON lines as OpenSanctions publishes them (one entity per line).

A file in a layout none of these recognise, or one cut short (XML that does not close, a CSV row
with too few fields, a JSON line that does not parse), is refused whole with the file, line and
what was expected. An entry missing its name or listing date is quarantined (kept aside with its
entry id and the reason) unless ``strict``, which refuses the file. Parsers are pure: text in,
entities and problems out.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from followthemoney import model
from followthemoney.exc import InvalidData
from followthemoney.proxy import EntityProxy

from tocsin.accountability.errors import AccountabilityError

# Programmes as OpenSanctions names them; authorities as they name themselves.
PROGRAMMES = {
    "un": ("United Nations Security Council", "UN-SC1591"),
    "gb": ("UK Foreign, Commonwealth and Development Office", "GB-SDN"),
    "us": ("US Office of Foreign Assets Control", "US-DARFUR / EO 14098"),
    "eu": ("European Union", "EU-SDN"),
}
AUTHORITY_KEYS = tuple(PROGRAMMES)
UK_HEADER = ["Unique ID", "OFSI Group ID", "Name", "Regime Name", "Type", "Designation source",
             "Date Designated", "Sanctions Imposed"]
US_HEADER = ["name", "schema", "country", "designation_date", "note", "source_url"]
UN_NAME_PARTS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")


class SanctionsFileError(AccountabilityError):
    """A whole file is refused: wrong layout, truncated, or (strict) a bad entry."""


@dataclass(frozen=True)
class Quarantined:
    """An entry kept aside: where it is and what was expected."""

    path: str
    where: str  # "line 12", "entry SDi.011"
    problem: str
    raw: dict[str, Any]

    def __str__(self) -> str:
        return f"{self.path}, {self.where}: {self.problem}"


@dataclass
class ParsedList:
    path: str
    layout: str
    authority: str  # a key of PROGRAMMES ("un", "gb", "us") or "ftm"
    entities: list[EntityProxy] = field(default_factory=list)
    quarantined: list[Quarantined] = field(default_factory=list)

    @property
    def sanctions(self) -> list[EntityProxy]:
        return [e for e in self.entities if e.schema.name == "Sanction"]


def entity_id(*parts: str) -> str:
    """A stable FtM id: the same list entry always gets the same id (re-import adds nothing)."""
    digest = hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]
    return f"{parts[0]}-{digest}"


def _sanction(target: EntityProxy, authority_key: str, *, listing_date: str, entry_id: str,
              provisions: Iterable[str] = (), source_url: str | None = None,
              reason: str | None = None, program: str | None = None) -> EntityProxy:
    authority, default_program = PROGRAMMES[authority_key]
    sanction = model.make_entity("Sanction")
    sanction.id = entity_id(authority_key, "sanction", entry_id)
    sanction.add("entity", target.id)
    sanction.add("authority", authority)
    sanction.add("program", program or default_program)
    sanction.add("authorityId", entry_id)
    sanction.add("listingDate", listing_date)
    sanction.add("startDate", listing_date)
    for provision in provisions:
        sanction.add("provisions", provision.strip())
    if source_url:
        sanction.add("sourceUrl", source_url)
    if reason:
        sanction.add("reason", reason)
    return sanction


def _iso(text: str, fmt: str) -> str | None:
    try:
        return dt.datetime.strptime(text.strip(), fmt).date().isoformat()
    except ValueError:
        return None


# --- UN Security Council XML ------------------------------------------------------------------
def parse_un_xml(text: str, path: str, strict: bool = False) -> ParsedList:
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        line, column = exc.position
        raise SanctionsFileError(
            f"{path}, line {line}, column {column}: not well-formed UN list XML ({exc.msg}); "
            "the file may be truncated: expected it to end with </CONSOLIDATED_LIST>") from None
    if root.tag != "CONSOLIDATED_LIST" or root.find("INDIVIDUALS") is None:
        raise SanctionsFileError(f"{path}: expected the UN consolidated list XML "
                                 f"(<CONSOLIDATED_LIST><INDIVIDUALS>), found <{root.tag}>")
    parsed = ParsedList(path, "un-sc-xml", "un")
    for kind, schema in (("INDIVIDUAL", "Person"), ("ENTITY", "Organization")):
        for number, node in enumerate(root.iter(kind), start=1):
            _un_entry(parsed, node, schema, number, strict)
    return parsed


def _un_entry(parsed: ParsedList, node: ET.Element, schema: str, number: int,
              strict: bool) -> None:
    def get(tag: str) -> str:
        return " ".join((node.findtext(tag) or "").split())

    reference = get("REFERENCE_NUMBER") or get("DATAID") or f"#{number}"
    names = [get(t) for t in UN_NAME_PARTS] if schema == "Person" else [get("FIRST_NAME")]
    name = " ".join(n for n in names if n)
    listed = get("LISTED_ON")
    raw = {"reference": reference, "name": name, "listed_on": listed}
    problem = None
    if not name:
        problem = "the entry has no name (expected FIRST_NAME..FOURTH_NAME)"
    elif not _iso(listed, "%Y-%m-%d"):
        problem = f"LISTED_ON is {listed!r}: expected a listing date YYYY-MM-DD"
    if problem:
        _quarantine(parsed, f"entry {reference}", problem, raw, strict)
        return
    if get("UN_LIST_TYPE") and get("UN_LIST_TYPE") != "Sudan":
        return  # the consolidated list holds other regimes too: only 1591 (Sudan) entries
    entity = model.make_entity(schema)
    entity.id = entity_id("un", reference)
    entity.add("name", name)
    for alias in node.iter(f"{'INDIVIDUAL' if schema == 'Person' else 'ENTITY'}_ALIAS"):
        alias_name = " ".join((alias.findtext("ALIAS_NAME") or "").split())
        if alias_name:
            # Low-quality UN aliases are fragments ("Abdallah"): weak aliases, never names.
            prop = "weakAlias" if (alias.findtext("QUALITY") or "") == "Low" else "alias"
            entity.add(prop, alias_name)
    for nationality in node.findall("NATIONALITY/VALUE"):
        if nationality.text and nationality.text.strip().lower() not in ("na", ""):
            entity.add("nationality", nationality.text.strip(), quiet=True)
    for designation in node.findall("DESIGNATION/VALUE"):
        if designation.text and designation.text.strip():
            entity.add("position", " ".join(designation.text.split()))
    if schema == "Person":
        for birth in node.iter("INDIVIDUAL_DATE_OF_BIRTH"):
            value = (birth.findtext("DATE") or birth.findtext("YEAR") or "").strip()
            if value:
                entity.add("birthDate", value, quiet=True)
    entity.add("notes", get("COMMENTS1") or None)
    entity.add("topics", "sanction")
    parsed.entities.append(entity)
    parsed.entities.append(_sanction(entity, "un", listing_date=listed, entry_id=reference,
                                     provisions=["Asset freeze", "Travel ban"],
                                     reason=get("COMMENTS1") or None))


# --- UK sanctions list CSV ----------------------------------------------------------------------
def _csv_rows(text: str, path: str, header: list[str]) -> Iterable[tuple[int, dict[str, str]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        found = next(reader)
    except StopIteration:
        raise SanctionsFileError(f"{path}: the file is empty; expected a header row "
                                 f"{', '.join(header)}") from None
    found = [c.strip().lstrip("\ufeff") for c in found]
    if found != header:
        raise SanctionsFileError(f"{path}, line 1: expected the header {', '.join(header)}; "
                                 f"found {', '.join(found)}")
    try:
        for row in reader:
            line = reader.line_num
            if not any(c.strip() for c in row):
                continue
            if len(row) != len(header):
                raise SanctionsFileError(
                    f"{path}, line {line}: {len(row)} fields where the header has {len(header)} "
                    "(the file is truncated or a field's quotes are broken)")
            yield line, dict(zip(header, (c.strip() for c in row), strict=True))
    except csv.Error as exc:
        raise SanctionsFileError(f"{path}, line {reader.line_num}: {exc} (truncated file or "
                                 "unclosed quotes)") from None


def parse_uk_csv(text: str, path: str, strict: bool = False) -> ParsedList:
    parsed = ParsedList(path, "gb-fcdo-csv", "gb")
    for line, row in _csv_rows(text, path, UK_HEADER):
        if row["Regime Name"] != "Sudan":
            continue  # the file also holds the South Sudan regime
        listed = _iso(row["Date Designated"], "%d-%m-%Y")
        problem = None
        if not row["Name"]:
            problem = "the entry has no Name"
        elif listed is None:
            problem = (f"Date Designated is {row['Date Designated']!r}: expected a listing date "
                       "DD-MM-YYYY")
        elif row["Type"] not in ("Individual", "Entity", "Ship"):
            problem = f"Type is {row['Type']!r}: expected Individual, Entity or Ship"
        if problem:
            _quarantine(parsed, f"line {line} (entry {row['Unique ID'] or '?'})", problem, row, strict)
            continue
        schema = {"Individual": "Person", "Entity": "Organization", "Ship": "Vessel"}[row["Type"]]
        if schema == "Organization" and _looks_like_company(row["Name"]):
            schema = "Company"
        entity = model.make_entity(schema)
        entity.id = entity_id("gb", row["Unique ID"])
        entity.add("name", row["Name"])
        entity.add("topics", "sanction")
        parsed.entities.append(entity)
        parsed.entities.append(_sanction(
            entity, "gb", listing_date=str(listed), entry_id=row["Unique ID"],
            provisions=row["Sanctions Imposed"].split(","),
            reason=f"Designation source: {row['Designation source']}"))
    return parsed


_COMPANY_WORDS = re.compile(r"\b(co|company|ltd|limited|llc|l\.l\.c|inc|corp|bank|plc|group|"
                            r"holding|trading|mining|gold|invest)\b", re.IGNORECASE)


def _looks_like_company(name: str) -> bool:
    return bool(_COMPANY_WORDS.search(name))


# --- US designations table --------------------------------------------------------------------
def parse_us_csv(text: str, path: str, strict: bool = False) -> ParsedList:
    parsed = ParsedList(path, "us-designations-csv", "us")
    for line, row in _csv_rows(text, path, US_HEADER):
        date = row["designation_date"]
        problem = None
        if not row["name"]:
            problem = "the entry has no name"
        elif not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", date):
            problem = (f"designation_date is {date!r}: expected a listing date YYYY-MM-DD "
                       "(or YYYY-MM, YYYY when only that is known)")
        elif row["schema"] not in ("Person", "Company", "Organization", "LegalEntity", "Vessel"):
            problem = f"schema is {row['schema']!r}: expected Person, Company or Organization"
        if problem:
            _quarantine(parsed, f"line {line}", problem, row, strict)
            continue
        entity = model.make_entity(row["schema"])
        entity.id = entity_id("us", row["schema"], row["name"])
        name = re.sub(r"\s*\(([^)]*)\)\s*$", "", row["name"]).strip()
        entity.add("name", name)
        nickname = re.search(r"\(([^)]*)\)\s*$", row["name"])
        if nickname and " " not in nickname.group(1).strip():
            entity.add("alias", nickname.group(1).strip())  # "(Hemedti)"
        elif nickname:
            entity.add("notes", nickname.group(1).strip())
        entity.add("country", row["country"] or None, quiet=True)
        entity.add("notes", row["note"] or None)
        entity.add("sourceUrl", row["source_url"] or None, quiet=True)
        entity.add("topics", "sanction")
        parsed.entities.append(entity)
        parsed.entities.append(_sanction(entity, "us", listing_date=date,
                                         entry_id=f"line {line}", source_url=row["source_url"],
                                         provisions=["Blocking of property"],
                                         reason=row["note"] or None))
    return parsed


# --- FtM JSON lines -----------------------------------------------------------------------------
def parse_ftm_jsonl(text: str, path: str, strict: bool = False) -> ParsedList:
    parsed = ParsedList(path, "ftm-jsonl", "ftm")
    lines = text.split("\n")
    if lines and lines[-1].strip():
        raise SanctionsFileError(f"{path}, line {len(lines)}: the last line has no newline "
                                 "(the file is truncated); expected one JSON entity per line")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            entity = model.get_proxy(data, cleaned=False)
        except (ValueError, InvalidData, TypeError, KeyError) as exc:
            raise SanctionsFileError(f"{path}, line {number}: not an FtM entity ({exc}); "
                                     "expected a JSON object with id, schema and properties") \
                from None
        if entity.id is None:
            raise SanctionsFileError(f"{path}, line {number}: the entity has no id")
        if entity.schema.name == "Sanction" and not (entity.get("listingDate")
                                                      or entity.get("startDate")):
            _quarantine(parsed, f"line {number} (entity {entity.id})",
                        "the Sanction has no listingDate or startDate", data, strict)
            continue
        if entity.schema.is_a("LegalEntity") and not entity.get("name"):
            _quarantine(parsed, f"line {number} (entity {entity.id})", "the entity has no name",
                        data, strict)
            continue
        parsed.entities.append(entity)
    return parsed


def _quarantine(parsed: ParsedList, where: str, problem: str, raw: dict[str, Any],
                strict: bool) -> None:
    if strict:
        raise SanctionsFileError(f"{parsed.path}, {where}: {problem} (--strict refuses the file)")
    parsed.quarantined.append(Quarantined(parsed.path, where, problem, dict(raw)))


def detect_layout(text: str, path: str) -> str:
    """Which parser reads this file, judged from its first bytes."""
    head = text.lstrip("\ufeff").lstrip()[:2000]
    first_line = head.split("\n", 1)[0]
    if head.startswith("<"):
        return "un-sc-xml"
    if head.startswith("{"):
        return "ftm-jsonl"
    if first_line.startswith("Unique ID,"):
        return "gb-fcdo-csv"
    if first_line.startswith("name,schema,"):
        return "us-designations-csv"
    raise SanctionsFileError(
        f"{path}, line 1: not a sanctions list Tocsin reads; expected UN consolidated list XML, "
        f"the UK list CSV (header {', '.join(UK_HEADER)}), the US designations table (header "
        f"{', '.join(US_HEADER)}) or FtM JSON lines; found {first_line[:80]!r}")


PARSERS = {"un-sc-xml": parse_un_xml, "gb-fcdo-csv": parse_uk_csv,
           "us-designations-csv": parse_us_csv, "ftm-jsonl": parse_ftm_jsonl}


def parse_file(path: Path, strict: bool = False) -> ParsedList:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SanctionsFileError(f"{path}: not UTF-8 text (byte {exc.start}); expected XML, "
                                 "CSV or JSON lines") from None
    except OSError as exc:
        raise SanctionsFileError(f"{path}: cannot read ({exc.strerror})") from None
    return PARSERS[detect_layout(text, str(path))](text, str(path), strict)
