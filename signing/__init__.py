"""Contracts as signed PDFs: render, seal, sign, archive and verify; no Flask here.

`signing.service` holds the functions that routes, jobs and the funnel call; the
other modules are its parts: `render` (Jinja2 + WeasyPrint), `certs` and `keys`
(the internal CA and imported PKCS#12), `pades` (pyHanko), `verify`, `archive`.
"""
