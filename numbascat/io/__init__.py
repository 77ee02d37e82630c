"""Reading signals from files for the command line: audio, images and arrays.

Optional dependencies (soundfile, Pillow) are imported inside the readers, never here.
"""
