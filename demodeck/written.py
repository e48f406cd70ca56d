"""Where a deck's parts are written, and its persons' links that look like slips.

What the warnings need of a deck's files beyond its model: validation has each file's
tree at hand (with lines and columns), so it notes these on the deck
(:attr:`~demodeck.model.Deck.places`, ``retro_place``, ``link_warnings``) and nothing
parses the files again.
"""

from __future__ import annotations

import dataclasses

from demodeck import schema, userlinks
from demodeck.load import Raw, RawMap, RawSeq
from demodeck.model import Deck, Place

# One file of a deck as validated: its path, bytes, tree and the record it holds.
Tree = tuple[str, bytes, Raw, schema.Record]


def noted(deck: Deck, trees: list[Tree]) -> Deck:
    """``deck`` with where its demos and retro are written, and its link warnings."""
    places: list[Place] = []  # the main file's demos come first, then one a file
    retro: Place | None = None
    for path, _, tree, record in trees:
        if record is schema.DEMO:
            places.append(Place(path, tree.mark.line, tree.mark.column))
            continue
        if not isinstance(tree, RawMap):
            continue
        if (entry := tree.entries.get("retro")) is not None:
            retro = Place(path, entry[0].line, entry[0].column, "retro")
        demos = tree.entries.get("demos")
        if demos is not None and isinstance(demos[1], RawSeq):
            places.extend(Place(path, item.mark.line, item.mark.column, f"demos[{i}]")
                          for i, item in enumerate(demos[1].items, start=len(places)))
    looked = [t for t in trees if userlinks.worth_a_look(t[1])]  # most decks: no file
    slides = tuple(s.id for s in deck.slides) if looked else ()
    links = tuple(problem for path, data, tree, record in looked
                  for problem in userlinks.file_warnings(path, data, tree, record, slides))
    return dataclasses.replace(deck, places=tuple(places),
                               retro_place=retro, link_warnings=links)
