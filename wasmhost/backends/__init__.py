"""Backends: where state lives, behind small interfaces. SQLite and local files are the
embedded default (one node, an edge device); a cluster backend implements the same
interfaces on its engine."""
