"""The pieces of `scripts/bench`: one module per benchmark, and what they share."""
