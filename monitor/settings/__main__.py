"""``python -m monitor.settings``: print the README's table of settings (paste it over the old one)."""

from monitor.settings.report import readme_table

print(readme_table())
