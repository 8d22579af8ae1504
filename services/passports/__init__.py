"""The passports service: the register of official passports and permits the office keeps, their hand-out for an
approved trip and their return, the holds on whoever keeps one too long, and the audit of every look at a number.
A service of its own so that the numbers and their key live in one small database and one process
(docs/architecture.md, "The passports service")."""
