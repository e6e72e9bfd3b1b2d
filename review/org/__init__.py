"""The institution's directory: units, departments, leadership, people."""
