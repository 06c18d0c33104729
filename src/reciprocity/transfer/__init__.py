"""An advisor's book in and out: imports, exports, backup and restore."""
