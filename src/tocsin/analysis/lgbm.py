"""LightGBM, imported without its scikit-learn wrapper.

``import lightgbm`` imports scikit-learn (and SciPy with it) only to offer LGBMClassifier and
friends, which Tocsin never uses (it trains with ``lightgbm.train`` and predicts with the
``Booster``): 1.4 s of the 1.9 s the import takes, paid by every daily forecast that only
scores with a stored model. When scikit-learn is not loaded yet, it is hidden while LightGBM
loads (LightGBM then leaves its wrapper out, as it does where scikit-learn is not installed),
and can be imported as usual afterwards (the Platt calibration of a fit does). Decision 0041.
"""

from __future__ import annotations

import sys
from types import ModuleType


def lightgbm() -> ModuleType:
    if "lightgbm" in sys.modules:
        return sys.modules["lightgbm"]
    hidden = "sklearn" not in sys.modules
    if hidden:
        sys.modules["sklearn"] = None  # type: ignore[assignment]  # import machinery: "absent"
    try:
        import lightgbm as module
    finally:
        if hidden:
            del sys.modules["sklearn"]
    return module
