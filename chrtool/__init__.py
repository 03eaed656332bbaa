"""chrtool: find where and why a mobile subscriber's signalling broke (LTE and NSA 5G)."""
__version__ = "0.1.0"


def backend():
    """Which decoding core is active: 'compiled' or an explanation of why it is not."""
    try:
        from chrtool._fast import events  # noqa: F401
    except ImportError as exc:  # a broken build explains itself
        return (f"missing ({exc}); the compiled core was not built: reinstall with "
                "`pip install .` (needs gcc and the Python headers)")
    return "compiled (Cython)"
