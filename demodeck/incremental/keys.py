"""What a page is made from, summed up as a key: equal keys, the same bytes.

A rebuild keeps a page (and the warnings of a deck page) whose key it computes again:
the theme's part (templates, static files, settings) and each deck page's context (what
it shows of other decks). Each deck's part of the archive pages' keys is in
:mod:`.archive_keys`.
"""

from __future__ import annotations

from demodeck import actions, metrics, theme
from demodeck.digest import digest
from demodeck.model import Deck, SiteConfig


def settings_key(site: SiteConfig) -> str:
    return digest(repr(site))


def deck_key(settings: str, deck_digest: str) -> str:
    """A deck's key in the cache (its head, demos and search part), from its settings_key
    and the digest of its files."""
    return digest(settings, deck_digest)


def theme_key(site: SiteConfig) -> str:
    """Everything besides the decks that shapes a page: templates, statics, settings."""
    theme.refuse_outside_links(site.root)  # before reading any of them
    parts: list[str | bytes] = [settings_key(site)]
    for path in theme.template_files(site.root):
        parts += [path.as_posix(), path.read_bytes()]
    return digest(*parts)


def context_keys(decks: list[Deck], ledger: actions.Ledger) -> list[str]:
    """For each deck, the inputs of ``render.deck_context(decks, i, ledger)``, cheap to
    compute for every deck on every build: the earlier decks' actions it follows up and
    the metric values of the sparkline window. Each deck's part is written out once; the
    windows overlap. (A project's own template may show more of ``previous``.)"""
    values = [repr((d.slug, [(m.key, m.value) for m in d.metrics])) for d in decks]
    return [f"{ledger.follow_ups[i]!r}|{','.join(values[i:i + metrics.SPARK_DECKS])}"
            for i in range(len(decks))]
