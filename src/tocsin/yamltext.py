"""YAML read with libyaml's C parser where PyYAML was built with it: the same safe loader (same
types, same tags), several times faster on the catalogues and schemas read at every start."""

from __future__ import annotations

from typing import Any

import yaml

_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    return yaml.load(text, Loader=_LOADER)  # a safe loader, C or Python
