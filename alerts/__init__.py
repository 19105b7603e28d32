"""The alert core: lifecycle decisions, routing, the defender fast-path rule, notification texts,
CAP 1.2 and Atom rendering, and the delivery channels. Imports nothing from ``ews`` (levels and
Lima's time zone come from :mod:`indicators`).

Everything but :mod:`alerts.channels` is pure: no database, clock or network. The channels are the
one part that talks to the network (SMTP, HTTPS webhooks, an SMS gateway) or writes files (a local
Maildir); they know no database.

The data the lifecycle reads and decides are in :mod:`alerts.states`, its rules in
:mod:`alerts.lifecycle`, who hears of an event in :mod:`alerts.routing`.
"""

from alerts.lifecycle import decide, resolve_by_hand
from alerts.routing import plan_notifications
from alerts.states import Decision, category_states

__all__ = ["Decision", "category_states", "decide", "plan_notifications", "resolve_by_hand"]
