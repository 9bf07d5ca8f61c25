"""The agent console: server-rendered pages (Jinja2) with a little htmx, at `/`."""
