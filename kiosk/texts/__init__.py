"""Every Vietnamese sentence the server answers with, in one catalogue a reviewer can read (docs/pages.md "Texts").

English stays next to the code that raises (the error's ``message``); Vietnamese lives in ``kiosk/texts/vi.py``.
"""
