"""The ``pidc`` command line (``cli.main:app``): the top layer, above ``orchestration``."""
