"""Helpline: an open-source contact center.

Importing the package puts the compiled core in front of the interpreted one when a fresh build
of it exists (``helpline.native``); otherwise nothing changes.
"""

from helpline.native import install as _install_native

_install_native()
