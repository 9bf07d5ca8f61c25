"""Use cases: what the hub does, as plain Python (no HTTP, no SQL).

intake/     inbound events: the recorder (identity resolution, idempotency), the
            embedded bus and the email gateway
outbound/   every send (SMS, WhatsApp, email, calls, letters) through one pipeline
complaints/ the complaint desk, its intake policy and the SLA clock
projector   follows the event store into the read models
"""
