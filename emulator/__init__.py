"""The test bench: the far end of every wire, passengers, scenarios, faults and the whole-site runner."""
