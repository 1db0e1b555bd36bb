"""``python -m monitor.settings``: print the README's table of settings; ``--write README.md`` puts it in
place of the table between the markers of that file."""

import sys
from pathlib import Path

from monitor.settings.report import readme_table, write_readme_table

if len(sys.argv) == 3 and sys.argv[1] == "--write":
    write_readme_table(Path(sys.argv[2]))
else:
    print(readme_table())
