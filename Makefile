# Two commands on a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Extras beyond dev: CI adds spark (`make test EXTRAS=dev,spark`) so the Spark tests run there.
EXTRAS ?= dev
comma := ,
STAMP := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))

.PHONY: demo test lint bench clean web-assets serve

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[$(EXTRAS)]'
	touch $(STAMP)

# Browser libraries (Leaflet) from npm, served by `tocsin serve` itself: no CDN.
WEB_ASSETS := node_modules/leaflet/dist/leaflet.js
$(WEB_ASSETS): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $(WEB_ASSETS)

web-assets: $(WEB_ASSETS)

serve: $(STAMP) $(WEB_ASSETS)
	$(BIN)/tocsin --home $${TOCSIN_HOME:-tocsin-data} serve

demo: $(STAMP) $(WEB_ASSETS)
	$(BIN)/tocsin --home $${TOCSIN_HOME:-tocsin-data} demo

test: $(STAMP) $(WEB_ASSETS)
	$(BIN)/ruff check src tests bench
	$(BIN)/python -m pytest -q

bench: $(STAMP) $(WEB_ASSETS)
	$(BIN)/python bench/ingest.py
	$(BIN)/pip install --quiet -e '.[bench]' && $(BIN)/python bench/burnings.py
	$(BIN)/python bench/siege.py
	$(BIN)/python bench/backtest.py
	$(BIN)/python bench/evidence.py
	$(BIN)/python bench/web.py

clean:
	rm -rf $(VENV) tocsin-data node_modules
