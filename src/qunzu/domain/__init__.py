"""The rules of the provisions as pure code: no I/O, no clock reads, no framework imports."""
