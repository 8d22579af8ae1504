"""The benchmark harness (`make bench`): the system next to the floors the stack allows, in one run."""
