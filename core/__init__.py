"""The domain with no I/O: travel documents (MRZ), watch-list matching, the wire contract, SOP time standards.

Everything the edge devices and the central service must agree on lives here, so neither imports the other.
"""

__version__ = "0.1.0"
