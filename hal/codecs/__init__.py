"""Pure framing codecs, one per serial device: bytes in, messages or typed errors out. No I/O.

- ``hal.codecs.mrz``: passport-reader output (``STX … ETX [BCC]`` frames and plain CR/LF line bursts)
- ``hal.codecs.zfm``: ZhianTec/Grow fingerprint module packets (``EF01`` …, 16-bit checksum)
- ``hal.codecs.escpos``: the ESC/POS subset the kiosk's receipt printer uses
"""
