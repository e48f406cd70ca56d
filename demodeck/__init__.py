"""demodeck: weekly R&D demo decks from YAML."""

__version__ = "0.2.0"
