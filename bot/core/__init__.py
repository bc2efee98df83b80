"""The core: pure, transport-free logic. No Telegram, no I/O; plain values in, frozen dataclasses out."""
