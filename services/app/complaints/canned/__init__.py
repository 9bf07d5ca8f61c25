"""Built-in canned responses: `<key>.<language>.j2`, first line `{# title: ... #}`."""
