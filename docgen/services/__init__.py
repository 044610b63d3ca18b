"""The work of docgen, with no Flask in it."""
