"""repmon's running system: settings, errors and the `repmon` command."""

__version__ = "0.1.0"
