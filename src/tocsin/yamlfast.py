"""YAML read with libyaml's C loader where PyYAML has it: the pure-Python loader spends a tenth
of a second on the schema and the CLI catalogue at every command's start-up."""

from __future__ import annotations

from typing import Any

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """``yaml.safe_load``, the same documents to the same values, with the C loader."""
    return yaml.load(text, Loader=_Loader)  # a safe loader, C or Python
