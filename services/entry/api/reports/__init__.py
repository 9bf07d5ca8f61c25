"""Reports rendered for the API: CSV and server-side SVG charts."""
