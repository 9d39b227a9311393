"""Every source adapter by the KIND the command line uses."""

from __future__ import annotations

from tocsin.sources.acled import AcledAdapter, AcledHdxAdapter
from tocsin.sources.areas import CodAbAdapter
from tocsin.sources.base import Adapter
from tocsin.sources.cast import CastAdapter
from tocsin.sources.firms import FirmsAdapter
from tocsin.sources.humanitarian import DtmAdapter, HapiPricesAdapter, WfpPricesAdapter
from tocsin.sources.ioda import IodaAdapter
from tocsin.sources.places import DtmSitesAdapter, GeonamesAdapter, HiuVillagesAdapter, OsmPlacesAdapter
from tocsin.sources.ucdp import UcdpCandidateAdapter, UcdpGedAdapter
from tocsin.sources.views import ViewsAdapter

ADAPTERS: dict[str, Adapter] = {
    adapter.kind: adapter
    for adapter in [
        UcdpGedAdapter(),
        UcdpCandidateAdapter(),
        AcledAdapter(),
        AcledHdxAdapter(),
        FirmsAdapter(),
        OsmPlacesAdapter(),
        GeonamesAdapter(),
        CodAbAdapter(),
        DtmAdapter(),
        DtmSitesAdapter(),
        WfpPricesAdapter(),
        HapiPricesAdapter(),
        HiuVillagesAdapter(),
        ViewsAdapter(),
        CastAdapter(),
        IodaAdapter(),
    ]
}


def guess_kind(columns: list[str]) -> str | None:
    """The kind whose signature columns the header has, to point users at the right command."""
    present = {c.lower() for c in columns}
    for kind, adapter in ADAPTERS.items():
        if all(c.lower() in present for c in adapter.signature):
            return kind
    return None
