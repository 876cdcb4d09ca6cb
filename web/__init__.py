"""The web door: the REST API (and, later, the pages) over the engine's services."""
