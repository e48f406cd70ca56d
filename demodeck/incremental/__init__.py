"""Everything that makes a build faster and nothing else: the seam behind the stages.

The stages (:mod:`demodeck.build`) read as a plain pipeline and import nothing from
here; :mod:`.seam` decides how each is applied. What lets a rebuild skip work lives
here: the stages sped up (:mod:`.validating`, :mod:`.rendering`, :mod:`.links`), the
signed build cache (:mod:`.cache`) and the keys it is looked up by (:mod:`.keys`, each
deck's part of the archive pages' keys in :mod:`.archive_keys`), the manifest that tells
an unchanged site (:mod:`.manifest`), Jinja's compiled templates (:mod:`.templates`), and
the process pool (:mod:`.pool`).
"""
