"""E-mail out: the owners' daily digest (``digest``), the alerts that cannot wait for it (``alerts``),
sending each owed e-mail exactly once (``mailer``), address syntax (``addresses``), and the Jinja
templates (``templates/``). Every word an e-mail says comes from the message catalogue
(``monitor.i18n``), in the recipient's language.

Named ``monitor.email``: inside it, ``email`` still means the standard library (absolute imports).
"""
