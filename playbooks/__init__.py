"""Response playbooks as data, and the engine that picks one (built in a later issue)."""
