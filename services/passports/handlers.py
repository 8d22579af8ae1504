"""(placeholder: being written)"""

HANDLERS: dict = {}
