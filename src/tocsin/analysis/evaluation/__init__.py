"""Scoring analyses against what happened: `metrics` streams forecast scores over many
origins (binned, for hundreds of thousands of forecasts per origin); `burnings` scores detected
burnings against a user's verified cases (exact, on a few hundred items)."""
