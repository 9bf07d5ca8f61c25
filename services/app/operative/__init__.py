"""Operative CRM: opportunities and the sales pipeline, appointments and their
reminders, the calendar feed and the visit briefing."""
