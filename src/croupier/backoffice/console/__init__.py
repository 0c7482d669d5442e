"""The staff console: server-rendered pages (Jinja2 + htmx) under ``/console``."""
