"""MicroPython entry point: copy ``main.py``, ``controller.py``, ``safety.py`` and ``protocol.py`` to
the controller's flash (``mpremote cp hal/firmware/{main,controller,safety,protocol}.py :``)."""

import controller

controller.run()
