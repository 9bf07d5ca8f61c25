"""The visit briefing as a printable HTML page (for the agent on the road).

Jinja2 with autoescape: every value comes from customers' and agents' text,
so nothing is inserted unescaped.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment

_ENV = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
_PAGE = _ENV.from_string(
    """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Briefing: {{ profile.display_name }}</title>
<style>
body { font-family: sans-serif; margin: 2em; max-width: 60em; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1.5em; }
th, td { border-bottom: 1px solid #ccc; padding: .3em .5em; text-align: left; vertical-align: top; }
h2 { margin-top: 1.5em; }
</style>
</head>
<body>
<h1>Briefing: {{ profile.display_name }}</h1>
<p>Customer since {{ profile.created_at }}; {{ profile.interaction_count }} contacts,
the last {{ profile.last_contact_at or "never" }}.
{% if prospect_source %}Prospect (from {{ prospect_source }}).{% endif %}
{% if profile.language %}Language: {{ profile.language }}.{% endif %}</p>
<h2>Addresses</h2>
<ul>
{% for a in profile.addresses %}<li>{{ a.channel }}: {{ a.address }}</li>
{% else %}<li>none</li>
{% endfor %}
</ul>
<h2>Upcoming appointments</h2>
<table id="appointments"><tr><th>When</th><th>What</th><th>Where</th><th>Agent</th></tr>
{% for a in upcoming_appointments %}<tr>
<td>{{ a.starts_at }} to {{ a.ends_at }} ({{ a.timezone }})</td><td>{{ a.kind }}</td>
<td>{{ a.location }}</td><td>{{ a.agent }}</td></tr>
{% else %}<tr><td colspan="4">none</td></tr>
{% endfor %}
</table>
<h2>Open cases</h2>
<table id="cases"><tr><th>Case</th><th>Queue</th><th>State</th><th>Priority</th><th>Opened</th></tr>
{% for c in open_cases %}<tr><td>{{ c.case_number }}</td><td>{{ c.queue }}</td>
<td>{{ c.state }}</td><td>{{ c.priority }}</td><td>{{ c.opened_at }}</td></tr>
{% else %}<tr><td colspan="5">none</td></tr>
{% endfor %}
</table>
<h2>Open opportunities</h2>
<table id="opportunities">
<tr><th>Title</th><th>Stage</th><th>Value</th><th>Owner</th><th>Expected close</th></tr>
{% for o in open_opportunities %}<tr><td>{{ o.title }}</td><td>{{ o.stage }}</td>
<td>{{ o.value }} {{ o.currency }}</td><td>{{ o.owner }}</td>
<td>{{ o.expected_close or "" }}</td></tr>
{% else %}<tr><td colspan="5">none</td></tr>
{% endfor %}
</table>
<h2>Last contacts</h2>
<table id="contacts"><tr><th>When</th><th>Channel</th><th>Direction</th><th>Summary</th></tr>
{% for t in profile.timeline["items"] %}<tr><td>{{ t.occurred_at }}</td><td>{{ t.channel }}</td>
<td>{{ t.direction }}</td><td>{{ t.summary }}</td></tr>
{% else %}<tr><td colspan="4">none</td></tr>
{% endfor %}
</table>
<p><small>Generated {{ generated_at }}.</small></p>
</body>
</html>
"""
)


def briefing_html(briefing: dict[str, Any]) -> str:
    """`briefing` is the JSON briefing (`Briefing.model_dump(mode="json")`)."""
    return _PAGE.render(**briefing)
