"""Front-end libraries from node_modules (bpmn-js, Chart.js, Cytoscape.js) (installed by `make install`), never from a CDN.

Only the built files of the libraries we use are served: a whitelist of folders
and file types, so node_modules' sources and package files stay private.
"""
from __future__ import annotations

from flask import abort, send_from_directory

from core.settings import PROJECT_ROOT

from . import bp

NODE_MODULES = PROJECT_ROOT / "node_modules"
SERVED = {"bpmn-js": "bpmn-js/dist", "chart.js": "chart.js/dist", "cytoscape": "cytoscape/dist"}
SUFFIXES = (".js", ".css", ".woff", ".woff2", ".ttf", ".eot", ".svg")
ONE_DAY = 24 * 3600


@bp.get("/vendor/<package>/<path:name>")
def vendor(package, name):
    folder = SERVED.get(package)
    if folder is None or not name.endswith(SUFFIXES):
        abort(404)
    # send_from_directory refuses paths that leave the folder ("..", absolute paths).
    return send_from_directory(NODE_MODULES / folder, name, max_age=ONE_DAY)
