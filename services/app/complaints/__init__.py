"""Complaint management: the desk (commands), the intake policy that opens and
links cases from customer messages, the SLA scheduler and canned responses."""
