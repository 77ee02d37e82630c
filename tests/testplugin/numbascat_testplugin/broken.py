"""A plugin module that fails on import, as a broken third-party plugin would."""
raise ImportError("numbascat_testplugin.broken is broken on purpose")
