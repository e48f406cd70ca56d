"""Everything that makes a build faster and nothing else: the seam behind the stages.

The stages (:mod:`demodeck.build`) read as a plain pipeline; what lets a rebuild skip
work lives here: the signed build cache (:mod:`.cache`), each deck's part of the archive
pages' keys (:mod:`.archive_keys`), the manifest that tells an unchanged site
(:mod:`.manifest`), and the process pool (:mod:`.pool`).
"""
