"""demodeck: weekly R&D demo decks from YAML."""

__version__ = "0.1.0"
