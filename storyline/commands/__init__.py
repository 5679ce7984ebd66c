"""The commands of the ``storyline`` CLI, one module per family; :mod:`storyline.cli` gathers them."""
